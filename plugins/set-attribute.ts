/**
 * Set Attribute (KMIP 2.1 §6.1.51, 2.x only): creates the attribute's only value or replaces it.
 * Answered with the Unique Identifier.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived; read-only → Read Only Attribute; more than one
 * value → Multi Valued Attribute; not applicable to the object type → Invalid Attribute; a date in
 * the wrong state → Wrong Key Lifecycle State; a Name another object has → Non Unique Name
 * Attribute.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  newAttributeOf,
  objectForAttributes,
  setAttributeValue,
} from '../core/services/attribute-changes.js';
import { uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function setAttributeOf(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const attr = newAttributeOf(payload);
  const object = await objectForAttributes(ctx, id);
  await setAttributeValue(ctx, object, attr);
  return [textString(Tag.UniqueIdentifier, object.id)];
}

export const setAttribute = defineOperation({
  operation: 'SetAttribute',
  phase: 3,
  roles: ['core'],
  permission: 'modify-attributes',
  versions: ['2.0', '2.1'],
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(setAttributeOf),
});
