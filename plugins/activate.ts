/**
 * Activate (KMIP 2.1 §6.1.2, 1.4 §4.19): Pre-Active → Active, Activation Date set to now. The
 * transition is optimistic in the Store: of two concurrent transitions of one object, one wins.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; any other state → Wrong Key Lifecycle State.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { loadObject, refuseL4, servicesOf, uniqueIdentifierOf, versioned } from '../core/services/objects.js';
import { State } from '../storage-adapters/index.js';

export async function activateObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<string> {
  const id = uniqueIdentifierOf(ctx, payload);
  const object = await loadObject(ctx, id);
  refuseL4(object);
  const { store, keys } = servicesOf(ctx);
  await store.transition(ctx.tenant, id, {
    from: [State.PreActive],
    to: State.Active,
    dates: { ActivationDate: new Date() },
    expectedVersion: object.version,
  });
  keys.invalidate(id);
  return id;
}

export const activate = defineOperation({
  operation: 'Activate',
  phase: 2,
  roles: ['core'],
  permission: 'activate',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(async (ctx, payload) => {
    return [textString(Tag.UniqueIdentifier, await activateObject(ctx, payload))];
  }),
});
