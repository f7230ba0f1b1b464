/**
 * Lifecycle, usage and parameter checks shared by Sign, Signature Verify, MAC and MAC Verify
 * (KMIP 2.1 §6.1.49, §6.1.51, §6.1.28, §6.1.29). Producing a signature or a MAC "protects":
 * the key must be Active and before its Protect Stop Date. Checking one "processes": Active,
 * Deactivated or Compromised keys may verify (KMIP 2.1 §3.3 / 1.4 §3.22), not before the
 * Process Start Date.
 */
import { KryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import { Tag } from '../spec/index.js';
import { child } from '../ttlv/tree.js';
import type { TtlvItem } from '../ttlv/types.js';
import type { SignatureParameters } from '../crypto/signatures.js';
import type { RsaEncryptionParameters } from '../crypto/rsa-encryption.js';
import { State, type AttributeValue, type ManagedObject, type Store } from '../../storage-adapters/index.js';
import { enumChild, integerChild, usageMaskError, usageMaskOf } from './objects.js';

const PROCESSING_STATES: readonly number[] = [State.Active, State.Deactivated, State.Compromised];

export function checkProtect(object: ManagedObject, now = new Date()): void {
  if (object.state !== State.Active)
    throw new KryptonError(
      'KRY_KEY_UNUSABLE',
      object.state === State.Compromised ? 'a Compromised key does not protect' : 'the key is not Active',
    );
  if (object.dates.ProtectStopDate !== undefined && object.dates.ProtectStopDate <= now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Protect Stop Date has passed');
}

export function checkProcess(object: ManagedObject, now = new Date()): void {
  if (!PROCESSING_STATES.includes(object.state))
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key cannot process data in its state');
  if (object.dates.ProcessStartDate !== undefined && object.dates.ProcessStartDate > now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Process Start Date has not come');
}

export function checkUsage(ctx: RequestContext, object: ManagedObject, bit: number, operation: string): void {
  if ((usageMaskOf(object) & bit) === 0) throw usageMaskError(ctx.protocolVersion, operation);
}

/** KMIP 2.1 §11 Usage Limits Unit Object: each protect operation counts one. */
const USAGE_LIMITS_UNIT_OBJECT = 2;

/**
 * Consumes what one protect operation of `dataLength` bytes costs of the key's Usage Limits
 * (KMIP 2.1 §4.63: Unit Byte counts the bytes protected, Unit Object counts one), atomically in
 * the store; nothing to do when the key has none. Exhausted → KRY_STORE_USAGE_LIMIT (Permission
 * Denied, as the Profiles' CS-BC-M-7 cases expect). Called once the data is protected, so a
 * failed operation consumes nothing and no output leaves for an exhausted key.
 */
export async function consumeProtectUsage(
  store: Store,
  tenant: string,
  object: ManagedObject,
  dataLength: number,
): Promise<void> {
  const limits = object.attributes.find((a) => a.name === 'UsageLimits')?.value;
  if (
    limits === undefined ||
    typeof limits !== 'object' ||
    limits instanceof Uint8Array ||
    limits instanceof Date
  )
    return;
  const amount = limits.UsageLimitsUnit === USAGE_LIMITS_UNIT_OBJECT ? 1n : BigInt(dataLength);
  await store.consumeUsage(tenant, object.id, amount);
}

/** Cryptographic Parameters of the request, else the key's attribute (a plain structure). */
export function signatureParameters(
  item: TtlvItem | undefined,
  stored: AttributeValue | undefined,
): SignatureParameters {
  if (item !== undefined) {
    if (item.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Parameters');
    return {
      paddingMethod: enumChild(item, Tag.PaddingMethod, 'Padding Method'),
      hashingAlgorithm: enumChild(item, Tag.HashingAlgorithm, 'Hashing Algorithm'),
      cryptographicAlgorithm: enumChild(item, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm'),
      digitalSignatureAlgorithm: enumChild(
        item,
        Tag.DigitalSignatureAlgorithm,
        'Digital Signature Algorithm',
      ),
      saltLength: integerChild(item, Tag.SaltLength, 'Salt Length'),
      maskGeneratorHashingAlgorithm: enumChild(
        item,
        Tag.MaskGeneratorHashingAlgorithm,
        'Mask Generator Hashing Algorithm',
      ),
    };
  }
  if (
    stored === undefined ||
    typeof stored !== 'object' ||
    stored instanceof Uint8Array ||
    stored instanceof Date
  )
    return {};
  const s = stored as Readonly<Record<string, AttributeValue>>;
  const num = (v: AttributeValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
  return {
    paddingMethod: num(s.PaddingMethod),
    hashingAlgorithm: num(s.HashingAlgorithm),
    cryptographicAlgorithm: num(s.CryptographicAlgorithm),
    digitalSignatureAlgorithm: num(s.DigitalSignatureAlgorithm),
    saltLength: num(s.SaltLength),
    maskGeneratorHashingAlgorithm: num(s.MaskGeneratorHashingAlgorithm),
  };
}

export function storedParameters(object: ManagedObject): AttributeValue | undefined {
  return object.attributes.find((a) => a.name === 'CryptographicParameters')?.value;
}

/** RSA encryption parameters of the request's Cryptographic Parameters, else the key's attribute. */
export function rsaEncryptionParameters(
  item: TtlvItem | undefined,
  stored: AttributeValue | undefined,
): RsaEncryptionParameters {
  if (item !== undefined) {
    if (item.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Parameters');
    const pSource = child(item, Tag.PSource);
    if (pSource !== undefined && pSource.type !== 'ByteString')
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Parameters/P Source');
    return {
      paddingMethod: enumChild(item, Tag.PaddingMethod, 'Padding Method'),
      hashingAlgorithm: enumChild(item, Tag.HashingAlgorithm, 'Hashing Algorithm'),
      maskGenerator: enumChild(item, Tag.MaskGenerator, 'Mask Generator'),
      maskGeneratorHashingAlgorithm: enumChild(
        item,
        Tag.MaskGeneratorHashingAlgorithm,
        'Mask Generator Hashing Algorithm',
      ),
      pSource: pSource?.value,
      cryptographicAlgorithm: enumChild(item, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm'),
    };
  }
  if (
    stored === undefined ||
    typeof stored !== 'object' ||
    stored instanceof Uint8Array ||
    stored instanceof Date
  )
    return {};
  const s = stored as Readonly<Record<string, AttributeValue>>;
  const num = (v: AttributeValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
  return {
    paddingMethod: num(s.PaddingMethod),
    hashingAlgorithm: num(s.HashingAlgorithm),
    maskGenerator: num(s.MaskGenerator),
    maskGeneratorHashingAlgorithm: num(s.MaskGeneratorHashingAlgorithm),
    pSource: s.PSource instanceof Uint8Array ? s.PSource : undefined,
    cryptographicAlgorithm: num(s.CryptographicAlgorithm),
  };
}
