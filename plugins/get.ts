/**
 * Get (KMIP 2.1 §6.1.21, 1.4 §4.11) at the core.
 *
 * - L3 Symmetric Key: only to gateway identities, and only wrapped: the request needs a Key
 *   Wrapping Specification (Wrapping Method Encrypt) naming a key of the tenant — a registered
 *   RSA Public Key (RSA-OAEP with SHA-256: the gateway's transport key, whose private half never
 *   leaves the gateway) or an Active AES L3 with Wrap Key usage (NIST key wrap, or key wrap with
 *   padding). Encoding Option TTLV (default) wraps the encoded Key Value, No Encoding the bytes.
 * - L2: never leaves the core. L4: refused (the core holds none).
 * - Public Key (RSA, EC, Ed25519) and Certificate: to any identity of the tenant; a public key in
 *   the format it was registered or generated in unless Key Format Type asks for another (X.509
 *   SubjectPublicKeyInfo, PKCS#1, Transparent RSA/EC, Raw Ed25519; core/crypto/key-formats.ts).
 * - Objects outside the hierarchy (Private Key, Secret Data, Opaque Object, non-AES Symmetric
 *   Key): opened from their seal for any identity of the tenant, in the requested format (private
 *   keys: PKCS#1, PKCS#8, ECPrivateKey, Transparent RSA/EC, Raw Ed25519), or wrapped per a Key
 *   Wrapping Specification as for L3s. Sensitive → Sensitive (unless wrapped); Extractable false
 *   → Not Extractable (KMIP 2.1 §4.50, §4.20).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); unknown or
 * foreign wrapping key → Wrapping Object Not Found (1.x Item Not Found, 1.4 §11.12); L2, non-gateway
 * L3, L3 without a wrapping specification → Permission Denied; L4 → Permission Denied; destroyed →
 * Wrong Key Lifecycle State; an unsupported Key Format Type → Key Format Type Not Supported;
 * Wrapping Method other than Encrypt, or MAC/sign key information → Feature Not Supported.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import {
  exportPrivateKey,
  exportPublicKey,
  keyProfile,
  privateKeyFormats,
  privateKeyFromDer,
  publicKeyFormats,
  type AsymmetricKind,
} from '../core/crypto/key-formats.js';
import { defaultFormatOf, FORMAT_METADATA, publicKeyOf } from '../core/services/asymmetric-objects.js';
import { sealedMetadata, withSealedSecret } from '../core/services/sealed-material.js';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  EncodingOption,
  HashingAlgorithm,
  KeyFormatType,
  PaddingMethod,
  Tag,
  WrappingMethod,
} from '../core/spec/index.js';
import { encodeTtlv } from '../core/ttlv/encoder.js';
import { byteString, child, enumeration, integer, structure, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { cipherParameters, encryptWith } from '../core/services/cipher.js';
import { withSymmetricKey } from '../core/services/key-material.js';
import { loadWrappingKey } from '../core/services/wrapped-key-block.js';
import {
  enumChild,
  isDestroyed,
  linkOf,
  loadObject,
  refuseL4,
  requirePayload,
  servicesOf,
  textChild,
  uniqueIdentifierOf,
  usageMaskOf,
  Usage,
  versioned,
} from '../core/services/objects.js';
import { LinkType, ObjectType, State, type ManagedObject } from '../storage-adapters/index.js';
import { tagInVersion } from '../core/spec/index.js';

/** KMIP 2.1 §11.13 Cryptographic Algorithm RSA. */
const RSA = 4;

interface WrappingRequest {
  readonly keyId: string;
  readonly parameters: TtlvItem | undefined;
  readonly encoding: number;
}

function wrappingRequest(spec: TtlvItem | undefined): WrappingRequest | undefined {
  if (spec === undefined) return undefined;
  const method = enumChild(spec, Tag.WrappingMethod, 'Wrapping Method');
  if (method !== WrappingMethod.Encrypt)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Wrapping Method: Encrypt');
  if (child(spec, Tag.MACSignatureKeyInformation) !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'MAC/Signature Key Information');
  const info = child(spec, Tag.EncryptionKeyInformation);
  const keyId = textChild(info, Tag.UniqueIdentifier, 'Encryption Key Information/Unique Identifier');
  if (keyId === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Encryption Key Information');
  const encoding = enumChild(spec, Tag.EncodingOption, 'Encoding Option') ?? EncodingOption.TTLVEncoding;
  if (encoding !== EncodingOption.TTLVEncoding && encoding !== EncodingOption.NoEncoding)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Encoding Option');
  return { keyId, parameters: child(info, Tag.CryptographicParameters), encoding };
}

function rsaOaepSha256(spki: Uint8Array, parameters: TtlvItem | undefined, plaintext: Uint8Array): Buffer {
  const padding = enumChild(parameters, Tag.PaddingMethod, 'Padding Method');
  const hash = enumChild(parameters, Tag.HashingAlgorithm, 'Hashing Algorithm');
  if (
    (padding !== undefined && padding !== PaddingMethod.OAEP) ||
    (hash !== undefined && hash !== HashingAlgorithm.SHA_256)
  )
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'RSA wrapping is OAEP with SHA-256');
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
}

/** Wraps the plaintext of `object` under the key the specification names (a key of the tenant). */
async function wrapForExport(
  ctx: RequestContext,
  object: ManagedObject,
  request: WrappingRequest,
  inner: (key: Buffer) => Buffer,
): Promise<Buffer> {
  const wrapping = await loadWrappingKey(ctx, request.keyId);
  refuseL4(wrapping);
  if (wrapping.state !== State.Active)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the wrapping key is not Active');
  if (wrapping.objectType === ObjectType.PublicKey) {
    if (wrapping.publicMaterial === undefined || wrapping.cryptographicAlgorithm !== RSA)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'the wrapping public key must be RSA');
    const spki = wrapping.publicMaterial;
    return withObjectSecret(ctx, object, (key) => {
      const plain = inner(key);
      try {
        return rsaOaepSha256(spki, request.parameters, plain);
      } finally {
        plain.fill(0);
      }
    });
  }
  if (wrapping.objectType !== ObjectType.SymmetricKey || wrapping.keyLevel !== 3)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the wrapping key must be an L3 or an RSA public key');
  if ((usageMaskOf(wrapping) & Usage.WrapKey) === 0)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the wrapping key lacks Wrap Key usage');
  if (linkOf(wrapping, LinkType.ReplacementObjectLink) !== undefined)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the wrapping key was replaced: decrypt only');
  const params = cipherParameters(
    request.parameters ??
      structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap)]),
    undefined,
  );
  if (params.mode !== BlockCipherMode.NISTKeyWrap && params.mode !== BlockCipherMode.AESKeyWrapPadding)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'symmetric wrapping is NIST key wrap or key wrap with padding',
    );
  const plain = await withObjectSecret(ctx, object, (key) => inner(key));
  try {
    return await withSymmetricKey(
      ctx,
      wrapping,
      'protect',
      (kek) => encryptWith(kek, params, { data: plain, iv: undefined, aad: undefined }).data,
    );
  } finally {
    plain.fill(0);
  }
}

/**
 * The secret bytes of an object: an L2/L3 through the key hierarchy, anything else sealed under
 * the tenant's L2 (a private key as PKCS#8, Secret Data, an Opaque Object, a non-AES key).
 */
async function withObjectSecret<T>(
  ctx: RequestContext,
  object: ManagedObject,
  use: (secret: Buffer) => T,
): Promise<T> {
  if (object.keyLevel === undefined) return withSealedSecret(ctx, object, use);
  return withSymmetricKey(ctx, object, 'process', use);
}

function keyFormatOf(
  ctx: RequestContext,
  payload: StructureItem,
  allowed: readonly number[],
  fallback: number,
): number {
  const asked = enumChild(payload, Tag.KeyFormatType, 'Key Format Type');
  if (child(payload, Tag.KeyCompressionType) !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Key Compression Type');
  if (asked !== undefined && !allowed.includes(asked)) throw new KryptonError('KRY_OP_KEY_FORMAT');
  return asked ?? fallback;
}

/** Public Key (in the requested or registered format) or Certificate items. */
function publicObjectItem(ctx: RequestContext, object: ManagedObject, body: StructureItem): TtlvItem {
  if (object.objectType === ObjectType.Certificate) {
    if (child(body, Tag.KeyFormatType) !== undefined) throw new KryptonError('KRY_OP_KEY_FORMAT');
    const type = object.attributes.find((a) => a.name === 'CertificateType')?.value;
    return structure(Tag.Certificate, [
      enumeration(Tag.CertificateType, typeof type === 'number' ? type : 1),
      byteString(Tag.CertificateValue, object.publicMaterial ?? new Uint8Array()),
    ]);
  }
  const key = publicKeyOf(object);
  const { kind } = keyProfile(key);
  const format = keyFormatOf(ctx, body, publicKeyFormats(kind), defaultFormatOf(object, KeyFormatType.X_509));
  return structure(Tag.PublicKey, [
    keyBlock(object, format, structure(Tag.KeyValue, [exportPublicKey(key, format)])),
  ]);
}

function keyBlock(object: ManagedObject, format: number, value: TtlvItem, wrapping?: TtlvItem): TtlvItem {
  return structure(Tag.KeyBlock, [
    enumeration(Tag.KeyFormatType, format),
    value,
    ...(object.cryptographicAlgorithm !== undefined
      ? [enumeration(Tag.CryptographicAlgorithm, object.cryptographicAlgorithm)]
      : []),
    ...(object.cryptographicLength !== undefined
      ? [integer(Tag.CryptographicLength, object.cryptographicLength)]
      : []),
    ...(wrapping !== undefined ? [wrapping] : []),
  ]);
}

/** The Key Material of sealed `secret` in `format` (private keys are sealed as PKCS#8). */
function sealedKeyMaterial(object: ManagedObject, secret: Buffer, format: number): TtlvItem {
  if (object.objectType === ObjectType.PrivateKey) return exportPrivateKey(privateKeyFromDer(secret), format);
  // A copy: the sealed plaintext is zeroed when the caller's callback returns.
  if (format === KeyFormatType.TransparentSymmetricKey)
    return structure(Tag.KeyMaterial, [byteString(Tag.Key, Buffer.from(secret))]);
  return byteString(Tag.KeyMaterial, Buffer.from(secret));
}

function sealedFormats(object: ManagedObject, stored: number | undefined): readonly number[] {
  if (object.objectType === ObjectType.PrivateKey) {
    const kind: AsymmetricKind =
      object.cryptographicAlgorithm === CryptographicAlgorithm.RSA
        ? 'rsa'
        : object.cryptographicAlgorithm === CryptographicAlgorithm.Ed25519
          ? 'ed25519'
          : 'ec';
    return privateKeyFormats(kind);
  }
  if (object.objectType === ObjectType.SymmetricKey)
    return [KeyFormatType.Raw, KeyFormatType.TransparentSymmetricKey];
  return stored !== undefined ? [stored] : [KeyFormatType.Opaque];
}

/** Private Key, Secret Data, Opaque Object or non-AES Symmetric Key, opened from its seal. */
async function sealedObjectItem(
  ctx: RequestContext,
  object: ManagedObject,
  body: StructureItem,
  request: WrappingRequest | undefined,
): Promise<TtlvItem> {
  if (object.objectType === ObjectType.OpaqueObject) {
    if (request !== undefined || child(body, Tag.KeyFormatType) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Opaque Objects are returned as registered');
    const dataType = sealedMetadata(object, 'opaqueDataType') ?? 0x80000000;
    const value = await withSealedSecret(ctx, object, (secret) => Buffer.from(secret));
    return structure(Tag.OpaqueObject, [
      enumeration(Tag.OpaqueDataType, dataType),
      byteString(Tag.OpaqueDataValue, value),
    ]);
  }
  const stored = sealedMetadata(object, FORMAT_METADATA);
  const format = keyFormatOf(
    ctx,
    body,
    sealedFormats(object, stored),
    defaultFormatOf(object, KeyFormatType.Raw),
  );
  let value: TtlvItem;
  let wrapping: TtlvItem | undefined;
  if (request === undefined) {
    value = await withSealedSecret(ctx, object, (secret) =>
      structure(Tag.KeyValue, [sealedKeyMaterial(object, secret, format)]),
    );
  } else {
    const inner = (secret: Buffer): Buffer => {
      const material = sealedKeyMaterial(object, secret, format);
      if (request.encoding === EncodingOption.NoEncoding) {
        if (material.type !== 'ByteString')
          throw new KryptonError('KRY_OP_INVALID_FIELD', 'No Encoding wraps byte-string key material only');
        return Buffer.from(material.value);
      }
      return encodeTtlv(structure(Tag.KeyValue, [material]));
    };
    value = byteString(Tag.KeyValue, await wrapForExport(ctx, object, request, inner));
    const data: TtlvItem[] = [
      enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
      structure(Tag.EncryptionKeyInformation, [
        textString(Tag.UniqueIdentifier, request.keyId),
        ...(request.parameters !== undefined ? [request.parameters] : []),
      ]),
    ];
    if (tagInVersion(Tag.EncodingOption, ctx.protocolVersion))
      data.push(enumeration(Tag.EncodingOption, request.encoding));
    wrapping = structure(Tag.KeyWrappingData, data);
  }
  const block = keyBlock(object, format, value, wrapping);
  if (object.objectType === ObjectType.SecretData)
    return structure(Tag.SecretData, [
      enumeration(Tag.SecretDataType, sealedMetadata(object, 'secretDataType') ?? 1),
      block,
    ]);
  return structure(object.objectType === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.SymmetricKey, [block]);
}

/** The Get response items for `object`, per the rules above. Callable in-process. */
export async function getObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload ?? structure(Tag.RequestPayload, []));
  const id = uniqueIdentifierOf(ctx, body);
  const object = await loadObject(ctx, id);
  refuseL4(object);
  if (isDestroyed(object)) throw new KryptonError('KRY_OP_OBJECT_DESTROYED');
  const head = [enumeration(Tag.ObjectType, object.objectType), textString(Tag.UniqueIdentifier, object.id)];
  if (object.objectType === ObjectType.PublicKey || object.objectType === ObjectType.Certificate) {
    if (child(body, Tag.KeyWrappingSpecification) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'public keys are returned unwrapped');
    const items = [...head, publicObjectItem(ctx, object, body)];
    await servicesOf(ctx).store.markServed(ctx.tenant, object.id);
    return items;
  }
  if (object.keyLevel === undefined) {
    // Outside the L2/L3 hierarchy: to the tenant, in the requested format, optionally wrapped.
    const sensitive = object.attributes.find((a) => a.name === 'Sensitive')?.value === true;
    const extractable = object.attributes.find((a) => a.name === 'Extractable')?.value !== false;
    if (!extractable) throw new KryptonError('KRY_OP_NOT_EXTRACTABLE');
    const request = wrappingRequest(child(body, Tag.KeyWrappingSpecification));
    if (sensitive && request === undefined) throw new KryptonError('KRY_OP_SENSITIVE');
    const item = await sealedObjectItem(ctx, object, body, request);
    await servicesOf(ctx).store.markServed(ctx.tenant, object.id);
    ctx.log.info(
      { keyId: object.id, objectType: object.objectType, wrappingKeyId: request?.keyId },
      'object returned to its tenant',
    );
    return [...head, item];
  }
  if (object.objectType !== ObjectType.SymmetricKey)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'unexpected object at a key level');
  if (object.keyLevel === 2) throw new KryptonError('KRY_OP_L2_NOT_EXPORTABLE');
  if (!ctx.identity.gateway) throw new KryptonError('KRY_OP_L3_GATEWAY_ONLY');
  const request = wrappingRequest(child(body, Tag.KeyWrappingSpecification));
  if (request === undefined)
    throw new KryptonError('KRY_OP_L3_GATEWAY_ONLY', 'give a Key Wrapping Specification');
  const format = keyFormatOf(
    ctx,
    body,
    [KeyFormatType.Raw, KeyFormatType.TransparentSymmetricKey],
    KeyFormatType.Raw,
  );
  const inner = (key: Buffer): Buffer => {
    if (request.encoding === EncodingOption.NoEncoding) return Buffer.from(key);
    // TTLV encoding: the Key Value structure itself is wrapped (KMIP 1.4 §2.1.5, 2.1 §2.1.5).
    const material =
      format === KeyFormatType.TransparentSymmetricKey
        ? structure(Tag.KeyMaterial, [byteString(Tag.Key, key)])
        : byteString(Tag.KeyMaterial, key);
    return encodeTtlv(structure(Tag.KeyValue, [material]));
  };
  const wrapped = await wrapForExport(ctx, object, request, inner);
  await servicesOf(ctx).store.markServed(ctx.tenant, object.id);
  ctx.log.info({ keyId: object.id, wrappingKeyId: request.keyId }, 'L3 returned wrapped to a gateway');
  const wrappingData: TtlvItem[] = [
    enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
    structure(Tag.EncryptionKeyInformation, [
      textString(Tag.UniqueIdentifier, request.keyId),
      ...(request.parameters !== undefined ? [request.parameters] : []),
    ]),
  ];
  if (tagInVersion(Tag.EncodingOption, ctx.protocolVersion))
    wrappingData.push(enumeration(Tag.EncodingOption, request.encoding));
  return [
    ...head,
    structure(Tag.SymmetricKey, [
      structure(Tag.KeyBlock, [
        enumeration(Tag.KeyFormatType, format),
        byteString(Tag.KeyValue, wrapped),
        enumeration(Tag.CryptographicAlgorithm, object.cryptographicAlgorithm ?? 3),
        integer(Tag.CryptographicLength, object.cryptographicLength ?? 0),
        structure(Tag.KeyWrappingData, wrappingData),
      ]),
    ]),
  ];
}

export const get = defineOperation({
  operation: 'Get',
  phase: 1,
  roles: ['core'],
  permission: 'get',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey', 'PublicKey'],
  handle: versioned(getObject),
});
