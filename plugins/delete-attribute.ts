/**
 * Delete Attribute (KMIP 2.1 §6.1.13, 1.4 §4.15). 1.x names the attribute by Attribute Name and
 * the value by Attribute Index (0 when absent, KMIP 1.4 §4.15) and is answered with the deleted
 * attribute; 2.x names one value by Current Attribute, or every value by Attribute Reference, and
 * is answered with the Unique Identifier only. Attributes that always have a value, and those the
 * rule table makes not deletable by clients, are refused.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived; not deletable → Attribute Read Only (1.x
 * Permission Denied); absent attribute → Attribute Not Found (1.x Item Not Found); no such value →
 * Attribute Instance Not Found (1.x Item Not Found); neither Current Attribute nor Attribute
 * Reference → Invalid Message.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { writeAttribute } from '../core/attributes/index.js';
import { Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  attributeReferenceOf,
  currentAttributeOf,
  deleteAttributeValues,
  objectForAttributes,
  type InstanceSelector,
} from '../core/services/attribute-changes.js';
import type { AttributeRef } from '../storage-adapters/index.js';
import { integerChild, isV2, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function deleteAttributeOf(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  let ref: AttributeRef;
  let selector: InstanceSelector;
  const current = currentAttributeOf(payload);
  const reference = child(payload, Tag.AttributeReference) ?? child(payload, Tag.AttributeName);
  if (current) {
    ref = current;
    selector = { current: current.value };
  } else if (reference) {
    ref = attributeReferenceOf(reference);
    const index = integerChild(payload, Tag.AttributeIndex, 'Attribute Index');
    selector = reference.tag === Tag.AttributeReference ? 'all' : { index: index ?? 0 };
  } else throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Current Attribute or Attribute Reference');
  const object = await objectForAttributes(ctx, id);
  const deleted = await deleteAttributeValues(ctx, object, ref, selector);
  const uid = textString(Tag.UniqueIdentifier, object.id);
  if (isV2(ctx.protocolVersion)) return [uid];
  const written = deleted[0] ? writeAttribute(deleted[0], ctx.protocolVersion, true) : undefined;
  return written ? [uid, written] : [uid];
}

export const deleteAttribute = defineOperation({
  operation: 'DeleteAttribute',
  phase: 3,
  roles: ['core'],
  permission: 'modify-attributes',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(deleteAttributeOf),
});
