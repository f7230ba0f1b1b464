/**
 * Create at the gateway (KMIP 2.1 §6.1.10, 1.4 §4.1). The default level here is L4: an AES key
 * generated in the gateway, wrapped under its L3 (a Wrapping Key Link or Parent Link in the
 * request, or `x-krypton-wrapping-key`, else the tenant's service key, created at the core when
 * missing) with AES key wrap with padding (RFC 5649), and kept only in the vault. Any other level
 * or object type is the core's: the item is forwarded.
 *
 * Failure cases: as the core's Create; the named L3 not usable for wrapping → Wrong Key
 * Lifecycle State / Incompatible Cryptographic Usage Mask; the core unreachable → General Failure.
 */
import { randomKeyBytes } from '../../core/crypto/random.js';
import { defineOperation } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { Tag } from '../../core/spec/index.js';
import { enumeration, textString } from '../../core/ttlv/tree.js';
import { requestedLevel } from '../../core/services/key-level.js';
import { initialState, newSymmetricKeyFields, RNG_ATTRIBUTE } from '../../core/services/key-material.js';
import { enumChild, requestAttributes, requirePayload } from '../../core/services/objects.js';
import { ObjectType } from '../../storage-adapters/index.js';
import { GATEWAY_SERVICES_PLUGIN, local, storeL4, wrappingKeyOf } from './routing.js';

export const create = defineOperation({
  operation: 'Create',
  phase: 1,
  roles: ['gateway'],
  permission: 'create',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey'],
  async handle(ctx, payload) {
    const body = requirePayload(payload);
    const objectType = enumChild(body, Tag.ObjectType, 'Object Type');
    const attrs = requestAttributes(body);
    if ((requestedLevel(attrs) ?? 'L4') !== 'L4' || objectType !== ObjectType.SymmetricKey)
      return forwardItem(gatewayOf(ctx).delegate, ctx, 'Create', payload);
    return local(ctx, async () => {
      const { l3Id, rest } = wrappingKeyOf(attrs);
      const fields = newSymmetricKeyFields(rest);
      // Generated here with node:crypto, as the core generates its keys.
      fields.attributes.push(RNG_ATTRIBUTE);
      const key = randomKeyBytes((fields.cryptographicLength as number) / 8);
      try {
        const object = await storeL4(ctx, key, fields, initialState(fields.dates, new Date()), l3Id);
        ctx.placeholder.set(object.id);
        ctx.log.info({ keyId: object.id, wrappingKeyId: object.keyMaterial?.wrappingKeyId }, 'L4 created');
        return [enumeration(Tag.ObjectType, object.objectType), textString(Tag.UniqueIdentifier, object.id)];
      } finally {
        key.fill(0);
      }
    });
  },
});
