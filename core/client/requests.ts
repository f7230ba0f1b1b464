/**
 * Request payloads and response readers of every operation the client speaks, per version:
 * 1.x carries attributes in TemplateAttribute / Attribute (KMIP 1.4 §2.1.8), 2.x in Attributes
 * with native tags (KMIP 2.1 §2.1.1). Field order follows the payload tables of KMIP 1.4 §4
 * and 2.1 §6.1. Omitting `uniqueIdentifier` leaves the server to use the ID placeholder of the
 * batch (KMIP 1.4 §4, "ID Placeholder"), which is how `create` then `activate` chain in one batch.
 */
import {
  readAttributes,
  valueToItem,
  writeAttribute,
  writeAttributes,
  type KmipAttribute,
} from '../attributes/index.js';
import { KryptonError } from '../errors.js';
import {
  Operation,
  Tag,
  attributeByName,
  enumForTag,
  operationByCode,
  parseVersion,
  tagByName,
  tagName,
  type KmipVersion,
} from '../spec/index.js';
import {
  byteString,
  child,
  children,
  dateTime,
  enumeration,
  integer,
  interval,
  structure,
  textString,
} from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import {
  normalizeValue,
  toKmipAttributes,
  type AttributeInput,
  type AttributeInputValue,
} from './attribute-input.js';

/** One operation's request: how to build its payload in a version and read its response payload. */
export interface OperationRequest<R> {
  readonly operation: number;
  build(version: KmipVersion): TtlvItem[];
  parse(payload: StructureItem | undefined, version: KmipVersion): R;
}

const is2 = (v: KmipVersion): boolean => v.startsWith('2.');

function bad(detail: string): never {
  throw new KryptonError('KRY_CLIENT_BAD_ARGUMENT', detail);
}

function enumValue(tag: number, value: number | string, where: string): number {
  if (typeof value === 'number') return value;
  const v = enumForTag(tag)?.value(value);
  if (v === undefined) bad(`${where}: unknown value '${value}'`);
  return v;
}

function textOf(payload: TtlvItem | undefined, tag: number): string | undefined {
  const c = child(payload, tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

function bytesOf(payload: TtlvItem | undefined, tag: number): Uint8Array | undefined {
  const c = child(payload, tag);
  return c?.type === 'ByteString' ? c.value : undefined;
}

function enumOf(payload: TtlvItem | undefined, tag: number): number | undefined {
  const c = child(payload, tag);
  return c?.type === 'Enumeration' ? c.value : undefined;
}

function uid(payload: StructureItem | undefined): string {
  return textOf(payload, Tag.UniqueIdentifier) ?? '';
}

function optUid(items: TtlvItem[], id: string | undefined): void {
  if (id !== undefined) items.push(textString(Tag.UniqueIdentifier, id));
}

/** A request carries the values it is given: what a server makes of one its version lacks is its test. */
const AS_GIVEN = { anyValue: true } as const;

/** Attribute container of a request: 1.x `TemplateAttribute`-like, 2.x `Attributes`-like. */
function attributeContainer(
  attrs: readonly KmipAttribute[],
  version: KmipVersion,
  tag1x: number,
  tag2x: number,
): StructureItem {
  return structure(is2(version) ? tag2x : tag1x, writeAttributes(attrs, version, false, AS_GIVEN));
}

/** Cryptographic Parameters (KMIP 1.4 §2.1.5) from names: `{ BlockCipherMode: 'CBC', PaddingMethod: 'PKCS5' }`. */
export type CryptographicParametersInput = Readonly<Record<string, AttributeInputValue>>;

function cryptoParams(
  items: TtlvItem[],
  params: CryptographicParametersInput | undefined,
  version: KmipVersion,
): void {
  if (!params) return;
  const value = normalizeValue(Tag.CryptographicParameters, params, 'CryptographicParameters');
  items.push(valueToItem(Tag.CryptographicParameters, value, version, 'Structure'));
}

export interface IdResult {
  uniqueIdentifier: string;
  payload: StructureItem | undefined;
}

function idRequest(operation: number, id: string | undefined): OperationRequest<IdResult> {
  return {
    operation,
    build: () => {
      const items: TtlvItem[] = [];
      optUid(items, id);
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

// ---- object creation ------------------------------------------------------------------------

export interface CreateArgs {
  objectType?: number | string;
  attributes?: AttributeInput;
}

export interface CreateResult extends IdResult {
  objectType: number | undefined;
}

/** Create (KMIP 1.4 §4.1, 2.1 §6.1.8). Default object type Symmetric Key. */
export function createRequest(args: CreateArgs): OperationRequest<CreateResult> {
  const attrs = toKmipAttributes(args.attributes);
  return {
    operation: Operation.Create,
    build: (version) => [
      enumeration(Tag.ObjectType, enumValue(Tag.ObjectType, args.objectType ?? 'SymmetricKey', 'objectType')),
      attributeContainer(attrs, version, Tag.TemplateAttribute, Tag.Attributes),
    ],
    parse: (payload) => ({
      uniqueIdentifier: uid(payload),
      objectType: enumOf(payload, Tag.ObjectType),
      payload,
    }),
  };
}

export interface CreateKeyPairArgs {
  commonAttributes?: AttributeInput;
  privateKeyAttributes?: AttributeInput;
  publicKeyAttributes?: AttributeInput;
}

export interface KeyPairResult {
  privateKeyUniqueIdentifier: string;
  publicKeyUniqueIdentifier: string;
  payload: StructureItem | undefined;
}

/** Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.9). */
export function createKeyPairRequest(args: CreateKeyPairArgs): OperationRequest<KeyPairResult> {
  const common = toKmipAttributes(args.commonAttributes);
  const priv = toKmipAttributes(args.privateKeyAttributes);
  const pub = toKmipAttributes(args.publicKeyAttributes);
  return {
    operation: Operation.CreateKeyPair,
    build: (version) => {
      const items: TtlvItem[] = [];
      if (common.length)
        items.push(attributeContainer(common, version, Tag.CommonTemplateAttribute, Tag.CommonAttributes));
      if (priv.length)
        items.push(
          attributeContainer(priv, version, Tag.PrivateKeyTemplateAttribute, Tag.PrivateKeyAttributes),
        );
      if (pub.length)
        items.push(attributeContainer(pub, version, Tag.PublicKeyTemplateAttribute, Tag.PublicKeyAttributes));
      return items;
    },
    parse: (payload) => ({
      privateKeyUniqueIdentifier: textOf(payload, Tag.PrivateKeyUniqueIdentifier) ?? '',
      publicKeyUniqueIdentifier: textOf(payload, Tag.PublicKeyUniqueIdentifier) ?? '',
      payload,
    }),
  };
}

export interface RegisterArgs {
  objectType: number | string;
  attributes?: AttributeInput;
  /** The managed object itself, e.g. `symmetricKeyObject(bytes, 'AES')`. */
  object: StructureItem;
}

/** Register (KMIP 1.4 §4.3, 2.1 §6.1.42). */
export function registerRequest(args: RegisterArgs): OperationRequest<IdResult> {
  const attrs = toKmipAttributes(args.attributes);
  return {
    operation: Operation.Register,
    build: (version) => [
      enumeration(Tag.ObjectType, enumValue(Tag.ObjectType, args.objectType, 'objectType')),
      attributeContainer(attrs, version, Tag.TemplateAttribute, Tag.Attributes),
      args.object,
    ],
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

/** A Symmetric Key object with a Raw (or given) key format, for Register (KMIP 1.4 §2.2.2). */
export function symmetricKeyObject(
  keyMaterial: Uint8Array,
  algorithm: number | string,
  options: { length?: number; keyFormatType?: number | string } = {},
): StructureItem {
  return structure(Tag.SymmetricKey, [
    structure(Tag.KeyBlock, [
      enumeration(
        Tag.KeyFormatType,
        enumValue(Tag.KeyFormatType, options.keyFormatType ?? 'Raw', 'keyFormatType'),
      ),
      structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, keyMaterial)]),
      enumeration(Tag.CryptographicAlgorithm, enumValue(Tag.CryptographicAlgorithm, algorithm, 'algorithm')),
      integer(Tag.CryptographicLength, options.length ?? keyMaterial.length * 8),
    ]),
  ]);
}

/** A Secret Data object (KMIP 1.4 §2.2.7), e.g. a password. */
export function secretDataObject(
  data: Uint8Array,
  secretDataType: number | string = 'Password',
): StructureItem {
  return structure(Tag.SecretData, [
    enumeration(Tag.SecretDataType, enumValue(Tag.SecretDataType, secretDataType, 'secretDataType')),
    structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, enumValue(Tag.KeyFormatType, 'Opaque', 'keyFormatType')),
      structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, data)]),
    ]),
  ]);
}

export interface RekeyArgs {
  uniqueIdentifier?: string;
  /** Interval in seconds between the old key's Initialization Date and the new key's Activation Date. */
  offset?: number;
  attributes?: AttributeInput;
}

/** Re-key (KMIP 1.4 §4.4, 2.1 §6.1.43). */
export function rekeyRequest(args: RekeyArgs = {}): OperationRequest<IdResult> {
  const attrs = toKmipAttributes(args.attributes);
  return {
    operation: Operation.ReKey,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (args.offset !== undefined) items.push(interval(Tag.Offset, args.offset));
      if (attrs.length) items.push(attributeContainer(attrs, version, Tag.TemplateAttribute, Tag.Attributes));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

// ---- finding and reading --------------------------------------------------------------------

export interface LocateArgs {
  attributes?: AttributeInput;
  maximumItems?: number;
  offsetItems?: number;
  storageStatusMask?: number | readonly string[];
  objectGroupMember?: number | string;
}

export interface LocateResult {
  uniqueIdentifiers: string[];
  locatedItems: number | undefined;
  payload: StructureItem | undefined;
}

/** Locate (KMIP 1.4 §4.9, 2.1 §6.1.27). */
export function locateRequest(args: LocateArgs = {}): OperationRequest<LocateResult> {
  const attrs = toKmipAttributes(args.attributes);
  return {
    operation: Operation.Locate,
    build: (version) => {
      const items: TtlvItem[] = [];
      if (args.maximumItems !== undefined) items.push(integer(Tag.MaximumItems, args.maximumItems));
      if (args.offsetItems !== undefined) items.push(integer(Tag.OffsetItems, args.offsetItems));
      if (args.storageStatusMask !== undefined) {
        items.push(
          integer(
            Tag.StorageStatusMask,
            normalizeValue(Tag.StorageStatusMask, args.storageStatusMask, 'storageStatusMask') as number,
          ),
        );
      }
      if (args.objectGroupMember !== undefined) {
        items.push(
          enumeration(
            Tag.ObjectGroupMember,
            enumValue(Tag.ObjectGroupMember, args.objectGroupMember, 'objectGroupMember'),
          ),
        );
      }
      if (is2(version))
        items.push(structure(Tag.Attributes, writeAttributes(attrs, version, false, AS_GIVEN)));
      else items.push(...writeAttributes(attrs, version, false, AS_GIVEN));
      return items;
    },
    parse: (payload) => {
      const located = child(payload, Tag.LocatedItems);
      return {
        uniqueIdentifiers: children(payload, Tag.UniqueIdentifier).flatMap((c) =>
          c.type === 'TextString' ? [c.value] : [],
        ),
        locatedItems: located?.type === 'Integer' ? located.value : undefined,
        payload,
      };
    },
  };
}

export interface GetArgs {
  uniqueIdentifier?: string;
  keyFormatType?: number | string;
  keyWrapType?: number | string;
  keyCompressionType?: number | string;
  /** A Key Wrapping Specification structure (KMIP 1.4 §2.1.6), built by the caller. */
  keyWrappingSpecification?: StructureItem;
}

export interface GetResult {
  objectType: number | undefined;
  uniqueIdentifier: string;
  /** The managed object structure (Symmetric Key, Secret Data, …). */
  object: StructureItem | undefined;
  /** Key Material when it is a plain byte string (Raw, Opaque, Transparent formats differ). */
  keyMaterial: Uint8Array | undefined;
  payload: StructureItem | undefined;
}

const OBJECT_TAGS = new Set<number>([
  Tag.Certificate,
  Tag.SymmetricKey,
  Tag.PublicKey,
  Tag.PrivateKey,
  Tag.SplitKey,
  Tag.Template,
  Tag.SecretData,
  Tag.OpaqueObject,
  Tag.PGPKey,
]);

/** Get (KMIP 1.4 §4.11, 2.1 §6.1.20). */
export function getRequest(args: GetArgs = {}): OperationRequest<GetResult> {
  return {
    operation: Operation.Get,
    build: () => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (args.keyFormatType !== undefined)
        items.push(
          enumeration(Tag.KeyFormatType, enumValue(Tag.KeyFormatType, args.keyFormatType, 'keyFormatType')),
        );
      if (args.keyWrapType !== undefined)
        items.push(enumeration(Tag.KeyWrapType, enumValue(Tag.KeyWrapType, args.keyWrapType, 'keyWrapType')));
      if (args.keyCompressionType !== undefined) {
        items.push(
          enumeration(
            Tag.KeyCompressionType,
            enumValue(Tag.KeyCompressionType, args.keyCompressionType, 'keyCompressionType'),
          ),
        );
      }
      if (args.keyWrappingSpecification) items.push(args.keyWrappingSpecification);
      return items;
    },
    parse: (payload) => {
      const object = payload?.value.find((c) => OBJECT_TAGS.has(c.tag));
      const keyMaterial = child(child(child(object, Tag.KeyBlock), Tag.KeyValue), Tag.KeyMaterial);
      return {
        objectType: enumOf(payload, Tag.ObjectType),
        uniqueIdentifier: uid(payload),
        object: object?.type === 'Structure' ? object : undefined,
        keyMaterial: keyMaterial?.type === 'ByteString' ? keyMaterial.value : undefined,
        payload,
      };
    },
  };
}

export interface AttributesResult {
  uniqueIdentifier: string;
  attributes: KmipAttribute[];
  payload: StructureItem | undefined;
}

function readResponseAttributes(payload: StructureItem | undefined): KmipAttribute[] {
  const container = child(payload, Tag.Attributes);
  if (container) return readAttributes(container);
  // 1.x: Attribute structures directly in the payload.
  return readAttributes(structure(Tag.TemplateAttribute, children(payload, Tag.Attribute)));
}

/** Get Attributes (KMIP 1.4 §4.12, 2.1 §6.1.21); `names` as 2.x CamelCase or 1.x spec names. */
export function getAttributesRequest(
  args: { uniqueIdentifier?: string; names?: readonly string[] } = {},
): OperationRequest<AttributesResult> {
  return {
    operation: Operation.GetAttributes,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      for (const n of args.names ?? []) items.push(attributeReference(n, version));
      return items;
    },
    parse: (payload) => ({
      uniqueIdentifier: uid(payload),
      attributes: readResponseAttributes(payload),
      payload,
    }),
  };
}

/** 1.x Attribute Name (spec spelling) or 2.x Attribute Reference (the attribute's tag, KMIP 2.1 §7.1). */
function attributeReference(name: string, version: KmipVersion): TtlvItem {
  const custom = name.startsWith('x-') || name.startsWith('y-');
  const def = custom ? undefined : attributeByName(name);
  if (!custom && !def) bad(`unknown attribute '${name}'`);
  if (!is2(version)) return textString(Tag.AttributeName, def?.name ?? name);
  if (custom) {
    return structure(Tag.AttributeReference, [
      textString(Tag.VendorIdentification, name.slice(0, 1)),
      textString(Tag.AttributeName, name.slice(2)),
    ]);
  }
  const tag = def!.tag ?? tagByName(def!.camel);
  if (tag === undefined) bad(`attribute '${name}' has no tag in ${version}`);
  return enumeration(Tag.AttributeReference, tag);
}

export interface AttributeListResult {
  uniqueIdentifier: string;
  names: string[];
  payload: StructureItem | undefined;
}

/** Get Attribute List (KMIP 1.4 §4.13, 2.1 §6.1.22): names in 2.x CamelCase. */
export function getAttributeListRequest(
  args: { uniqueIdentifier?: string } = {},
): OperationRequest<AttributeListResult> {
  return {
    operation: Operation.GetAttributeList,
    build: () => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      return items;
    },
    parse: (payload) => {
      const names: string[] = [];
      for (const c of payload?.value ?? []) {
        if (c.tag === Tag.AttributeName && c.type === 'TextString')
          names.push(attributeByName(c.value)?.camel ?? c.value);
        else if (c.tag === Tag.AttributeReference && c.type === 'Enumeration')
          names.push(tagName(c.value) ?? String(c.value));
        else if (c.tag === Tag.AttributeReference && c.type === 'Structure') {
          names.push(`${textOf(c, Tag.VendorIdentification) ?? ''}-${textOf(c, Tag.AttributeName) ?? ''}`);
        }
      }
      return { uniqueIdentifier: uid(payload), names, payload };
    },
  };
}

function singleAttribute(name: string, value: AttributeInputValue, index?: number): KmipAttribute {
  const [attr] = toKmipAttributes({ [name]: value });
  if (!attr) bad(`attribute '${name}'`);
  return index !== undefined ? { ...attr, index } : attr;
}

function writeOne(attr: KmipAttribute, version: KmipVersion, withIndex: boolean): TtlvItem {
  const item = writeAttribute(attr, version, withIndex, AS_GIVEN);
  if (!item) bad(`attribute '${attr.name}' does not exist in KMIP ${version}`);
  return item;
}

export interface AttributeChange {
  uniqueIdentifier?: string;
  name: string;
  value: AttributeInputValue;
  /** 1.x Attribute Index of the instance. */
  index?: number;
}

/** Add Attribute (KMIP 1.4 §4.14, 2.1 §6.1.3). */
export function addAttributeRequest(args: AttributeChange): OperationRequest<IdResult> {
  const attr = singleAttribute(args.name, args.value, args.index);
  return {
    operation: Operation.AddAttribute,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (is2(version)) items.push(structure(Tag.NewAttribute, [writeOne(attr, version, false)]));
      else items.push(writeOne(attr, version, args.index !== undefined));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

/** Modify Attribute (KMIP 1.4 §4.15, 2.1 §6.1.32); 2.x may name the current value. */
export function modifyAttributeRequest(
  args: AttributeChange & { currentValue?: AttributeInputValue },
): OperationRequest<IdResult> {
  const attr = singleAttribute(args.name, args.value, args.index);
  const current = args.currentValue !== undefined ? singleAttribute(args.name, args.currentValue) : undefined;
  return {
    operation: Operation.ModifyAttribute,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (is2(version)) {
        if (current) items.push(structure(Tag.CurrentAttribute, [writeOne(current, version, false)]));
        items.push(structure(Tag.NewAttribute, [writeOne(attr, version, false)]));
      } else items.push(writeOne(attr, version, args.index !== undefined));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

/** Set Attribute (KMIP 2.0+ §6.1.47): sets or replaces a single-valued attribute. */
export function setAttributeRequest(args: AttributeChange): OperationRequest<IdResult> {
  const attr = singleAttribute(args.name, args.value);
  return {
    operation: Operation.SetAttribute,
    build: (version) => {
      if (!is2(version)) bad('Set Attribute needs KMIP 2.0 or later');
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      items.push(structure(Tag.NewAttribute, [writeOne(attr, version, false)]));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

/** Delete Attribute (KMIP 1.4 §4.16, 2.1 §6.1.15): by name (and index), or 2.x by current value. */
export function deleteAttributeRequest(args: {
  uniqueIdentifier?: string;
  name: string;
  index?: number;
  currentValue?: AttributeInputValue;
}): OperationRequest<IdResult> {
  return {
    operation: Operation.DeleteAttribute,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (is2(version)) {
        if (args.currentValue !== undefined) {
          items.push(
            structure(Tag.CurrentAttribute, [
              writeOne(singleAttribute(args.name, args.currentValue), version, false),
            ]),
          );
        } else items.push(attributeReference(args.name, version));
      } else {
        const def = attributeByName(args.name);
        items.push(textString(Tag.AttributeName, def?.name ?? args.name));
        if (args.index !== undefined) items.push(integer(Tag.AttributeIndex, args.index));
      }
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

// ---- lifecycle ------------------------------------------------------------------------------

export const activateRequest = (id?: string) => idRequest(Operation.Activate, id);
export const destroyRequest = (id?: string) => idRequest(Operation.Destroy, id);
export const archiveRequest = (id?: string) => idRequest(Operation.Archive, id);
export const recoverRequest = (id?: string) => idRequest(Operation.Recover, id);

export interface RevokeArgs {
  uniqueIdentifier?: string;
  /** Revocation Reason Code name or value; default CessationOfOperation (Active → Deactivated). */
  reason?: number | string;
  message?: string;
  compromiseOccurrenceDate?: Date;
}

/** Revoke (KMIP 1.4 §4.20, 2.1 §6.1.44). KMIP has no Deactivate: Cessation of Operation is it. */
export function revokeRequest(args: RevokeArgs = {}): OperationRequest<IdResult> {
  return {
    operation: Operation.Revoke,
    build: () => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      const reason: TtlvItem[] = [
        enumeration(
          Tag.RevocationReasonCode,
          enumValue(Tag.RevocationReasonCode, args.reason ?? 'CessationOfOperation', 'reason'),
        ),
      ];
      if (args.message !== undefined) reason.push(textString(Tag.RevocationMessage, args.message));
      items.push(structure(Tag.RevocationReason, reason));
      if (args.compromiseOccurrenceDate)
        items.push(dateTime(Tag.CompromiseOccurrenceDate, args.compromiseOccurrenceDate));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

/** Check (KMIP 1.4 §4.10, 2.1 §6.1.6). */
export function checkRequest(
  args: {
    uniqueIdentifier?: string;
    usageLimitsCount?: bigint;
    cryptographicUsageMask?: number | readonly string[];
    leaseTime?: number;
  } = {},
): OperationRequest<IdResult> {
  return {
    operation: Operation.Check,
    build: () => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      if (args.usageLimitsCount !== undefined)
        items.push({ tag: Tag.UsageLimitsCount, type: 'LongInteger', value: args.usageLimitsCount });
      if (args.cryptographicUsageMask !== undefined) {
        items.push(
          integer(
            Tag.CryptographicUsageMask,
            normalizeValue(Tag.CryptographicUsageMask, args.cryptographicUsageMask, 'mask') as number,
          ),
        );
      }
      if (args.leaseTime !== undefined) items.push(interval(Tag.LeaseTime, args.leaseTime));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), payload }),
  };
}

// ---- cryptographic operations ---------------------------------------------------------------

export interface CryptoArgs {
  uniqueIdentifier?: string;
  cryptographicParameters?: CryptographicParametersInput;
  data: Uint8Array;
  ivCounterNonce?: Uint8Array;
  authenticatedEncryptionAdditionalData?: Uint8Array;
}

export interface EncryptResult {
  uniqueIdentifier: string;
  data: Uint8Array | undefined;
  ivCounterNonce: Uint8Array | undefined;
  authenticatedEncryptionTag: Uint8Array | undefined;
  payload: StructureItem | undefined;
}

function cryptoItems(args: CryptoArgs, version: KmipVersion): TtlvItem[] {
  const items: TtlvItem[] = [];
  optUid(items, args.uniqueIdentifier);
  cryptoParams(items, args.cryptographicParameters, version);
  items.push(byteString(Tag.Data, args.data));
  if (args.ivCounterNonce) items.push(byteString(Tag.IVCounterNonce, args.ivCounterNonce));
  return items;
}

/** Encrypt (KMIP 1.4 §4.29, 2.1 §6.1.18). */
export function encryptRequest(args: CryptoArgs): OperationRequest<EncryptResult> {
  return {
    operation: Operation.Encrypt,
    build: (version) => {
      const items = cryptoItems(args, version);
      if (args.authenticatedEncryptionAdditionalData)
        items.push(
          byteString(Tag.AuthenticatedEncryptionAdditionalData, args.authenticatedEncryptionAdditionalData),
        );
      return items;
    },
    parse: (payload) => ({
      uniqueIdentifier: uid(payload),
      data: bytesOf(payload, Tag.Data),
      ivCounterNonce: bytesOf(payload, Tag.IVCounterNonce),
      authenticatedEncryptionTag: bytesOf(payload, Tag.AuthenticatedEncryptionTag),
      payload,
    }),
  };
}

export interface DataResult {
  uniqueIdentifier: string;
  data: Uint8Array | undefined;
  payload: StructureItem | undefined;
}

/** Decrypt (KMIP 1.4 §4.30, 2.1 §6.1.13). */
export function decryptRequest(
  args: CryptoArgs & { authenticatedEncryptionTag?: Uint8Array },
): OperationRequest<DataResult> {
  return {
    operation: Operation.Decrypt,
    build: (version) => {
      const items = cryptoItems(args, version);
      if (args.authenticatedEncryptionAdditionalData)
        items.push(
          byteString(Tag.AuthenticatedEncryptionAdditionalData, args.authenticatedEncryptionAdditionalData),
        );
      if (args.authenticatedEncryptionTag)
        items.push(byteString(Tag.AuthenticatedEncryptionTag, args.authenticatedEncryptionTag));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), data: bytesOf(payload, Tag.Data), payload }),
  };
}

export interface SignArgs {
  uniqueIdentifier?: string;
  cryptographicParameters?: CryptographicParametersInput;
  data?: Uint8Array;
  digestedData?: Uint8Array;
}

/** Sign (KMIP 1.4 §4.31, 2.1 §6.1.49). */
export function signRequest(args: SignArgs): OperationRequest<{
  uniqueIdentifier: string;
  signatureData: Uint8Array | undefined;
  payload: StructureItem | undefined;
}> {
  return {
    operation: Operation.Sign,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      cryptoParams(items, args.cryptographicParameters, version);
      if (args.data) items.push(byteString(Tag.Data, args.data));
      if (args.digestedData) items.push(byteString(Tag.DigestedData, args.digestedData));
      return items;
    },
    parse: (payload) => ({
      uniqueIdentifier: uid(payload),
      signatureData: bytesOf(payload, Tag.SignatureData),
      payload,
    }),
  };
}

export interface VerifyResult {
  uniqueIdentifier: string;
  /** Valid, Invalid or Unknown (KMIP 1.4 §9.1.3.2.28). */
  validityIndicator: string | undefined;
  payload: StructureItem | undefined;
}

function validity(payload: StructureItem | undefined): string | undefined {
  const v = enumOf(payload, Tag.ValidityIndicator);
  return v === undefined ? undefined : enumForTag(Tag.ValidityIndicator)?.name(v);
}

/** Signature Verify (KMIP 1.4 §4.32, 2.1 §6.1.50). */
export function signatureVerifyRequest(
  args: SignArgs & { signatureData: Uint8Array },
): OperationRequest<VerifyResult> {
  return {
    operation: Operation.SignatureVerify,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      cryptoParams(items, args.cryptographicParameters, version);
      if (args.data) items.push(byteString(Tag.Data, args.data));
      if (args.digestedData) items.push(byteString(Tag.DigestedData, args.digestedData));
      items.push(byteString(Tag.SignatureData, args.signatureData));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), validityIndicator: validity(payload), payload }),
  };
}

/** MAC (KMIP 1.4 §4.33, 2.1 §6.1.29). */
export function macRequest(args: {
  uniqueIdentifier?: string;
  cryptographicParameters?: CryptographicParametersInput;
  data: Uint8Array;
}): OperationRequest<{
  uniqueIdentifier: string;
  macData: Uint8Array | undefined;
  payload: StructureItem | undefined;
}> {
  return {
    operation: Operation.MAC,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      cryptoParams(items, args.cryptographicParameters, version);
      items.push(byteString(Tag.Data, args.data));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), macData: bytesOf(payload, Tag.MACData), payload }),
  };
}

/** MAC Verify (KMIP 1.4 §4.34, 2.1 §6.1.30). */
export function macVerifyRequest(args: {
  uniqueIdentifier?: string;
  cryptographicParameters?: CryptographicParametersInput;
  data: Uint8Array;
  macData: Uint8Array;
}): OperationRequest<VerifyResult> {
  return {
    operation: Operation.MACVerify,
    build: (version) => {
      const items: TtlvItem[] = [];
      optUid(items, args.uniqueIdentifier);
      cryptoParams(items, args.cryptographicParameters, version);
      items.push(byteString(Tag.Data, args.data));
      items.push(byteString(Tag.MACData, args.macData));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), validityIndicator: validity(payload), payload }),
  };
}

/** Hash (KMIP 1.4 §4.37, 2.1 §6.1.23). */
export function hashRequest(args: {
  cryptographicParameters: CryptographicParametersInput;
  data: Uint8Array;
}): OperationRequest<DataResult> {
  return {
    operation: Operation.Hash,
    build: (version) => {
      const items: TtlvItem[] = [];
      cryptoParams(items, args.cryptographicParameters, version);
      items.push(byteString(Tag.Data, args.data));
      return items;
    },
    parse: (payload) => ({ uniqueIdentifier: uid(payload), data: bytesOf(payload, Tag.Data), payload }),
  };
}

/** RNG Retrieve (KMIP 1.4 §4.35, 2.1 §6.1.45). */
export function rngRetrieveRequest(dataLength: number): OperationRequest<DataResult> {
  return {
    operation: Operation.RNGRetrieve,
    build: () => [integer(Tag.DataLength, dataLength)],
    parse: (payload) => ({ uniqueIdentifier: '', data: bytesOf(payload, Tag.Data), payload }),
  };
}

// ---- server and protocol --------------------------------------------------------------------

export interface QueryResult {
  operations: string[];
  objectTypes: string[];
  vendorIdentification: string | undefined;
  payload: StructureItem | undefined;
}

/** Query (KMIP 1.4 §4.25, 2.1 §6.1.37); functions by name or value. */
export function queryRequest(
  functions: readonly (number | string)[] = ['QueryOperations', 'QueryObjects'],
): OperationRequest<QueryResult> {
  return {
    operation: Operation.Query,
    build: () =>
      functions.map((f) => enumeration(Tag.QueryFunction, enumValue(Tag.QueryFunction, f, 'queryFunction'))),
    parse: (payload, version) => ({
      operations: children(payload, Tag.Operation).flatMap((o) =>
        o.type === 'Enumeration' ? [operationByCode(o.value)?.camel ?? `0x${o.value.toString(16)}`] : [],
      ),
      objectTypes: children(payload, Tag.ObjectType).flatMap((o) =>
        o.type === 'Enumeration'
          ? [enumForTag(Tag.ObjectType)?.name(o.value, version) ?? String(o.value)]
          : [],
      ),
      vendorIdentification: textOf(payload, Tag.VendorIdentification),
      payload,
    }),
  };
}

/** Discover Versions (KMIP 1.4 §4.26, 2.1 §6.1.16): the offer, most preferred first. */
export function discoverVersionsRequest(offer: readonly KmipVersion[] = []): OperationRequest<KmipVersion[]> {
  return {
    operation: Operation.DiscoverVersions,
    build: () =>
      offer.map((v) => {
        const [major, minor] = v.split('.').map(Number) as [number, number];
        return structure(Tag.ProtocolVersion, [
          integer(Tag.ProtocolVersionMajor, major),
          integer(Tag.ProtocolVersionMinor, minor),
        ]);
      }),
    parse: (payload) =>
      children(payload, Tag.ProtocolVersion).flatMap((pv) => {
        const major = child(pv, Tag.ProtocolVersionMajor);
        const minor = child(pv, Tag.ProtocolVersionMinor);
        const v =
          major?.type === 'Integer' && minor?.type === 'Integer'
            ? parseVersion(major.value, minor.value)
            : undefined;
        return v ? [v] : [];
      }),
  };
}

function correlationRequest(
  operation: number,
  correlation: Uint8Array,
): OperationRequest<{ payload: StructureItem | undefined }> {
  return {
    operation,
    build: () => [byteString(Tag.AsynchronousCorrelationValue, correlation)],
    parse: (payload) => ({ payload }),
  };
}

/** Poll (KMIP 1.4 §4.28, 2.1 §6.1.35). */
export const pollRequest = (correlation: Uint8Array) => correlationRequest(Operation.Poll, correlation);
/** Cancel (KMIP 1.4 §4.27, 2.1 §6.1.4). */
export const cancelRequest = (correlation: Uint8Array) => correlationRequest(Operation.Cancel, correlation);

/** The escape hatch: any operation (by name or code) with a payload the caller built. */
export function rawRequest(
  operation: number | string,
  payload: readonly TtlvItem[] = [],
): OperationRequest<StructureItem | undefined> {
  const code =
    typeof operation === 'number'
      ? operation
      : (OPERATION_CODES.get(operation) ?? bad(`unknown operation '${operation}'`));
  return { operation: code, build: () => [...payload], parse: (p) => p };
}

const OPERATION_CODES = new Map<string, number>(
  Object.entries(Operation).map(([name, code]) => [name, code as number]),
);

/** Operation name of a code (for messages). */
export function operationName(code: number): string {
  return operationByCode(code)?.camel ?? `0x${code.toString(16).padStart(8, '0')}`;
}
