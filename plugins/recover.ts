/**
 * Recover (KMIP 2.1 §6.1.42, 1.4 §4.23): brings an archived object back on-line (Archive Date
 * cleared). Recovering an object that is on-line is a success with nothing to do. Runs
 * asynchronously when the client allows it (the spec's example of an operation that "MAY need
 * asynchronous polling").
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { refuseL4Here } from '../core/services/attribute-changes.js';
import { loadObject, servicesOf, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function recoverObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const object = await loadObject(ctx, id);
  refuseL4Here(ctx, object);
  if (object.archived) await servicesOf(ctx).store.setArchived(ctx.tenant, id, false);
  return [textString(Tag.UniqueIdentifier, id)];
}

export const recover = defineOperation({
  operation: 'Recover',
  phase: 4,
  roles: ['core'],
  permission: 'recover',
  asynchronous: true,
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(recoverObject),
});
