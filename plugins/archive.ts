/**
 * Archive (KMIP 2.1 §6.1.4, 1.4 §4.22): the client says the object may go off-line. Krypton
 * archives at once: the object leaves Locate's default (on-line) results — Locate finds it with
 * Storage Status Mask Archival — attribute operations answer Object Archived until Recover, and
 * the key cache drops it. Metadata and wrapped material stay in storage, unchanged. Archive Date
 * is set. Runs asynchronously when the client allows it (Asynchronous Indicator).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; already archived → Object Archived.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { refuseL4Here } from '../core/services/attribute-changes.js';
import { loadObject, servicesOf, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function archiveObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const object = await loadObject(ctx, id);
  refuseL4Here(ctx, object);
  if (object.archived) throw new KryptonError('KRY_OP_ARCHIVED', 'already archived');
  const { store, keys } = servicesOf(ctx);
  await store.setArchived(ctx.tenant, id, true);
  keys.invalidate(id);
  return [textString(Tag.UniqueIdentifier, id)];
}

export const archive = defineOperation({
  operation: 'Archive',
  phase: 4,
  roles: ['core'],
  permission: 'archive',
  asynchronous: true,
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(archiveObject),
});
