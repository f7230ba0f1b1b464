/**
 * Modify Attribute (KMIP 2.1 §6.1.34, 1.4 §4.14): replaces one existing attribute value. 1.x
 * names the value by Attribute Index (0 when absent) and is answered with the modified attribute;
 * 2.x names it by Current Attribute, or — without one — the attribute's only value, and is
 * answered with the Unique Identifier only. Lifecycle dates change only in the states the rule
 * table allows (Activation Date only while Pre-Active, KMIP 2.1 §4.1).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived; read-only (State, Certificate Length, …) →
 * Attribute Read Only (1.x Permission Denied); absent attribute → Attribute Not Found (1.x Invalid
 * Field); no value at the index or equal to Current Attribute → Attribute Instance Not Found (1.x
 * Item Not Found); several values and no Current Attribute → Multi Valued Attribute; a date in the
 * wrong state → Wrong Key Lifecycle State (1.x Permission Denied); a Name another object has → Non
 * Unique Name Attribute.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { writeAttribute } from '../core/attributes/index.js';
import { Tag } from '../core/spec/index.js';
import { textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  currentAttributeOf,
  modifyAttributeValue,
  newAttributeOf,
  objectForAttributes,
} from '../core/services/attribute-changes.js';
import { isV2, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function modifyAttributeOf(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const attr = newAttributeOf(payload);
  const current = currentAttributeOf(payload);
  const object = await objectForAttributes(ctx, id);
  const selector = current
    ? { current: current.value }
    : isV2(ctx.protocolVersion) && attr.index === undefined
      ? ('only' as const)
      : { index: attr.index ?? 0 };
  const modified = await modifyAttributeValue(ctx, object, attr, selector, attr.value);
  const uid = textString(Tag.UniqueIdentifier, object.id);
  if (isV2(ctx.protocolVersion)) return [uid];
  const written = writeAttribute(modified, ctx.protocolVersion, true);
  return written ? [uid, written] : [uid];
}

export const modifyAttribute = defineOperation({
  operation: 'ModifyAttribute',
  phase: 3,
  roles: ['core'],
  permission: 'modify-attributes',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(modifyAttributeOf),
});
