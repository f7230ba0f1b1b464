/**
 * Get Attributes at the gateway (KMIP 2.1 §6.1.22, 1.4 §4.12): a local L4's attributes from the
 * vault (the named ones, or all), written in the request's version (1.x Attribute structures,
 * 2.x Attributes; the key level is `x-krypton-level` / Vendor Attribute (`x`, `krypton-level`)).
 * Any other object is the core's: forwarded.
 *
 * The answer is the core's (`getAttributesAnswer`). Failure cases: a name that is no attribute →
 * Invalid Field.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { getAttributesAnswer } from '../get-attributes.js';
import { GATEWAY_SERVICES_PLUGIN, idOf, local, localL4 } from './routing.js';

export const getAttributes = defineOperation({
  operation: 'GetAttributes',
  phase: 1,
  roles: ['gateway'],
  permission: 'get',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  async handle(ctx, payload) {
    const id = idOf(ctx, payload);
    const object = id !== undefined ? await localL4(ctx, id) : undefined;
    if (!object) return forwardItem(gatewayOf(ctx).delegate, ctx, 'GetAttributes', payload);
    return local(ctx, async () => getAttributesAnswer(ctx, object, payload));
  },
});
