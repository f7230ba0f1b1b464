/**
 * Get (KMIP 2.1 §6.1.21, 1.4 §4.11) at the core.
 *
 * - L3 Symmetric Key: only to gateway identities, and only wrapped: the request needs a Key
 *   Wrapping Specification (Wrapping Method Encrypt) naming a key of the tenant — a registered
 *   RSA Public Key (RSA-OAEP with SHA-256: the gateway's transport key, whose private half never
 *   leaves the gateway) or an Active AES L3 with Wrap Key usage (NIST key wrap, or key wrap with
 *   padding). Encoding Option TTLV (default) wraps the encoded Key Value, No Encoding the bytes.
 * - L2: never leaves the core. L4: refused (the core holds none).
 * - Public Key: to any identity of the tenant, in X.509 (SubjectPublicKeyInfo, default) or PKCS#1.
 *
 * Failure cases: unknown or foreign object → Item Not Found; L2, non-gateway L3, L3 without a
 * wrapping specification → Permission Denied; L4 → Permission Denied; destroyed → Wrong Key
 * Lifecycle State; an unsupported Key Format Type → Key Format Type Not Supported; Wrapping
 * Method other than Encrypt, or MAC/sign key information → Feature Not Supported.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import {
  BlockCipherMode,
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
  const wrapping = await loadObject(ctx, request.keyId);
  refuseL4(wrapping);
  if (wrapping.state !== State.Active)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the wrapping key is not Active');
  if (wrapping.objectType === ObjectType.PublicKey) {
    if (wrapping.publicMaterial === undefined || wrapping.cryptographicAlgorithm !== RSA)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'the wrapping public key must be RSA');
    const spki = wrapping.publicMaterial;
    return withSymmetricKey(ctx, object, 'process', (key) => {
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
  const plain = await withSymmetricKey(ctx, object, 'process', (key) => inner(key));
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

/** The Get response items for `object`, per the rules above. Callable in-process. */
export async function getObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload ?? structure(Tag.RequestPayload, []));
  const id = uniqueIdentifierOf(ctx, body);
  const object = await loadObject(ctx, id);
  refuseL4(object);
  if (isDestroyed(object)) throw new KryptonError('KRY_OP_DESTROYED');
  const head = [enumeration(Tag.ObjectType, object.objectType), textString(Tag.UniqueIdentifier, object.id)];
  if (object.objectType === ObjectType.PublicKey) {
    const format = keyFormatOf(ctx, body, [KeyFormatType.X_509, KeyFormatType.PKCS_1], KeyFormatType.X_509);
    if (child(body, Tag.KeyWrappingSpecification) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'public keys are returned unwrapped');
    const spki = Buffer.from(object.publicMaterial ?? new Uint8Array());
    const der =
      format === KeyFormatType.X_509
        ? spki
        : createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({
            format: 'der',
            type: 'pkcs1',
          });
    await servicesOf(ctx).store.markServed(ctx.tenant, object.id);
    return [
      ...head,
      structure(Tag.PublicKey, [
        structure(Tag.KeyBlock, [
          enumeration(Tag.KeyFormatType, format),
          structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, der)]),
          enumeration(Tag.CryptographicAlgorithm, object.cryptographicAlgorithm ?? RSA),
          integer(Tag.CryptographicLength, object.cryptographicLength ?? 0),
        ]),
      ]),
    ];
  }
  if (object.objectType !== ObjectType.SymmetricKey)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the core returns Symmetric Keys and Public Keys');
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
