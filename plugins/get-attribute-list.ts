/**
 * Get Attribute List (KMIP 2.1 §6.1.21, 1.4 §4.12): the names of the attributes an object has.
 * 1.x answers `Attribute Name` text strings (the spec names, custom names as they are); 2.x
 * answers `Attribute Reference` items — the attribute's tag as an Enumeration, or { Vendor
 * Identification, Attribute Name } for vendor attributes. Names the request's version does not
 * define are left out, as in Get Attributes, and so is an attribute none of whose values the
 * version can carry (a Link whose only value is a Wrapping Key Link, to 1.x).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived (KMIP 1.4 §11.14).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { attributeDef, attributeValueInVersion, isCustomName } from '../core/attributes/index.js';
import { Tag } from '../core/spec/index.js';
import { enumeration, structure, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { objectForAttributes } from '../core/services/attribute-changes.js';
import { attributesOf, isV2, uniqueIdentifierOf, versioned } from '../core/services/objects.js';

export async function attributeListOf(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const object = await objectForAttributes(ctx, uniqueIdentifierOf(ctx, payload));
  const version = ctx.protocolVersion;
  const seen = new Set<string>();
  const out: TtlvItem[] = [textString(Tag.UniqueIdentifier, object.id)];
  for (const a of attributesOf(object)) {
    const key = `${a.vendorIdentification ?? ''}\u0000${a.name}`;
    if (seen.has(key) || !attributeValueInVersion(a, version)) continue;
    seen.add(key);
    const custom = a.vendorIdentification !== undefined || isCustomName(a.name);
    if (!isV2(version)) {
      out.push(textString(Tag.AttributeName, custom ? a.name : attributeDef(a.name)!.name));
    } else if (custom) {
      const vendor = a.vendorIdentification ?? a.name.slice(0, 1);
      const name = a.vendorIdentification !== undefined ? a.name : a.name.slice(2);
      out.push(
        structure(Tag.AttributeReference, [
          textString(Tag.VendorIdentification, vendor),
          textString(Tag.AttributeName, name),
        ]),
      );
    } else {
      const tag = attributeDef(a.name)?.tag;
      if (tag !== undefined) out.push(enumeration(Tag.AttributeReference, tag));
    }
  }
  return out;
}

export const getAttributeList = defineOperation({
  operation: 'GetAttributeList',
  phase: 3,
  roles: ['core'],
  permission: 'get',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(attributeListOf),
});
