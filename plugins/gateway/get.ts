/**
 * Get at the gateway (KMIP 2.1 §6.1.21, 1.4 §4.11). A local L4 is returned in plaintext (Raw,
 * or Transparent Symmetric Key when asked), or wrapped when a Key Wrapping Specification asks
 * (Wrapping Method Encrypt under another key of the tenant: an L3 — cached or at the core — or
 * another L4; NIST key wrap by default, Encoding Option TTLV wraps the Key Value structure as the
 * core does, No Encoding the key bytes). Asked wrapped under its own L3 with key wrap with
 * padding and No Encoding, the vault's bytes are returned as they are, never unwrapped. Any other
 * object is the core's: forwarded (an L3 is returned only wrapped, and only to gateways).
 *
 * Failure cases: destroyed → Wrong Key Lifecycle State; a wrapping key neither the gateway nor the
 * core has for the tenant → Wrapping Object Not Found (1.x Item Not Found); a destroyed or archived
 * one → Wrapping Object Destroyed / Archived (1.x Permission Denied) as at the core — a key of the
 * core not cached here is looked at with one GetAttributes first; Key Compression Type,
 * Wrapping Method other than Encrypt, MAC/Signature Key Information → Feature Not Supported; an
 * unsupported Key Format Type → Key Format Type Not Supported; the L3 not usable → as Decrypt at
 * the core.
 */
import { defaultFormatOf } from '../../core/services/asymmetric-objects.js';
import { defineOperation, type RequestContext } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf, checkProtect, keyViewOf } from '../../core/gateway/index.js';
import { KryptonError, isKryptonError } from '../../core/errors.js';
import {
  BlockCipherMode,
  EncodingOption,
  KeyFormatType,
  Tag,
  WrappingMethod,
  tagInVersion,
} from '../../core/spec/index.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import { byteString, child, enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { cipherParameters, encryptWith } from '../../core/services/cipher.js';
import { enumChild, isDestroyed, textChild } from '../../core/services/objects.js';
import type { ManagedObject } from '../../storage-adapters/index.js';
import { refuseGoneWrappingKey } from '../../core/services/wrapped-key-block.js';
import {
  coreWrappingKeyAttributes,
  GATEWAY_SERVICES_PLUGIN,
  idOf,
  local,
  localL4,
  localWrappingKey,
  unwrapL4,
} from './routing.js';

const NIST_KW = structure(Tag.CryptographicParameters, [
  enumeration(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap),
]);

/** `data` encrypted under the key `keyId` of the tenant: a local L4, a cached L3, or the core's Encrypt. */
async function encryptUnder(
  ctx: RequestContext,
  keyId: string,
  parameters: TtlvItem | undefined,
  data: Uint8Array,
): Promise<Uint8Array> {
  const params = cipherParameters(parameters ?? NIST_KW, undefined);
  if (params.mode !== BlockCipherMode.NISTKeyWrap && params.mode !== BlockCipherMode.AESKeyWrapPadding)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'symmetric wrapping is NIST key wrap or key wrap with padding',
    );
  const l4 = await localWrappingKey(ctx, keyId);
  if (l4) {
    checkProtect(keyViewOf(l4), params.mode, ctx.protocolVersion);
    const kek = await unwrapL4(ctx, l4);
    try {
      return encryptWith(kek, params, { data, iv: undefined, aad: undefined }).data;
    } finally {
      kek.fill(0);
    }
  }
  const gw = gatewayOf(ctx);
  const cached = await gw.l3.lookup(ctx, keyId);
  if (cached) {
    refuseGoneWrappingKey(cached.view);
    checkProtect(cached.view, params.mode, ctx.protocolVersion);
    return encryptWith(cached.key, params, { data, iv: undefined, aad: undefined }).data;
  }
  await coreWrappingKeyAttributes(ctx, keyId);
  let out: StructureItem | undefined;
  try {
    out = await gw.delegate.call(ctx, {
      operation: 'Encrypt',
      payload: [textString(Tag.UniqueIdentifier, keyId), parameters ?? NIST_KW, byteString(Tag.Data, data)],
    });
  } catch (err) {
    // The core knows no such key of the tenant: it is the wrapping key that is missing.
    if (isKryptonError(err) && (err.reason === 'ObjectNotFound' || err.reason === 'ItemNotFound'))
      throw new KryptonError('KRY_OP_WRAPPING_KEY_NOT_FOUND');
    throw err;
  }
  const d = child(out, Tag.Data);
  if (d?.type !== 'ByteString') throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'no Data');
  return d.value;
}

async function getL4(ctx: RequestContext, body: StructureItem, object: ManagedObject): Promise<TtlvItem[]> {
  if (isDestroyed(object) || object.keyMaterial === undefined) throw new KryptonError('KRY_OP_DESTROYED');
  if (child(body, Tag.KeyCompressionType) !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Key Compression Type');
  const asked = enumChild(body, Tag.KeyFormatType, 'Key Format Type');
  if (asked !== undefined && asked !== KeyFormatType.Raw && asked !== KeyFormatType.TransparentSymmetricKey)
    throw new KryptonError('KRY_OP_KEY_FORMAT');
  const format = asked ?? defaultFormatOf(object, KeyFormatType.Raw);
  const material = (key: Uint8Array) =>
    format === KeyFormatType.TransparentSymmetricKey
      ? structure(Tag.KeyMaterial, [byteString(Tag.Key, key)])
      : byteString(Tag.KeyMaterial, key);
  const tail = [
    enumeration(Tag.CryptographicAlgorithm, object.cryptographicAlgorithm ?? 3),
    integer(Tag.CryptographicLength, object.cryptographicLength ?? 0),
  ];
  const head = [enumeration(Tag.ObjectType, object.objectType), textString(Tag.UniqueIdentifier, object.id)];
  const spec = child(body, Tag.KeyWrappingSpecification);
  let block: StructureItem;
  if (spec !== undefined) {
    if (enumChild(spec, Tag.WrappingMethod, 'Wrapping Method') !== WrappingMethod.Encrypt)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Wrapping Method: Encrypt');
    if (child(spec, Tag.MACSignatureKeyInformation) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'MAC/Signature Key Information');
    const info = child(spec, Tag.EncryptionKeyInformation);
    const keyId = textChild(info, Tag.UniqueIdentifier, 'Encryption Key Information/Unique Identifier');
    if (keyId === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Encryption Key Information');
    const encoding = enumChild(spec, Tag.EncodingOption, 'Encoding Option') ?? EncodingOption.TTLVEncoding;
    if (encoding !== EncodingOption.TTLVEncoding && encoding !== EncodingOption.NoEncoding)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Encoding Option');
    const parameters = child(info, Tag.CryptographicParameters);
    const stored = object.keyMaterial;
    let wrapped: Uint8Array;
    if (
      keyId === stored.wrappingKeyId &&
      encoding === EncodingOption.NoEncoding &&
      parameters !== undefined &&
      cipherParameters(parameters, undefined).mode === BlockCipherMode.AESKeyWrapPadding
    ) {
      // Already so wrapped in the vault: served without unwrapping. The L3 must still allow it.
      const cached = await gatewayOf(ctx).l3.lookup(ctx, keyId);
      if (cached) {
        refuseGoneWrappingKey(cached.view);
        checkProtect(cached.view, BlockCipherMode.AESKeyWrapPadding, ctx.protocolVersion);
      } else await coreWrappingKeyAttributes(ctx, keyId);
      wrapped = stored.wrapped;
    } else {
      const key = await unwrapL4(ctx, object);
      const inner =
        encoding === EncodingOption.NoEncoding ? key : encodeTtlv(structure(Tag.KeyValue, [material(key)]));
      try {
        wrapped = await encryptUnder(ctx, keyId, parameters, inner);
      } finally {
        key.fill(0);
        inner.fill(0);
      }
    }
    const wrappingData: TtlvItem[] = [
      enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
      structure(Tag.EncryptionKeyInformation, [
        textString(Tag.UniqueIdentifier, keyId),
        ...(parameters ? [parameters] : []),
      ]),
    ];
    if (tagInVersion(Tag.EncodingOption, ctx.protocolVersion))
      wrappingData.push(enumeration(Tag.EncodingOption, encoding));
    block = structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, format),
      byteString(Tag.KeyValue, wrapped),
      ...tail,
      structure(Tag.KeyWrappingData, wrappingData),
    ]);
  } else {
    const key = await unwrapL4(ctx, object);
    // The response tree owns this copy until it is encoded; the unwrapped buffer is zeroed now.
    const copy = new Uint8Array(key);
    key.fill(0);
    block = structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, format),
      structure(Tag.KeyValue, [material(copy)]),
      ...tail,
    ]);
  }
  await gatewayOf(ctx).vault.markServed(ctx.tenant, object.id);
  return [...head, structure(Tag.SymmetricKey, [block])];
}

export const get = defineOperation({
  operation: 'Get',
  phase: 1,
  roles: ['gateway'],
  permission: 'get',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey', 'PublicKey'],
  async handle(ctx, payload) {
    const id = idOf(ctx, payload);
    const object = id !== undefined ? await localL4(ctx, id) : undefined;
    if (object) return local(ctx, () => getL4(ctx, payload ?? structure(Tag.RequestPayload, []), object));
    return forwardItem(gatewayOf(ctx).delegate, ctx, 'Get', payload);
  },
});
