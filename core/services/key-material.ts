/**
 * Symmetric key material at the core: new L3 keys are wrapped under the tenant's L2 before they
 * reach the Store (DESIGN §5: never stored unwrapped), and unwrapped only in memory for Encrypt,
 * Decrypt and wrapped Get, with the plaintext zeroed after use. An L3 met under a rotated L2 is
 * re-wrapped under the successor on the way (lazy re-wrap).
 */
import { createHash } from 'node:crypto';
import { KryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import type { KmipAttribute } from '../attributes/index.js';
import type { KeyLevel } from '../keys/key-records.js';
import {
  ObjectType,
  State,
  wrappedKeyMaterial,
  type LifecycleDateName,
  type LifecycleDates,
  type ManagedObject,
  type NewAttribute,
  type NewManagedObject,
} from '../../storage-adapters/index.js';
import { LEVEL_ATTRIBUTE, levelNumber } from './key-level.js';
import { KWP_METHOD } from './store-key-records.js';
import { SERVER_ONLY_ATTRIBUTES, servicesOf, Usage, usageMaskOf } from './objects.js';

/** KMIP 2.1 §11.13 Cryptographic Algorithm AES; lengths the core creates and accepts. */
export const AES = 3;
export const AES_LENGTHS: ReadonlySet<number> = new Set([128, 192, 256]);
/** KMIP 2.1 §11.21 Hashing Algorithm SHA-256; §11.26 Key Format Type Raw. */
const SHA_256 = 6;
const RAW = 1;

/**
 * The Random Number Generator attribute (KMIP 2.1 §4.48, 1.4 §3.44) of keys the core generates
 * with node:crypto: OpenSSL's default CTR DRBG (NIST SP 800-90A) on AES-256.
 */
export const RNG_ATTRIBUTE: NewAttribute = Object.freeze({
  name: 'RandomNumberGenerator',
  value: Object.freeze({
    RNGAlgorithm: 3,
    CryptographicAlgorithm: AES,
    CryptographicLength: 256,
    DRBGAlgorithm: 5,
  }),
});

/** Client-settable dates a new object may carry (KMIP 2.1 §4). */
const SETTABLE_DATES = new Set(['ActivationDate', 'ProcessStartDate', 'ProtectStopDate', 'DeactivationDate']);

export interface NewKeyFields {
  readonly cryptographicAlgorithm: number | undefined;
  readonly cryptographicLength: number | undefined;
  readonly dates: LifecycleDates;
  readonly attributes: NewAttribute[];
}

/**
 * Splits request attributes into the Store's promoted fields and attribute rows, refusing what
 * a client may not set (Invalid Field, KMIP 2.1 §6.1.10 / 1.4 §4.1 error tables).
 */
export function newKeyFields(attrs: readonly KmipAttribute[]): NewKeyFields {
  let cryptographicAlgorithm: number | undefined;
  let cryptographicLength: number | undefined;
  const dates: LifecycleDates = {};
  const attributes: NewAttribute[] = [];
  for (const a of attrs) {
    if (a.name === LEVEL_ATTRIBUTE) continue;
    if (SERVER_ONLY_ATTRIBUTES.has(a.name))
      throw new KryptonError('KRY_OP_INVALID_FIELD', `${a.name} is set by the server`);
    if (a.name === 'ObjectType') continue;
    if (a.name === 'CryptographicAlgorithm') {
      if (typeof a.value !== 'number') throw new KryptonError('KRY_OP_INVALID_FIELD', a.name);
      cryptographicAlgorithm = a.value;
    } else if (a.name === 'CryptographicLength') {
      if (typeof a.value !== 'number') throw new KryptonError('KRY_OP_INVALID_FIELD', a.name);
      cryptographicLength = a.value;
    } else if (SETTABLE_DATES.has(a.name)) {
      if (!(a.value instanceof Date)) throw new KryptonError('KRY_OP_INVALID_FIELD', a.name);
      dates[a.name as LifecycleDateName] = a.value;
    } else if (a.name === 'CryptographicUsageMask' && typeof a.value !== 'number') {
      throw new KryptonError('KRY_OP_INVALID_FIELD', a.name);
    } else {
      attributes.push({
        name: a.name,
        ...(a.vendorIdentification !== undefined && { vendorIdentification: a.vendorIdentification }),
        value: a.value,
      });
    }
  }
  const single = new Set(['CryptographicUsageMask', 'CryptographicParameters']);
  for (const name of single) {
    if (attributes.filter((x) => x.name === name).length > 1)
      throw new KryptonError('KRY_OP_INVALID_FIELD', `${name} is single-valued here`);
  }
  return { cryptographicAlgorithm, cryptographicLength, dates, attributes };
}

/**
 * The state of a new object: Active when an Activation Date at or before now is given,
 * Pre-Active otherwise (KMIP 2.1 §4.1 / 1.4 §3.24; Create 2.1 §6.1.10).
 */
export function initialState(dates: LifecycleDates, now: Date): State {
  return dates.ActivationDate !== undefined && dates.ActivationDate <= now ? State.Active : State.PreActive;
}

/** KMIP 1.4 §3.17 Digest of the key value (SHA-256 over the Raw key): not secret, computed on arrival. */
export function digestAttribute(key: Uint8Array): NewAttribute {
  return {
    name: 'Digest',
    value: {
      HashingAlgorithm: SHA_256,
      DigestValue: new Uint8Array(createHash('sha256').update(key).digest()),
      KeyFormatType: RAW,
    },
  };
}

export function checkAesLength(
  algorithm: number | undefined,
  length: number | undefined,
  keyBytes?: number,
): void {
  if (algorithm !== AES)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Algorithm: the core keeps AES keys');
  if (length === undefined || !AES_LENGTHS.has(length))
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Length must be 128, 192 or 256');
  if (keyBytes !== undefined && keyBytes * 8 !== length)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Length does not match the key material');
}

/** Usage of a key created without a Cryptographic Usage Mask. */
const DEFAULT_USAGE = Usage.Encrypt | Usage.Decrypt;

/**
 * The fields of a new AES Symmetric Key from a Create's attributes, checked as Create checks them
 * wherever the key is generated (an L2/L3 at the core, an L4 at the gateway), with the default
 * Cryptographic Usage Mask when none is given.
 *
 * Failure cases: see newKeyFields and checkAesLength; Quantum Safe true with a key shorter than
 * 256 bits → General Failure.
 */
export function newSymmetricKeyFields(attrs: readonly KmipAttribute[]): NewKeyFields {
  const fields = newKeyFields(attrs);
  checkAesLength(fields.cryptographicAlgorithm, fields.cryptographicLength);
  // Quantum Safe (KMIP 2.1 §4, "Quantum Safe"): Grover's search leaves an AES-128 or -192 key half its bits;
  // only AES-256 keeps 128 (CNSA 2.0). The Quantum Safe profile case QS-M-2 expects the refusal.
  const quantumSafe = fields.attributes.some((a) => a.name === 'QuantumSafe' && a.value === true);
  if (quantumSafe && fields.cryptographicLength !== 256) throw new KryptonError('KRY_OP_NOT_QUANTUM_SAFE');
  if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
    fields.attributes.push({ name: 'CryptographicUsageMask', value: DEFAULT_USAGE });
  return fields;
}

/**
 * A new L3 Symmetric Key object: `key` wrapped under the tenant's current L2 (created on first
 * use). The caller zeroes `key`.
 */
export async function wrappedL3Object(
  ctx: RequestContext,
  key: Uint8Array,
  fields: NewKeyFields,
  state: State,
  extra: { readonly id?: string } = {},
): Promise<NewManagedObject> {
  const { keys } = servicesOf(ctx);
  const { wrapped, wrappingKeyId } = await keys.wrapUnderTenantKey(ctx.tenant, key);
  return {
    ...(extra.id !== undefined && { id: extra.id }),
    objectType: ObjectType.SymmetricKey,
    owner: ctx.identity.principal,
    state,
    keyLevel: levelNumber('L3' satisfies KeyLevel),
    cryptographicAlgorithm: fields.cryptographicAlgorithm,
    cryptographicLength: fields.cryptographicLength,
    dates:
      state === State.Active && fields.dates.ActivationDate === undefined
        ? { ...fields.dates, ActivationDate: new Date() }
        : fields.dates,
    attributes: [...fields.attributes, digestAttribute(key)],
    keyMaterial: wrappedKeyMaterial({ wrapped, wrappingKeyId, wrappingMethod: KWP_METHOD }),
  };
}

/**
 * Runs `use` with the plaintext of an L2 or L3 Symmetric Key the caller already checked (state,
 * usage, tenant). The plaintext is zeroed when `use` returns; `use` must not keep it.
 */
export async function withSymmetricKey<T>(
  ctx: RequestContext,
  object: ManagedObject,
  usage: 'protect' | 'process',
  use: (key: Buffer) => T,
): Promise<T> {
  const { keys, store } = servicesOf(ctx);
  const material = object.keyMaterial;
  if (material === undefined) throw new KryptonError('KRY_OP_DESTROYED');
  if (object.keyLevel === 2) return keys.withTenantKey(object.id, usage, use);
  if (object.keyLevel !== 3) throw new KryptonError('KRY_OP_L4_AT_CORE');
  const { key, rewrapped } = await keys.unwrapUnderL2(material.wrappingKeyId, material.wrapped);
  try {
    if (rewrapped !== undefined) {
      await store.rewrapForKeyHierarchy(
        object.id,
        wrappedKeyMaterial({ ...rewrapped, wrappingMethod: KWP_METHOD }),
        material.wrappingKeyId,
      );
    }
    return use(key);
  } finally {
    key.fill(0);
  }
}

export { usageMaskOf };
