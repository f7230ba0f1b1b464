/**
 * Register at the gateway (KMIP 2.1 §6.1.41, 1.4 §4.3): a client-provided Symmetric Key (Raw or
 * Transparent Symmetric Key, AES) at level L4 — the default here — becomes an L4 of the vault,
 * wrapped under its L3 on arrival (as Create at the gateway); the request's copy of the key is
 * zeroed. Any other object, algorithm or level (a Public Key, an HMAC key, an L3) is the core's:
 * forwarded.
 *
 * Failure cases: a wrapped Key Block → Feature Not Supported; another Key Format Type → Key
 * Format Type Not Supported; length or algorithm mismatch → Invalid Field; as Create otherwise.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { KryptonError } from '../../core/errors.js';
import { readAttributeStructure } from '../../core/attributes/index.js';
import { KeyFormatType, Tag } from '../../core/spec/index.js';
import { child, textString } from '../../core/ttlv/tree.js';
import { requestedLevel } from '../../core/services/key-level.js';
import { AES, checkAesLength, initialState, newKeyFields } from '../../core/services/key-material.js';
import {
  enumChild,
  integerChild,
  requestAttributes,
  requirePayload,
  Usage,
} from '../../core/services/objects.js';
import { ObjectType } from '../../storage-adapters/index.js';
import { register as coreRegister } from '../register.js';
import { GATEWAY_SERVICES_PLUGIN, local, storeL4, wrappingKeyOf } from './routing.js';

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
    const value = child(block, Tag.KeyValue);
    const blockAttrs = value?.type === 'Structure' ? value.value.filter((c) => c.tag === Tag.Attribute) : [];
    const attrs = [...requestAttributes(body), ...blockAttrs.map((a) => readAttributeStructure(a))];
    const algorithm =
      attrs.find((a) => a.name === 'CryptographicAlgorithm')?.value ??
      enumChild(block, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm');
    if (
      enumChild(body, Tag.ObjectType, 'Object Type') !== ObjectType.SymmetricKey ||
      block === undefined ||
      (requestedLevel(attrs) ?? 'L4') !== 'L4' ||
      // An L4 is an AES data key; an HMAC key (say) is the core's, sealed under the tenant's L2.
      (algorithm !== undefined && algorithm !== AES)
    )
      return forwardItem(gatewayOf(ctx).delegate, ctx, 'Register', payload);
    return local(ctx, async () => {
      if (child(block, Tag.KeyWrappingData) !== undefined)
        throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'registering wrapped key material');
      const format = enumChild(block, Tag.KeyFormatType, 'Key Format Type');
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
        const { l3Id, rest } = wrappingKeyOf(attrs);
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
          l3Id,
        );
        ctx.placeholder.set(object.id);
        ctx.log.info({ keyId: object.id, wrappingKeyId: object.keyMaterial?.wrappingKeyId }, 'L4 registered');
        return [textString(Tag.UniqueIdentifier, object.id)];
      } finally {
        // The request tree's copy of the key: nothing reads it after this item.
        key.fill(0);
      }
    });
  },
});
