/**
 * The port through which the key hierarchy reads and writes key records. The service never
 * depends on a storage adapter: the server passes an implementation backed by the `Store`;
 * tests use an in-memory one. Key material in a record is always wrapped (DESIGN §5).
 */

/** L1 lives in the HSM and has no record; L2 tenant key, L3 service KEK, L4 DEK. */
export type KeyLevel = 'L2' | 'L3' | 'L4';

/** KMIP 2.1 §3.40 State. */
export type KeyState =
  'PreActive' | 'Active' | 'Deactivated' | 'Compromised' | 'Destroyed' | 'DestroyedCompromised';

export interface KeyRecord {
  readonly id: string;
  readonly level: KeyLevel;
  readonly state: KeyState;
  readonly tenant: string;
  /** Wrapped key material; absent once destroyed. */
  readonly wrapped: Uint8Array | undefined;
  /** L2: the HSM label of the L1 that wraps it. L3/L4: the id of the wrapping L2/L3 record. */
  readonly wrappingKeyId: string;
  /** Set on a rotated key: its successor (KMIP Link "Replacement Object"). */
  readonly replacementId?: string | undefined;
  /** Set on a successor: the key it replaced (KMIP Link "Replaced Object"). */
  readonly replacedId?: string | undefined;
}

export interface NewKeyRecord {
  readonly level: KeyLevel;
  readonly tenant: string;
  readonly wrapped: Uint8Array;
  readonly wrappingKeyId: string;
}

export interface KeyRecordSource {
  getKeyRecord(id: string): Promise<KeyRecord | undefined>;
  /** The tenant's current L2: Active and without a replacement. */
  findTenantKey(tenant: string): Promise<KeyRecord | undefined>;
}

export interface KeyRecordSink {
  /** Stores a new Active record and returns its id. */
  insertKey(record: NewKeyRecord): Promise<string>;
  /**
   * In one transaction: stores the successor Active with `replacedId = oldId`, and sets
   * `replacementId` on the old record (which stays decrypt-only). Returns the successor's id.
   */
  insertReplacement(oldId: string, record: NewKeyRecord): Promise<string>;
  /**
   * Lazy re-wrap: replaces the wrapped material of `id` only if it is still wrapped under
   * `expectedWrappingKeyId` (compare-and-set; a concurrent re-wrap wins). Returns whether it wrote.
   */
  updateWrapping(
    id: string,
    wrapped: Uint8Array,
    wrappingKeyId: string,
    expectedWrappingKeyId: string,
  ): Promise<boolean>;
}

export type KeyRecordStore = KeyRecordSource & KeyRecordSink;

/** States in which a key may protect (wrap) new material: KMIP 2.1 §3.40. */
export function canProtect(record: KeyRecord): boolean {
  return record.state === 'Active' && record.replacementId === undefined;
}

/** States in which a key may still process (unwrap) what it protected. */
export function canProcess(record: KeyRecord): boolean {
  return record.state === 'Active' || record.state === 'Deactivated';
}
