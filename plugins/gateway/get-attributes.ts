/**
 * Get Attributes at the gateway (KMIP 2.1 §6.1.22, 1.4 §4.12): a local L4's attributes from the
 * vault (the named ones, or all), written in the request's version (1.x Attribute structures,
 * 2.x Attributes; the key level is `x-krypton-level` / Vendor Attribute (`x`, `krypton-level`)).
 * Any other object is the core's: forwarded.
 *
 * Failure cases: a name that is no attribute → Invalid Field.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { KryptonError } from '../../core/errors.js';
import { attributeByName, Tag, tagName } from '../../core/spec/index.js';
import { structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem } from '../../core/ttlv/types.js';
import { isCustomName, writeAttributes } from '../../core/attributes/index.js';
import { attributesOf, isV2 } from '../../core/services/objects.js';
import { GATEWAY_SERVICES_PLUGIN, idOf, local, localL4 } from './routing.js';

interface Wanted {
  readonly name: string;
  readonly vendorIdentification?: string;
}

/** Attribute Names (1.x) and Attribute References (2.x) of the request, as the core reads them. */
function wantedNames(payload: StructureItem | undefined): Wanted[] {
  const out: Wanted[] = [];
  for (const c of payload?.value ?? []) {
    if (c.tag === Tag.AttributeName) {
      if (c.type !== 'TextString') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Name');
      if (isCustomName(c.value)) out.push({ name: c.value });
      else {
        // Some KMIP 1.0 peers (and the 1.0 OASIS cases) pad names with extra spaces, as at the core.
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

export const getAttributes = defineOperation({
  operation: 'GetAttributes',
  phase: 1,
  roles: ['gateway'],
  permission: 'get',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  async handle(ctx, payload) {
    const id = idOf(ctx, payload);
    const object = id !== undefined ? await localL4(ctx, id) : undefined;
    if (!object) return forwardItem(gatewayOf(ctx).delegate, ctx, 'GetAttributes', payload);
    return local(ctx, async () => {
      const wanted = wantedNames(payload);
      const index = (a: Wanted) =>
        wanted.findIndex((w) => w.name === a.name && w.vendorIdentification === a.vendorIdentification);
      let attrs = attributesOf(object);
      if (wanted.length > 0) attrs = attrs.filter((a) => index(a) >= 0).sort((a, b) => index(a) - index(b));
      const written = writeAttributes(attrs, ctx.protocolVersion, !isV2(ctx.protocolVersion));
      const uid = textString(Tag.UniqueIdentifier, object.id);
      return isV2(ctx.protocolVersion) ? [uid, structure(Tag.Attributes, written)] : [uid, ...written];
    });
  },
});
