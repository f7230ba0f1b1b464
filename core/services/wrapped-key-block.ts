/**
 * Key material registered wrapped: a Key Block with Key Wrapping Data (KMIP 2.1 §3.1-§3.3,
 * §6.1.43; 1.4 §2.1.3-§2.1.5, §4.3), unwrapped in memory with a key the server holds so that
 * Register stores it exactly as plaintext-registered material (sealed under the key hierarchy).
 *
 * - Wrapping Method Encrypt, with Encryption Key Information naming the key (Unique Identifier,
 *   optional Cryptographic Parameters). AES keys: NIST key wrap (RFC 3394) or key wrap with
 *   padding (RFC 5649); RSA key pairs: RSAES-OAEP (core/crypto/rsa-encryption.ts; SHA-1, SHA-256
 *   …). Without Cryptographic Parameters: NIST key wrap, or OAEP with SHA-256 — what Get wraps with.
 * - The wrapped bytes are the Key Value Byte String (the spec's form), or the Byte String Key
 *   Material of a Key Value structure with nothing beside it (how PyKMIP and others send them).
 * - Encoding Option No Encoding: the plaintext is the Byte String Key Material itself. TTLV
 *   Encoding (the default when absent): the plaintext is a TTLV-encoded Key Value structure, with
 *   its Key Material and any attributes wrapped with it (1.x Attribute items, 2.x Attributes).
 * - The wrapping key must be the caller's tenant's (a foreign or missing one is Wrapping Object
 *   Not Found, 1.x Item Not Found; a destroyed one Wrapping Object Destroyed, an archived one
 *   Wrapping Object Archived, both 1.x Permission Denied: loadWrappingKey), Active, with Unwrap Key
 *   in its Cryptographic Usage Mask. A Public Key named as the wrapping key unwraps with its linked Private Key.
 *
 * Failure cases: Wrapping Method other than Encrypt, MAC/Signature Key Information, a
 * MAC/Signature or an IV/Counter/Nonce → Feature Not Supported; no Encryption Key Information →
 * Missing Data; an Encoding Option that does not fit the Key Value (No Encoding of a Transparent
 * key, a plaintext that is no TTLV Key Value) → Encoding Option Error; the wrapping key not
 * Active → Wrong Key Lifecycle State; without Unwrap Key → Incompatible Cryptographic Usage Mask
 * (1.x Permission Denied); a mode other than the key wraps → Feature Not Supported; a wrapped
 * value that does not unwrap (integrity check, length, padding) → Cryptographic Failure, one
 * message for every cause.
 *
 * Every plaintext buffer (the unwrapped bytes, the byte strings decoded from them) is zeroed when
 * the caller's use of the unwrapped Key Block settles. Big Integers of a TTLV-encoded Transparent
 * private key are JavaScript bigints and cannot be zeroed: the Byte String formats avoid that.
 */
import { KryptonError, isKryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  EncodingOption,
  KeyFormatType,
  Tag,
  WrappingMethod,
} from '../spec/index.js';
import { decodeTtlv } from '../ttlv/decoder.js';
import { byteString, child, enumeration, structure } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { LinkType, ObjectType, State, type ManagedObject } from '../../storage-adapters/index.js';
import { rsaDecrypt } from '../crypto/rsa-encryption.js';
import { runKeyWrap } from '../keys/aes-key-wrap.js';
import { withPrivateKey } from './asymmetric-objects.js';
import { cipherParameters, type CipherParameters } from './cipher.js';
import { rsaEncryptionParameters } from './key-usage.js';
import { AES } from './key-material.js';
import {
  enumChild,
  isDestroyed,
  linkOf,
  loadObject,
  objectTypeError,
  refuseL4,
  textChild,
  usageMaskError,
  usageMaskOf,
  Usage,
} from './objects.js';
import { withSymmetricKeyBytes } from './sealed-material.js';

/** What a Key Block's Key Wrapping Data says, and the wrapped bytes. */
export interface KeyWrapping {
  /** The Unique Identifier of the key the Key Value was encrypted with. */
  readonly keyId: string;
  readonly parameters: TtlvItem | undefined;
  readonly encoding: number;
  readonly wrapped: Uint8Array;
}

/** The Key Wrapping Data of `block`, checked; undefined when the Key Block is not wrapped. */
export function keyWrappingOf(block: TtlvItem): KeyWrapping | undefined {
  const data = child(block, Tag.KeyWrappingData);
  if (data === undefined) return undefined;
  if (data.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Wrapping Data');
  const method = enumChild(data, Tag.WrappingMethod, 'Wrapping Method');
  if (method === undefined)
    throw new KryptonError('KRY_OP_MISSING_DATA', 'Key Wrapping Data/Wrapping Method');
  if (method !== WrappingMethod.Encrypt)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'registering wrapped keys: Wrapping Method Encrypt',
    );
  if (
    child(data, Tag.MACSignatureKeyInformation) !== undefined ||
    child(data, Tag.MACSignature) !== undefined
  )
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'MAC/Signature of a wrapped Key Value');
  if (child(data, Tag.IVCounterNonce) !== undefined)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'the key wraps and RSA-OAEP take no IV/Counter/Nonce',
    );
  const info = child(data, Tag.EncryptionKeyInformation);
  const keyId = textChild(info, Tag.UniqueIdentifier, 'Encryption Key Information/Unique Identifier');
  if (keyId === undefined)
    throw new KryptonError('KRY_OP_MISSING_DATA', 'Key Wrapping Data/Encryption Key Information');
  const encoding = enumChild(data, Tag.EncodingOption, 'Encoding Option') ?? EncodingOption.TTLVEncoding;
  if (encoding !== EncodingOption.TTLVEncoding && encoding !== EncodingOption.NoEncoding)
    throw new KryptonError('KRY_OP_ENCODING_OPTION', 'No Encoding or TTLV Encoding');
  return {
    keyId,
    parameters: child(info, Tag.CryptographicParameters),
    encoding,
    wrapped: wrappedBytes(block),
  };
}

function wrappedBytes(block: TtlvItem): Uint8Array {
  const value = child(block, Tag.KeyValue);
  if (value?.type === 'ByteString') return value.value;
  const material = child(value, Tag.KeyMaterial);
  if (value?.type === 'Structure' && material?.type === 'ByteString') {
    // Beside wrapped Key Material nothing is in the clear (KMIP 2.1 §3.3: No Encoding, no attributes).
    if (value.value.length !== 1)
      throw new KryptonError(
        'KRY_OP_ENCODING_OPTION',
        'a wrapped Key Value carries nothing beside its Key Material',
      );
    return material.value;
  }
  throw new KryptonError('KRY_OP_MISSING_DATA', 'the wrapped Key Value');
}

/** Zeroes every Byte String of a tree decoded from plaintext. */
function zeroByteStrings(item: TtlvItem): void {
  if (item.type === 'ByteString') item.value.fill(0);
  else if (item.type === 'Structure') for (const c of item.value) zeroByteStrings(c);
}

const TRANSPARENT_FORMATS: ReadonlySet<number> = new Set([
  KeyFormatType.TransparentSymmetricKey,
  KeyFormatType.TransparentRSAPrivateKey,
  KeyFormatType.TransparentECPrivateKey,
  KeyFormatType.TransparentECDSAPrivateKey,
  KeyFormatType.TransparentDSAPrivateKey,
  KeyFormatType.TransparentDHPrivateKey,
  KeyFormatType.TransparentECDHPrivateKey,
  KeyFormatType.TransparentECMQVPrivateKey,
]);

/** The plaintext Key Value structure of `plain` per the Encoding Option. */
function plaintextKeyValue(block: StructureItem, wrapping: KeyWrapping, plain: Buffer): StructureItem {
  if (wrapping.encoding === EncodingOption.NoEncoding) {
    const format = enumChild(block, Tag.KeyFormatType, 'Key Format Type');
    if (format !== undefined && TRANSPARENT_FORMATS.has(format))
      throw new KryptonError('KRY_OP_ENCODING_OPTION', 'No Encoding wraps Byte String Key Material only');
    return structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, plain)]);
  }
  let value: TtlvItem;
  try {
    value = decodeTtlv(plain, { maxDepth: 8 });
  } catch {
    // No offset or detail: the plaintext is not described.
    throw new KryptonError('KRY_OP_ENCODING_OPTION', 'the unwrapped value is not a TTLV-encoded Key Value');
  }
  if (value.tag !== Tag.KeyValue || value.type !== 'Structure') {
    zeroByteStrings(value);
    throw new KryptonError('KRY_OP_ENCODING_OPTION', 'the unwrapped value is not a TTLV-encoded Key Value');
  }
  return value;
}

/** Unwraps `wrapping` (the caller zeroes the result). */
export type KeyUnwrapper = (wrapping: KeyWrapping) => Promise<Buffer>;

/**
 * Runs `use` with `block` unwrapped: its Key Value the plaintext Key Value structure, without
 * Key Wrapping Data. Every plaintext byte is zeroed when `use` settles; `use` must not keep them.
 */
export async function withUnwrappedKeyBlock<T>(
  block: StructureItem,
  wrapping: KeyWrapping,
  unwrap: KeyUnwrapper,
  use: (block: StructureItem) => Promise<T>,
): Promise<T> {
  const plain = await unwrap(wrapping);
  let value: StructureItem | undefined;
  try {
    value = plaintextKeyValue(block, wrapping, plain);
    const unwrapped = value;
    const items = block.value
      .filter((c) => c.tag !== Tag.KeyWrappingData)
      .map((c) => (c.tag === Tag.KeyValue ? unwrapped : c));
    return await use(structure(Tag.KeyBlock, items));
  } finally {
    if (value !== undefined) zeroByteStrings(value);
    plain.fill(0);
  }
}

/** What the unwrap checks need to know of a wrapping key. */
export interface UnwrappingKeyView {
  /** The state with the date-driven transitions applied. */
  readonly state: number;
  readonly usageMask: number;
  readonly processStartDate: Date | undefined;
}

/**
 * A wrapping key unwraps a key being registered while Active, from its Process Start Date, with
 * Unwrap Key in its Cryptographic Usage Mask (KMIP 2.1 §12.1: "Unwrap Key").
 */
export function checkUnwrappingKey(ctx: RequestContext, key: UnwrappingKeyView, now = new Date()): void {
  if (key.state !== State.Active)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the wrapping key is not Active');
  if (key.processStartDate !== undefined && key.processStartDate > now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Process Start Date of the wrapping key has not come');
  if ((key.usageMask & Usage.UnwrapKey) === 0) throw usageMaskError(ctx.protocolVersion, 'Unwrap Key');
}

const NIST_KEY_WRAP = structure(Tag.CryptographicParameters, [
  enumeration(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap),
]);

/** The AES key wrap the parameters name: NIST key wrap when none are given (as Get wraps). */
export function keyWrapParameters(parameters: TtlvItem | undefined): CipherParameters {
  const p = cipherParameters(parameters ?? NIST_KEY_WRAP, undefined);
  if (p.mode !== BlockCipherMode.NISTKeyWrap && p.mode !== BlockCipherMode.AESKeyWrapPadding)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'unwrapping with an AES key: NIST key wrap or key wrap with padding',
    );
  return p;
}

/** One Cryptographic Failure for every way a wrapped value fails to open: nothing else is told. */
export function unwrapFailure(): KryptonError {
  return new KryptonError('KRY_CRYPTO_FAILURE', 'the wrapped key material does not unwrap');
}

/** `wrapped` unwrapped with the AES key `kek` (NIST key wrap or key wrap with padding). */
export function aesUnwrap(kek: Buffer, p: CipherParameters, wrapped: Uint8Array): Buffer {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) throw unwrapFailure();
  const padded = p.mode === BlockCipherMode.AESKeyWrapPadding;
  if (wrapped.length < (padded ? 16 : 24) || wrapped.length % 8 !== 0) throw unwrapFailure();
  try {
    return runKeyWrap(kek, padded, true, wrapped);
  } catch {
    throw unwrapFailure();
  }
}

/**
 * The key a Key Wrapping Specification or Key Wrapping Data names, of the caller's tenant. A
 * missing or foreign one is Wrapping Object Not Found (KMIP 2.1 §6.1.19, §6.1.21 error tables;
 * the dispatcher answers 1.x with Item Not Found, as 1.4 §11.12 "Wrapping key does not exist").
 * A destroyed one is Wrapping Object Destroyed, an archived one Wrapping Object Archived (2.x;
 * 1.x Permission Denied, 1.4 §11.12 "exists, but it is not able to be used for wrapping").
 */
export async function loadWrappingKey(ctx: RequestContext, id: string): Promise<ManagedObject> {
  let key: ManagedObject;
  try {
    key = await loadObject(ctx, id);
  } catch (err) {
    if (isKryptonError(err) && err.code === 'KRY_STORE_NOT_FOUND')
      throw new KryptonError('KRY_OP_WRAPPING_KEY_NOT_FOUND');
    throw err;
  }
  refuseGoneWrappingKey(key);
  return key;
}

/**
 * A wrapping key that exists but is destroyed or archived cannot wrap or unwrap: Wrapping Object
 * Destroyed / Wrapping Object Archived (2.x; 1.x Permission Denied, 1.4 §11.12). The gateway
 * applies it to the wrapping keys it finds in its vault or asks the core about.
 */
export function refuseGoneWrappingKey(key: { readonly state: number; readonly archived: boolean }): void {
  if (isDestroyed(key)) throw new KryptonError('KRY_OP_WRAPPING_KEY_DESTROYED');
  if (key.archived) throw new KryptonError('KRY_OP_WRAPPING_KEY_ARCHIVED');
}

/** The Private Key of a Public Key named as the wrapping key (its Private Key Link, same tenant). */
async function privateKeyOf(ctx: RequestContext, publicKey: ManagedObject): Promise<ManagedObject> {
  const id = linkOf(publicKey, LinkType.PrivateKeyLink);
  if (id === undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the wrapping Public Key has no Private Key here');
  return loadWrappingKey(ctx, id);
}

/**
 * Unwraps at the core with the key `wrapping` names: an AES key of the hierarchy (L2, L3) or
 * sealed, or an RSA Private Key (or the Public Key of a pair the core holds).
 */
export async function unwrapWithHeldKey(ctx: RequestContext, wrapping: KeyWrapping): Promise<Buffer> {
  let key = await loadWrappingKey(ctx, wrapping.keyId);
  refuseL4(key);
  if (key.objectType === ObjectType.PublicKey) key = await privateKeyOf(ctx, key);
  const isRsa =
    key.objectType === ObjectType.PrivateKey && key.cryptographicAlgorithm === CryptographicAlgorithm.RSA;
  const isAes = key.objectType === ObjectType.SymmetricKey && key.cryptographicAlgorithm === AES;
  if (!isRsa && !isAes)
    throw objectTypeError(ctx.protocolVersion, 'the wrapping key is an AES key or an RSA key pair');
  checkUnwrappingKey(ctx, {
    state: key.state,
    usageMask: usageMaskOf(key),
    processStartDate: key.dates.ProcessStartDate,
  });
  if (isRsa) {
    const params = rsaEncryptionParameters(wrapping.parameters, undefined);
    try {
      return await withPrivateKey(ctx, key, (k) => rsaDecrypt(k, params, wrapping.wrapped));
    } catch (err) {
      if (isKryptonError(err) && err.reason === 'CryptographicFailure') throw unwrapFailure();
      throw err;
    }
  }
  const params = keyWrapParameters(wrapping.parameters);
  return withSymmetricKeyBytes(ctx, key, 'process', (kek) => aesUnwrap(kek, params, wrapping.wrapped));
}
