/**
 * What the core operation plugins share: the Unique Identifier (or ID placeholder) of a request,
 * tenant-scoped loading with the date-driven lifecycle applied, the attributes an object reports,
 * request attributes, and the per-version error choice. Handler logic stays in plugins/.
 */
import { KryptonError, isKryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import { readAttributeStructure, readAttributes, type KmipAttribute } from '../attributes/index.js';
import { Tag } from '../spec/index.js';
import { versionIndex, type KmipVersion } from '../spec/versions.js';
import { child, children } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import {
  LIFECYCLE_DATE_NAMES,
  LinkType,
  ObjectType,
  State,
  type ManagedObject,
  type Store,
} from '../../storage-adapters/index.js';
import type { KeyHierarchy } from '../keys/key-hierarchy.js';
import { LEVEL_ATTRIBUTE } from './key-level.js';
import { certificateAttributes } from './certificate-attributes.js';

/** KMIP 2.1 §11.12 Cryptographic Usage Mask bits used by the core. */
export const Usage = Object.freeze({
  Encrypt: 0x04,
  Decrypt: 0x08,
  WrapKey: 0x10,
  UnwrapKey: 0x20,
  Export: 0x40,
} as const);

export function isV2(version: KmipVersion): boolean {
  return versionIndex(version) >= versionIndex('2.0');
}

export function servicesOf(ctx: RequestContext): { store: Store; keys: KeyHierarchy } {
  const { store, keys } = ctx.services;
  if (!store || !keys) throw new KryptonError('KRY_OP_NO_STORE');
  return { store, keys };
}

export function requirePayload(payload: StructureItem | undefined): StructureItem {
  if (!payload) throw new KryptonError('KRY_SRV_MISSING_PAYLOAD');
  return payload;
}

/**
 * The object a request names: its Unique Identifier, or the ID placeholder of the request
 * message when absent (KMIP 2.1 §6.1.1 / 1.4 §4.x "If omitted, the ID Placeholder is used").
 */
export function uniqueIdentifierOf(ctx: RequestContext, payload: StructureItem | undefined): string {
  const item = child(payload, Tag.UniqueIdentifier);
  if (item?.type === 'TextString') {
    if (item.value.length === 0 || item.value.length > 128) throw new KryptonError('KRY_STORE_NOT_FOUND');
    return item.value;
  }
  const held = ctx.placeholder.get();
  if (held === undefined) throw new KryptonError('KRY_SRV_NO_PLACEHOLDER');
  return held;
}

/** The error for an operation not defined on this kind of object, in the request's version. */
export function objectTypeError(version: KmipVersion, detail: string): KryptonError {
  return new KryptonError(isV2(version) ? 'KRY_OP_OBJECT_TYPE' : 'KRY_OP_OBJECT_TYPE_1X', detail);
}

/** Incompatible Cryptographic Usage Mask exists from 2.0; 1.x answers Permission Denied. */
export function usageMaskError(version: KmipVersion, detail: string): KryptonError {
  return new KryptonError(isV2(version) ? 'KRY_OP_USAGE_MASK' : 'KRY_OP_USAGE_MASK_1X', detail);
}

export function usageMaskOf(object: ManagedObject): number {
  const a = object.attributes.find((x) => x.name === 'CryptographicUsageMask');
  return typeof a?.value === 'number' ? a.value : 0;
}

export function linkOf(object: ManagedObject, type: number): string | undefined {
  return object.links.find((l) => l.linkType === type)?.linkedObjectId;
}

const DESTROYED: readonly number[] = [State.Destroyed, State.DestroyedCompromised];

export function isDestroyed(object: { readonly state: number }): boolean {
  return DESTROYED.includes(object.state);
}

/**
 * Loads an object of the caller's tenant (a foreign one is as missing: KRY_STORE_NOT_FOUND) and
 * applies the date-driven transitions the spec defines (KMIP 2.1 §3.x / 1.4 §3.22, §3.25):
 * Pre-Active becomes Active when its Activation Date has passed, Active becomes Deactivated when
 * its Deactivation Date has passed. The change is persisted optimistically; a concurrent change wins.
 */
export async function loadObject(ctx: RequestContext, id: string, now = new Date()): Promise<ManagedObject> {
  const { store } = servicesOf(ctx);
  let object = await store.get(ctx.tenant, id);
  for (let step = 0; step < 2; step++) {
    const { ActivationDate, DeactivationDate } = object.dates;
    let to: State | undefined;
    if (object.state === State.PreActive && ActivationDate && ActivationDate <= now) to = State.Active;
    else if (
      (object.state === State.Active || object.state === State.PreActive) &&
      DeactivationDate &&
      DeactivationDate <= now
    )
      to = State.Deactivated;
    if (to === undefined) break;
    try {
      object = await store.transition(ctx.tenant, id, {
        from: [object.state],
        to,
        expectedVersion: object.version,
      });
    } catch (err) {
      if (!isKryptonError(err) || (err.code !== 'KRY_STORE_CONFLICT' && err.code !== 'KRY_STORE_WRONG_STATE'))
        throw err;
      object = await store.get(ctx.tenant, id);
    }
    if (to === State.Active || to === State.Deactivated) servicesOf(ctx).keys.invalidate(id);
  }
  return object;
}

/** The core refuses every request about an L4 (DESIGN §1): none is stored here, none passes. */
export function refuseL4(object: Pick<ManagedObject, 'keyLevel'>): void {
  if (object.keyLevel === 4) throw new KryptonError('KRY_OP_L4_AT_CORE');
}

/** Attributes of a request: 1.x Template-Attribute / 2.x Attributes, or 1.x bare Attribute items. */
export function requestAttributes(payload: StructureItem | undefined): KmipAttribute[] {
  const container = child(payload, Tag.Attributes) ?? child(payload, Tag.TemplateAttribute);
  const out = container
    ? readAttributes(container, container.tag === Tag.Attributes ? 'Attributes' : 'TemplateAttribute')
    : [];
  for (const a of children(payload, Tag.Attribute)) out.push(readAttributeStructure(a));
  return out;
}

/** Attributes a client may not set: the server sets them (KMIP 2.1 §4, "Modifiable by client: No"). */
export const SERVER_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set([
  'UniqueIdentifier',
  'State',
  'InitialDate',
  'LastChangeDate',
  'DestroyDate',
  'CompromiseDate',
  'CompromiseOccurrenceDate',
  'ArchiveDate',
  'Digest',
  'Fresh',
  'RevocationReason',
  'Link',
  'OriginalCreationDate',
  'KeyValuePresent',
  'KeyValueLocation',
  'AlwaysSensitive',
  'NeverExtractable',
  'LeaseTime',
  'RandomNumberGenerator',
]);

const DATE_ATTRIBUTES: ReadonlySet<string> = new Set(LIFECYCLE_DATE_NAMES);

/** Every attribute of an object, as KMIP attributes (the writer leaves out what a version lacks). */
export function attributesOf(object: ManagedObject): KmipAttribute[] {
  const out: KmipAttribute[] = [
    { name: 'UniqueIdentifier', value: object.id },
    { name: 'ObjectType', value: object.objectType },
  ];
  if (object.cryptographicAlgorithm !== undefined)
    out.push({ name: 'CryptographicAlgorithm', value: object.cryptographicAlgorithm });
  if (object.cryptographicLength !== undefined)
    out.push({ name: 'CryptographicLength', value: object.cryptographicLength });
  out.push({ name: 'State', value: object.state });
  for (const name of LIFECYCLE_DATE_NAMES) {
    const d = object.dates[name];
    if (d !== undefined) out.push({ name, value: d });
  }
  for (const link of object.links) {
    out.push({
      name: 'Link',
      value: { LinkType: link.linkType, LinkedObjectIdentifier: link.linkedObjectId },
    });
  }
  // Fresh: KMIP 1.1+ (the writer omits it from 1.0 answers).
  out.push({ name: 'Fresh', value: object.fresh });
  if (object.keyLevel !== undefined && object.keyLevel >= 2)
    out.push({ name: LEVEL_ATTRIBUTE, value: `L${object.keyLevel}` });
  // A certificate's own attributes come from the certificate itself.
  const fromCertificate =
    object.objectType === ObjectType.Certificate && object.publicMaterial !== undefined
      ? certificateAttributes(object.publicMaterial)
      : [];
  out.push(...fromCertificate);
  const derived = new Set(fromCertificate.map((a) => a.name));
  const indexes = new Map<string, number>();
  for (const a of object.attributes) {
    if (DATE_ATTRIBUTES.has(a.name) || derived.has(a.name)) continue;
    const key = `${a.vendorIdentification ?? ''}\u0000${a.name}`;
    const index = indexes.get(key) ?? 0;
    indexes.set(key, index + 1);
    out.push({
      name: a.name,
      ...(a.vendorIdentification !== undefined && { vendorIdentification: a.vendorIdentification }),
      index,
      value: a.value,
    });
  }
  return out;
}

/** Link types of KMIP 2.1 §11.30 as a set, for request validation. */
export const LINK_TYPES: ReadonlySet<number> = new Set(Object.values(LinkType));
export const OBJECT_TYPES: ReadonlySet<number> = new Set(Object.values(ObjectType));

/** Reads a Text String child or fails with Invalid Field naming it. */
export function textChild(item: TtlvItem | undefined, tag: number, field: string): string | undefined {
  const c = child(item, tag);
  if (c === undefined) return undefined;
  if (c.type !== 'TextString') throw new KryptonError('KRY_OP_INVALID_FIELD', field);
  return c.value;
}

export function enumChild(item: TtlvItem | undefined, tag: number, field: string): number | undefined {
  const c = child(item, tag);
  if (c === undefined) return undefined;
  if (c.type !== 'Enumeration') throw new KryptonError('KRY_OP_INVALID_FIELD', field);
  return c.value;
}

export function bytesChild(item: TtlvItem | undefined, tag: number, field: string): Uint8Array | undefined {
  const c = child(item, tag);
  if (c === undefined) return undefined;
  if (c.type !== 'ByteString') throw new KryptonError('KRY_OP_INVALID_FIELD', field);
  return c.value;
}

export function integerChild(item: TtlvItem | undefined, tag: number, field: string): number | undefined {
  const c = child(item, tag);
  if (c === undefined) return undefined;
  if (c.type !== 'Integer' && c.type !== 'Interval') throw new KryptonError('KRY_OP_INVALID_FIELD', field);
  return c.value;
}

/**
 * Wrong Key Lifecycle State and Object Destroyed are 2.0 reasons, and the OASIS 2.0 cases still
 * answer a lifecycle refusal with Permission Denied (CS-AC-M-8-20, CS-BC-M-14-20, AKLC-M-2-20;
 * their 2.1 versions answer Wrong Key Lifecycle State): a 1.x or 2.0 request gets Permission
 * Denied for a lifecycle refusal, and a 1.x request for a destroyed object too.
 */
export function errorForVersion(err: unknown, version: KmipVersion): unknown {
  if (!isKryptonError(err)) return err;
  const before21 = versionIndex(version) < versionIndex('2.1');
  if (before21 && err.reason === 'WrongKeyLifecycleState')
    return new KryptonError('KRY_OP_WRONG_STATE_1X', err.message);
  if (!isV2(version) && err.reason === 'ObjectDestroyed')
    return new KryptonError('KRY_OP_WRONG_STATE_1X', err.message);
  return err;
}

type Handle = (ctx: RequestContext, payload: StructureItem | undefined) => Promise<TtlvItem[]>;

/** Wraps a core handler so that its errors use the reasons of the request's version. */
export function versioned(handle: Handle): Handle {
  return async (ctx, payload) => {
    try {
      return await handle(ctx, payload);
    } catch (err) {
      throw errorForVersion(err, ctx.protocolVersion);
    }
  };
}
