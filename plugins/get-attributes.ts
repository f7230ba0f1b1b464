/**
 * Get Attributes (KMIP 2.1 §6.1.22, 1.4 §4.12): the named attributes of an object, or all of them.
 * 1.x answers `Unique Identifier, Attribute*` (Attribute Name/Index/Value); 2.x answers
 * `Unique Identifier, Attributes`. Attributes the request's version does not define are never
 * sent (Fresh is 1.1+, Original Creation Date 1.3+, …); the key level is `x-krypton-level` in
 * 1.x and the Vendor Attribute (`x`, `krypton-level`) in 2.x. An L4 is refused: none is stored.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); a name that is
 * no attribute → Invalid Field (1.x: unknown names are simply not returned when custom).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { attributeByName, Tag, tagName } from '../core/spec/index.js';
import { structure, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { isCustomName, writeAttributes, type KmipAttribute } from '../core/attributes/index.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import type { ManagedObject } from '../storage-adapters/index.js';
import {
  attributesOf,
  isV2,
  loadObject,
  refuseL4,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';

interface Wanted {
  readonly name: string;
  readonly vendorIdentification?: string;
}

function wantedNames(payload: StructureItem | undefined): Wanted[] {
  const out: Wanted[] = [];
  for (const c of payload?.value ?? []) {
    if (c.tag === Tag.AttributeName) {
      if (c.type !== 'TextString') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Name');
      if (isCustomName(c.value)) out.push({ name: c.value });
      else {
        // Some KMIP 1.0 peers (and the 1.0 OASIS cases) pad names with extra spaces.
        const def = attributeByName(c.value.replace(/\s+/g, ' ').trim());
        if (!def) throw new KryptonError('KRY_OP_INVALID_FIELD', `unknown attribute ${c.value}`);
        out.push({ name: def.camel });
      }
    } else if (c.tag === Tag.AttributeReference) {
      if (c.type === 'Enumeration') {
        const name = tagName(c.value);
        if (!name || !attributeByName(name))
          throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
        out.push({ name });
      } else if (c.type === 'Structure') {
        const vendor = c.value.find((x) => x.tag === Tag.VendorIdentification);
        const name = c.value.find((x) => x.tag === Tag.AttributeName);
        if (vendor?.type !== 'TextString' || name?.type !== 'TextString')
          throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
        out.push(
          vendor.value === 'x' || vendor.value === 'y'
            ? { name: `${vendor.value}-${name.value}` }
            : { name: name.value, vendorIdentification: vendor.value },
        );
      } else throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
    }
  }
  return out;
}

/**
 * The Get Attributes answer for a loaded object: the attributes the request names (Attribute
 * Names in 1.x, Attribute References in 2.x), in the order asked, or all of them, written in the
 * request's version. Shared with the gateway, which answers the same way for its L4 objects.
 */
export function getAttributesAnswer(
  ctx: RequestContext,
  object: ManagedObject,
  payload: StructureItem | undefined,
): TtlvItem[] {
  const wanted = wantedNames(payload);
  const position = (a: KmipAttribute): number =>
    wanted.findIndex((w) => w.name === a.name && w.vendorIdentification === a.vendorIdentification);
  let attrs: KmipAttribute[] = attributesOf(object);
  // In the order asked (the OASIS cases list them so).
  if (wanted.length > 0)
    attrs = attrs.filter((a) => position(a) >= 0).sort((a, b) => position(a) - position(b));
  const written = writeAttributes(attrs, ctx.protocolVersion, !isV2(ctx.protocolVersion));
  const uid = textString(Tag.UniqueIdentifier, object.id);
  return isV2(ctx.protocolVersion) ? [uid, structure(Tag.Attributes, written)] : [uid, ...written];
}

export async function getAttributesOf(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const object = await loadObject(ctx, uniqueIdentifierOf(ctx, payload));
  refuseL4(object);
  return getAttributesAnswer(ctx, object, payload);
}

export const getAttributes = defineOperation({
  operation: 'GetAttributes',
  phase: 1,
  roles: ['core'],
  permission: 'get',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(getAttributesOf),
});
