/**
 * Add Attribute (KMIP 2.1 §6.1.2, 1.4 §4.13): a new attribute value. 1.x sends
 * `Attribute { Attribute Name, Attribute Value }` and is answered with the attribute and its new
 * Attribute Index; 2.x sends `New Attribute` and is answered with the Unique Identifier only.
 * Who may add what comes from the attribute rule table (core/attributes/rules.ts).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived; a read-only attribute → Read Only Attribute (1.x
 * Permission Denied); one that does not apply to the object type → Invalid Attribute (1.x
 * Permission Denied); a single-valued attribute with a value → Attribute Single Valued (1.x Illegal
 * Operation); a Name another object has → Non Unique Name Attribute (1.x Illegal Operation); an
 * Attribute Index in the request → Invalid Field; a date outside the state that allows it → Wrong
 * Key Lifecycle State (1.x Permission Denied).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { writeAttribute } from '../core/attributes/index.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  addAttributeValue,
  newAttributeOf,
  objectForAttributes,
} from '../core/services/attribute-changes.js';
import { isV2, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function addAttributeTo(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const attr = newAttributeOf(payload);
  // KMIP 1.4 §4.13: "The Attribute Index SHALL NOT be specified in the request."
  if (attr.index !== undefined) throw new KryptonError('KRY_ATTR_INDEX_GIVEN');
  const object = await objectForAttributes(ctx, id);
  const added = await addAttributeValue(ctx, object, attr);
  const uid = textString(Tag.UniqueIdentifier, object.id);
  if (isV2(ctx.protocolVersion)) return [uid];
  const written = writeAttribute(added, ctx.protocolVersion, true);
  return written ? [uid, written] : [uid];
}

export const addAttribute = defineOperation({
  operation: 'AddAttribute',
  phase: 3,
  roles: ['core'],
  permission: 'modify-attributes',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(addAttributeTo),
});
