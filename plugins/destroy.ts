/**
 * Destroy (KMIP 2.1 §6.1.15, 1.4 §4.21) — crypto-shredding: the wrapped key material is removed
 * from storage in the same transaction that moves the object to Destroyed (from Pre-Active or
 * Deactivated) or Destroyed Compromised (from Compromised), Destroy Date set; the unwrapped key
 * and everything cached under it are dropped from the key cache. The metadata stays, so Get
 * Attributes still answers and Get fails with Wrong Key Lifecycle State.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; an Active object (revoke it first, KMIP 1.4 §4.21) or one already destroyed →
 * Wrong Key Lifecycle State.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { loadObject, refuseL4, servicesOf, uniqueIdentifierOf, versioned } from '../core/services/objects.js';
import { State } from '../storage-adapters/index.js';

export async function destroyObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<string> {
  const id = uniqueIdentifierOf(ctx, payload);
  const object = await loadObject(ctx, id);
  refuseL4(object);
  const { store, keys } = servicesOf(ctx);
  const compromised = object.state === State.Compromised;
  await store.transition(ctx.tenant, id, {
    from: compromised ? [State.Compromised] : [State.PreActive, State.Deactivated],
    to: compromised ? State.DestroyedCompromised : State.Destroyed,
    dates: { DestroyDate: new Date() },
    expectedVersion: object.version,
  });
  keys.invalidate(id);
  // Its open multi-part operations end now (core/services/crypto-streams.ts).
  ctx.services.streams?.dropKey(ctx.tenant, id);
  ctx.log.info({ keyId: id }, 'key destroyed: material removed');
  return id;
}

export const destroy = defineOperation({
  operation: 'Destroy',
  phase: 2,
  roles: ['core'],
  permission: 'destroy',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(async (ctx, payload) => {
    return [textString(Tag.UniqueIdentifier, await destroyObject(ctx, payload))];
  }),
});
