/**
 * Register at the gateway (KMIP 2.1 §6.1.43, 1.4 §4.3): a client-provided Symmetric Key (Raw or
 * Transparent Symmetric Key, AES) at level L4 — the default here — becomes an L4 of the vault,
 * wrapped under its L3 on arrival (as Create at the gateway); the request's copy of the key is
 * zeroed. Any other object, algorithm or level (a Public Key, an HMAC key, an L3) is the core's:
 * forwarded.
 *
 * Registered wrapped (Key Wrapping Data, Wrapping Method Encrypt; core/services/wrapped-key-block.ts),
 * a DEK becomes an L4 when the gateway can unwrap it with an L3 or a local L4:
 * - under an L3 this gateway caches: unwrapped with the cached L3 (the core never sees the DEK)
 *   and stored wrapped under that L3 (under the tenant's service key if that L3 was replaced);
 * - under an L3 it does not cache (`core-only` residency, an L3 with Usage Limits): checked from
 *   its attributes at the core, then unwrapped by the core's Decrypt — as every L4 is unwrapped
 *   under `core-only` — and stored wrapped under that L3;
 * - under a local L4: unwrapped with it, stored under the requested or default L3.
 * A request naming its L3 (Link, `x-krypton-wrapping-key`) is stored under that one. Under any
 * other key (an RSA key pair, an unknown identifier) the Register is forwarded: the core unwraps
 * it and keeps the key as its own object. Other object types are forwarded as they are.
 *
 * Failure cases: another Key Format Type → Key Format Type Not Supported; length or algorithm
 * mismatch → Invalid Field; a wrapped Key Block as at the core (the wrapping key destroyed or
 * archived → Wrapping Object Destroyed / Archived, 1.x Permission Denied; not Active →
 * Wrong Key Lifecycle State, without Unwrap Key → Incompatible Cryptographic Usage Mask, a
 * value that does not unwrap → Cryptographic Failure); an object the core keeps (Private Key,
 * Secret Data, a non-AES key) wrapped under an L4 → Feature Not Supported; as Create otherwise.
 */
import { defineOperation, type RequestContext } from '../../core/dispatch/operation.js';
import {
  effectiveState,
  forwardItem,
  gatewayOf,
  keyViewFromAttributes,
  keyViewOf,
  type KeyView,
} from '../../core/gateway/index.js';
import { UpstreamResultError } from '../../core/gateway/delegate.js';
import { KryptonError } from '../../core/errors.js';
import { readAttributes, readAttributeStructure, type KmipAttribute } from '../../core/attributes/index.js';
import { BlockCipherMode, KeyFormatType, Tag } from '../../core/spec/index.js';
import { byteString, child, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { LEVEL_ATTRIBUTE, requestedLevel } from '../../core/services/key-level.js';
import { AES, checkAesLength, initialState, newKeyFields } from '../../core/services/key-material.js';
import {
  enumChild,
  integerChild,
  requestAttributes,
  requirePayload,
  Usage,
} from '../../core/services/objects.js';
import {
  aesUnwrap,
  checkUnwrappingKey,
  keyWrapParameters,
  keyWrappingOf,
  refuseGoneWrappingKey,
  unwrapFailure,
  withUnwrappedKeyBlock,
  type KeyUnwrapper,
  type KeyWrapping,
} from '../../core/services/wrapped-key-block.js';
import { ObjectType } from '../../storage-adapters/index.js';
import { register as coreRegister } from '../register.js';
import {
  AS_GATEWAY,
  coreWrappingKeyAttributes,
  GATEWAY_SERVICES_PLUGIN,
  local,
  localL4,
  storeL4,
  unwrapL4,
  wrappingKeyOf,
} from './routing.js';

const NIST_KEY_WRAP = structure(Tag.CryptographicParameters, [
  enumeration(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap),
]);

/** Key Value attributes: 1.x Attribute items, 2.x Attributes (KMIP 1.4 §2.1.4, 2.1 §3.2). */
function keyValueAttributes(value: TtlvItem | undefined): KmipAttribute[] {
  if (value?.type !== 'Structure') return [];
  return [
    ...value.value.filter((c) => c.tag === Tag.Attribute).map((a) => readAttributeStructure(a)),
    ...readAttributes(child(value, Tag.Attributes), 'Key Value/Attributes'),
  ];
}

function checkUnwrapping(ctx: RequestContext, view: KeyView): void {
  refuseGoneWrappingKey(view);
  checkUnwrappingKey(ctx, {
    state: effectiveState(view, new Date()),
    usageMask: view.usageMask,
    processStartDate: view.processStartDate,
  });
}

/**
 * How the gateway unwraps a DEK registered wrapped under `keyId`: with a local L4 or a cached L3
 * (and which L3 the new L4 is then stored under by default); undefined when the key is the core's.
 */
async function gatewayUnwrapper(
  ctx: RequestContext,
  keyId: string,
): Promise<{ unwrap: KeyUnwrapper; l3Id: string | undefined } | undefined> {
  const l4 = await localL4(ctx, keyId);
  if (l4) {
    return {
      l3Id: undefined,
      async unwrap(w: KeyWrapping) {
        checkUnwrapping(ctx, keyViewOf(l4));
        const params = keyWrapParameters(w.parameters);
        const kek = await unwrapL4(ctx, l4);
        try {
          return aesUnwrap(kek, params, w.wrapped);
        } finally {
          kek.fill(0);
        }
      },
    };
  }
  const cached = await gatewayOf(ctx).l3.lookup(ctx, keyId);
  if (!cached) return coreL3Unwrapper(ctx, keyId);
  return {
    // A replaced L3 still unwraps (decrypt only) but wraps nothing new: the service key keeps it.
    l3Id: cached.view.replaced ? undefined : keyId,
    async unwrap(w: KeyWrapping) {
      checkUnwrapping(ctx, cached.view);
      // Synchronous use of the cached bytes: the entry cannot be zeroed meanwhile.
      return aesUnwrap(cached.key, keyWrapParameters(w.parameters), w.wrapped);
    },
  };
}

function levelOf(attrs: readonly KmipAttribute[]): unknown {
  return attrs.find(
    (a) =>
      a.name === LEVEL_ATTRIBUTE || (a.vendorIdentification === 'x' && a.name === LEVEL_ATTRIBUTE.slice(2)),
  )?.value;
}

/**
 * An L3 this gateway does not cache (`core-only` residency, Usage Limits): checked from its
 * attributes at the core, then unwrapped by the core's Decrypt — the way every L4 is unwrapped
 * under `core-only`. Undefined when `keyId` is no L3 of the tenant (the core then answers).
 */
async function coreL3Unwrapper(
  ctx: RequestContext,
  keyId: string,
): Promise<{ unwrap: KeyUnwrapper; l3Id: string | undefined } | undefined> {
  const { delegate } = gatewayOf(ctx);
  const uid = textString(Tag.UniqueIdentifier, keyId);
  const list = await coreWrappingKeyAttributes(ctx, keyId);
  if (list === undefined || levelOf(list) !== 'L3') return undefined;
  const view = keyViewFromAttributes(list);
  return {
    l3Id: view.replaced ? undefined : keyId,
    async unwrap(w: KeyWrapping) {
      checkUnwrapping(ctx, view);
      const parameters = w.parameters ?? NIST_KEY_WRAP;
      keyWrapParameters(parameters);
      let out;
      try {
        out = await delegate.call(
          ctx,
          { operation: 'Decrypt', payload: [uid, parameters, byteString(Tag.Data, w.wrapped)] },
          AS_GATEWAY,
        );
      } catch (err) {
        if (err instanceof UpstreamResultError && err.reason === 'CryptographicFailure')
          throw unwrapFailure();
        throw err;
      }
      const data = child(out, Tag.Data);
      if (data?.type !== 'ByteString') throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'no Data');
      return Buffer.from(data.value.buffer, data.value.byteOffset, data.value.byteLength);
    },
  };
}

/** Stores the (plaintext) Key Block `block` as a new L4; `defaultL3` unless the request names one. */
async function registerL4(
  ctx: RequestContext,
  block: TtlvItem,
  attrs: readonly KmipAttribute[],
  defaultL3: string | undefined,
): Promise<TtlvItem[]> {
  const format = enumChild(block, Tag.KeyFormatType, 'Key Format Type');
  const value = child(block, Tag.KeyValue);
  const material = value?.type === 'Structure' ? child(value, Tag.KeyMaterial) : undefined;
  let key: Uint8Array | undefined;
  if (format === KeyFormatType.Raw && material?.type === 'ByteString') key = material.value;
  else if (format === KeyFormatType.TransparentSymmetricKey && material?.type === 'Structure') {
    const k = child(material, Tag.Key);
    if (k?.type === 'ByteString') key = k.value;
  } else if (format !== KeyFormatType.Raw && format !== KeyFormatType.TransparentSymmetricKey)
    throw new KryptonError('KRY_OP_KEY_FORMAT');
  if (key === undefined) throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
  try {
    const { l3Id, rest } = wrappingKeyOf([...attrs, ...keyValueAttributes(value)]);
    const fields = newKeyFields(rest);
    const algorithm =
      fields.cryptographicAlgorithm ??
      enumChild(block, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm');
    const length =
      fields.cryptographicLength ??
      integerChild(block, Tag.CryptographicLength, 'Cryptographic Length') ??
      key.length * 8;
    checkAesLength(algorithm, length, key.length);
    if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
      fields.attributes.push({ name: 'CryptographicUsageMask', value: Usage.Encrypt | Usage.Decrypt });
    // KMIP 2.1 §4.26: the format it was registered in, which Get answers by default (as at the core).
    fields.attributes.push({ name: 'KeyFormatType', value: format });
    const object = await storeL4(
      ctx,
      key,
      { ...fields, cryptographicAlgorithm: algorithm, cryptographicLength: length },
      initialState(fields.dates, new Date()),
      l3Id ?? defaultL3,
    );
    ctx.placeholder.set(object.id);
    ctx.log.info({ keyId: object.id, wrappingKeyId: object.keyMaterial?.wrappingKeyId }, 'L4 registered');
    return [textString(Tag.UniqueIdentifier, object.id)];
  } finally {
    // The request tree's (or the unwrapped) copy of the key: nothing reads it after this item.
    key.fill(0);
  }
}

/**
 * An object the core keeps, registered wrapped under an L4 of this gateway: the core cannot
 * unwrap it (it holds no L4) and the gateway does not send it plaintext. Refused here.
 */
async function refuseWrappedUnderL4(ctx: RequestContext, body: StructureItem): Promise<void> {
  const object = body.value.find((c) => c.type === 'Structure' && child(c, Tag.KeyBlock) !== undefined);
  const info = child(child(child(object, Tag.KeyBlock), Tag.KeyWrappingData), Tag.EncryptionKeyInformation);
  const keyId = child(info, Tag.UniqueIdentifier);
  if (keyId?.type === 'TextString' && (await localL4(ctx, keyId.value)) !== undefined)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'an L4 wraps data keys only: register this object wrapped under a key of the core',
    );
}

export const register = defineOperation({
  operation: 'Register',
  phase: 1,
  roles: ['gateway'],
  permission: 'register',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  // Every type the core registers: the gateway keeps Symmetric Keys at L4, forwards the rest.
  objectTypes: coreRegister.objectTypes ?? [],
  async handle(ctx, payload) {
    const body = requirePayload(payload);
    const block = child(child(body, Tag.SymmetricKey), Tag.KeyBlock);
    const attrs = [...requestAttributes(body), ...keyValueAttributes(child(block, Tag.KeyValue))];
    const algorithm =
      attrs.find((a) => a.name === 'CryptographicAlgorithm')?.value ??
      enumChild(block, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm');
    if (
      enumChild(body, Tag.ObjectType, 'Object Type') !== ObjectType.SymmetricKey ||
      block?.type !== 'Structure' ||
      (requestedLevel(attrs) ?? 'L4') !== 'L4' ||
      // An L4 is an AES data key; an HMAC key (say) is the core's, sealed under the tenant's L2.
      (algorithm !== undefined && algorithm !== AES)
    ) {
      await refuseWrappedUnderL4(ctx, body);
      return forwardItem(gatewayOf(ctx).delegate, ctx, 'Register', payload);
    }
    const requested = requestAttributes(body);
    if (child(block, Tag.KeyWrappingData) === undefined)
      return local(ctx, () => registerL4(ctx, block, requested, undefined));
    const wrapping = await local(ctx, async () => keyWrappingOf(block));
    const unwrapper = wrapping && (await gatewayUnwrapper(ctx, wrapping.keyId));
    if (!wrapping || !unwrapper) return forwardItem(gatewayOf(ctx).delegate, ctx, 'Register', payload);
    return local(ctx, () =>
      withUnwrappedKeyBlock(block, wrapping, unwrapper.unwrap, (plain) =>
        registerL4(ctx, plain, requested, unwrapper.l3Id),
      ),
    );
  },
});
