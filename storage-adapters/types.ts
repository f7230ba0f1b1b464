/**
 * The Store interface: managed objects, their attributes, links, lifecycle and wrapped key
 * material, independent of the TTLV codec. Attribute names are KMIP 2.x CamelCase names;
 * enumerations are their numeric values (KMIP 2.1 §11).
 */
import type { WrappedKeyMaterial } from './wrapped-key-material.js';

/** A plain attribute value: what a TTLV item or structure decodes to, without tags. */
export type AttributeValue = string | number | bigint | boolean | Uint8Array | Date | AttributeStructure;

export interface AttributeStructure {
  readonly [field: string]: AttributeValue;
}

/** KMIP 2.1 §11.29 Object Type. */
export const ObjectType = Object.freeze({
  Certificate: 1,
  SymmetricKey: 2,
  PublicKey: 3,
  PrivateKey: 4,
  SplitKey: 5,
  Template: 6,
  SecretData: 7,
  OpaqueObject: 8,
  PGPKey: 9,
  CertificateRequest: 10,
} as const);
export type ObjectType = (typeof ObjectType)[keyof typeof ObjectType];

/** KMIP 2.1 §11.51 State. */
export const State = Object.freeze({
  PreActive: 1,
  Active: 2,
  Deactivated: 3,
  Compromised: 4,
  Destroyed: 5,
  DestroyedCompromised: 6,
} as const);
export type State = (typeof State)[keyof typeof State];

/** KMIP 2.1 §11.30 Link Type. */
export const LinkType = Object.freeze({
  CertificateLink: 0x101,
  PublicKeyLink: 0x102,
  PrivateKeyLink: 0x103,
  DerivationBaseObjectLink: 0x104,
  DerivedKeyLink: 0x105,
  ReplacementObjectLink: 0x106,
  ReplacedObjectLink: 0x107,
  ParentLink: 0x108,
  ChildLink: 0x109,
  PreviousLink: 0x10a,
  NextLink: 0x10b,
  PKCS12CertificateLink: 0x10c,
  PKCS12PasswordLink: 0x10d,
  WrappingKeyLink: 0x10e,
} as const);
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/** KMIP 2.1 §11.52 Storage Status Mask bits. */
export const StorageStatus = Object.freeze({ OnLine: 0x1, Archival: 0x2, Destroyed: 0x4 } as const);

/** KMIP 2.1 §11.32 Object Group Member. */
export const ObjectGroupMember = Object.freeze({ GroupMemberFresh: 1, GroupMemberDefault: 2 } as const);
export type ObjectGroupMember = (typeof ObjectGroupMember)[keyof typeof ObjectGroupMember];

/** Krypton's key hierarchy level (L1 root … L4 data encryption key). */
export type KeyLevel = 1 | 2 | 3 | 4;

/** Date attributes kept as indexed columns (KMIP 2.1 §4). */
export const LIFECYCLE_DATE_NAMES = Object.freeze([
  'InitialDate',
  'ActivationDate',
  'ProcessStartDate',
  'ProtectStopDate',
  'DeactivationDate',
  'DestroyDate',
  'CompromiseOccurrenceDate',
  'CompromiseDate',
  'ArchiveDate',
  'LastChangeDate',
  'OriginalCreationDate',
] as const);
export type LifecycleDateName = (typeof LIFECYCLE_DATE_NAMES)[number];
export type LifecycleDates = Partial<Record<LifecycleDateName, Date>>;
/** A date change: a Date sets it, null clears it. */
export type LifecycleDateChanges = Partial<Record<LifecycleDateName, Date | null>>;

/**
 * Attributes that are columns of the object, not rows of the attribute table: they are set
 * through the typed fields and methods (create, transition, addLink, …), never through the
 * generic attribute methods.
 */
export const PROMOTED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set<string>([
  'UniqueIdentifier',
  'ObjectType',
  'State',
  'CryptographicAlgorithm',
  'CryptographicLength',
  'Link',
  'Fresh',
  ...LIFECYCLE_DATE_NAMES,
]);

/**
 * Which attribute: a standard attribute or a 1.x custom attribute (`x-…`/`y-…`) by name, or a
 * 2.x Vendor Attribute by (VendorIdentification, AttributeName).
 */
export interface AttributeRef {
  readonly name: string;
  readonly vendorIdentification?: string;
}

export interface NewAttribute extends AttributeRef {
  readonly value: AttributeValue;
}

/** One stored value; `index` is the Attribute Index among the values of the same attribute. */
export interface StoredAttribute extends NewAttribute {
  readonly index: number;
}

export interface Link {
  readonly linkType: LinkType;
  readonly linkedObjectId: string;
}

export interface NewManagedObject {
  /** Defaults to a generated identifier (UUID v4). */
  readonly id?: string;
  readonly objectType: ObjectType;
  readonly owner: string;
  /** Defaults to PreActive. */
  readonly state?: State;
  readonly keyLevel?: KeyLevel;
  readonly cryptographicAlgorithm?: number;
  readonly cryptographicLength?: number;
  /** InitialDate and LastChangeDate default to now. */
  readonly dates?: LifecycleDates;
  readonly attributes?: readonly NewAttribute[];
  readonly links?: readonly Link[];
  /** Secret material, only ever wrapped. */
  readonly keyMaterial?: WrappedKeyMaterial;
  /** Material that is not secret: a public key or a certificate. */
  readonly publicMaterial?: Uint8Array;
  /** Defaults to true (KMIP 2.1 §4.21: not yet served to a client). */
  readonly fresh?: boolean;
}

export interface ManagedObject {
  readonly id: string;
  readonly tenant: string;
  readonly owner: string;
  readonly objectType: ObjectType;
  readonly state: State;
  readonly keyLevel: KeyLevel | undefined;
  readonly cryptographicAlgorithm: number | undefined;
  readonly cryptographicLength: number | undefined;
  readonly dates: LifecycleDates;
  readonly archived: boolean;
  readonly fresh: boolean;
  /** Incremented by every change; the optimistic-concurrency token. */
  readonly version: number;
  readonly attributes: readonly StoredAttribute[];
  readonly links: readonly Link[];
  readonly keyMaterial: WrappedKeyMaterial | undefined;
  readonly publicMaterial: Uint8Array | undefined;
}

export interface StateTransition {
  /** The states the object may be in; anything else → KRY_STORE_WRONG_STATE. */
  readonly from: readonly State[];
  readonly to: State;
  readonly dates?: LifecycleDateChanges;
  /** When given, a different current version → KRY_STORE_CONFLICT. */
  readonly expectedVersion?: number;
}

export interface RekeyRequest {
  /** The replacement object (usually with the same type, algorithm and length). */
  readonly replacement: NewManagedObject;
  /** Changes to the replaced object, applied in the same transaction. */
  readonly replaced?: {
    readonly transition?: Omit<StateTransition, 'expectedVersion'>;
    readonly dates?: LifecycleDateChanges;
  };
  /** Attributes moved from the replaced object to the replacement (KMIP 1.x Rekey moves Name). */
  readonly moveAttributes?: readonly AttributeRef[];
  readonly expectedVersion?: number;
}

export interface RekeyResult {
  readonly replacement: ManagedObject;
  readonly replaced: ManagedObject;
}

export interface DateRange {
  /** Inclusive bounds; a single-valued date filter is `{ from: d, to: d }`. */
  readonly from?: Date;
  readonly to?: Date;
}

export interface AttributeFilter extends AttributeRef {
  /** Absent: the object has the attribute with any value. */
  readonly value?: AttributeValue;
}

export interface LinkFilter {
  readonly linkType: LinkType;
  readonly linkedObjectId?: string;
}

/**
 * Locate (KMIP 1.x §4.9, 2.x §6.1.27). Every given filter must match (AND), including several
 * values of one filter. Executed as one indexed SQL query scoped to the tenant.
 */
export interface LocateQuery {
  readonly uniqueIdentifier?: string;
  readonly objectType?: ObjectType;
  readonly state?: State;
  readonly cryptographicAlgorithm?: number;
  readonly cryptographicLength?: number;
  readonly keyLevel?: KeyLevel;
  readonly owner?: string;
  /** Name values (NameValue of the Name structure). */
  readonly names?: readonly string[];
  readonly objectGroups?: readonly string[];
  readonly links?: readonly LinkFilter[];
  /** Custom (`x-`/`y-`), vendor and other non-promoted attributes, matched by equality. */
  readonly attributes?: readonly AttributeFilter[];
  readonly dates?: Partial<Record<LifecycleDateName, DateRange>>;
  /** Capped by the store's maximum; absent means the maximum. */
  readonly maximumItems?: number;
  readonly offsetItems?: number;
  /**
   * StorageStatus bits; default OnLine. OnLine = not archived and not destroyed, Archival =
   * archived and not destroyed, Destroyed = in a Destroyed state (KMIP 2.0). A 1.x caller
   * that wants destroyed objects among on-line ones passes OnLine | Destroyed.
   */
  readonly storageStatusMask?: number;
  /** Fresh: only fresh objects; Default: the group's default member (the newest match). */
  readonly objectGroupMember?: ObjectGroupMember;
  /** Also count every match, ignoring paging (KMIP 2.x Located Items). */
  readonly countTotal?: boolean;
}

export interface LocateResult {
  readonly ids: readonly string[];
  /** Present when `countTotal` was asked. */
  readonly located?: number;
}

/**
 * Persistent managed objects. Every method is scoped to a tenant: another tenant's object is
 * indistinguishable from a missing one (KRY_STORE_NOT_FOUND). Every multi-step change is one
 * transaction.
 */
export interface Store {
  readonly adapter: 'sqlite' | 'postgres';
  create(tenant: string, object: NewManagedObject): Promise<ManagedObject>;
  /** Many objects in one transaction with multi-row inserts (import, bulk load); returns ids. */
  createMany(tenant: string, objects: readonly NewManagedObject[]): Promise<string[]>;
  get(tenant: string, id: string): Promise<ManagedObject>;
  locate(tenant: string, query: LocateQuery): Promise<LocateResult>;
  /** Optimistic state change; entering a Destroyed state removes the key material. */
  transition(tenant: string, id: string, change: StateTransition): Promise<ManagedObject>;
  updateDates(
    tenant: string,
    id: string,
    dates: LifecycleDateChanges,
    expectedVersion?: number,
  ): Promise<ManagedObject>;
  /** Replaces every value of the attribute with one value. */
  setAttribute(tenant: string, id: string, attribute: NewAttribute): Promise<ManagedObject>;
  /** Appends a value (multi-valued attributes); returns its index. */
  addAttribute(tenant: string, id: string, attribute: NewAttribute): Promise<number>;
  /** Replaces the value at `index`; KRY_STORE_NOT_FOUND when there is none. */
  modifyAttribute(
    tenant: string,
    id: string,
    attribute: AttributeRef,
    index: number,
    value: AttributeValue,
  ): Promise<ManagedObject>;
  /** Deletes the value at `index`, or every value when index is absent; returns how many. */
  deleteAttribute(tenant: string, id: string, attribute: AttributeRef, index?: number): Promise<number>;
  addLink(tenant: string, id: string, link: Link): Promise<ManagedObject>;
  removeLink(tenant: string, id: string, link: Link): Promise<ManagedObject>;
  /** Archive (true) or Recover (false); sets or clears the Archive Date. */
  setArchived(tenant: string, id: string, archived: boolean): Promise<ManagedObject>;
  /**
   * Consumes `amount` Usage Limits Units (KMIP 2.1 §4.63): in one transaction, decrements the
   * Usage Limits Count (the Usage Limits Total while no Count is set yet) only if at least
   * `amount` remains. Returns the Count left, or undefined when the object has no Usage Limits
   * (nothing is consumed); not enough left → KRY_STORE_USAGE_LIMIT, nothing changed.
   */
  consumeUsage(tenant: string, id: string, amount: bigint): Promise<bigint | undefined>;
  /** Clears Fresh once the object has been served to a client. */
  markServed(tenant: string, id: string): Promise<void>;
  /** Creates the replacement, links Replaced/Replacement both ways, updates the old object. */
  rekey(tenant: string, id: string, request: RekeyRequest): Promise<RekeyResult>;
  /** Removes the object and everything attached to it (metadata included). */
  purge(tenant: string, id: string): Promise<void>;
  /**
   * Internal to the key hierarchy's KeyRecordStore port (core/services), never reachable from a
   * request: reads a key object by identifier without a tenant, because the key service follows
   * wrapping chains by id. Identifiers are server-generated UUIDs; requests go through `get`.
   */
  getForKeyHierarchy(id: string): Promise<ManagedObject | undefined>;
  /**
   * Internal to the key hierarchy: lazy re-wrap of an object's key material, compare-and-set on
   * the wrapping key id (a concurrent re-wrap wins). Returns whether it wrote.
   */
  rewrapForKeyHierarchy(
    id: string,
    material: WrappedKeyMaterial,
    expectedWrappingKeyId: string,
  ): Promise<boolean>;
  close(): Promise<void>;
}
