/**
 * Locate (KMIP 2.1 §6.1.27, 1.4 §4.9): identifiers of the caller's tenant's objects matching
 * every given attribute, as one indexed Store query (never another tenant's object). Filters:
 * Object Type, State, Cryptographic Algorithm/Length, Name, Object Group, Link, the key level,
 * Unique Identifier, dates (one value: that instant; two values of one date: the range), and
 * other attributes by equality (the Cryptographic Usage Mask included: exact match). Maximum
 * Items is capped by the server; Offset Items, Storage Status Mask and Object Group Member are
 * honoured. Located Items (1.3+) is answered when the request pages with Offset Items or Maximum
 * Items: the spec makes it optional otherwise (KMIP 1.4 §4.9, 2.1 §6.1.27 "MAY elect to return
 * the Located Items value even if Offset Items is not present"), and the OASIS cases, which never
 * page, expect the identifiers alone. The ID placeholder takes the identifier when exactly one is
 * returned and is emptied otherwise.
 *
 * Failure cases: a malformed attribute → Invalid Field / Invalid Message.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag, tagInVersion } from '../core/spec/index.js';
import type { KmipVersion } from '../core/spec/versions.js';
import { integer, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN, LEVEL_ATTRIBUTE } from '../core/services/index.js';
import { integerChild, requestAttributes, servicesOf, versioned } from '../core/services/objects.js';
import {
  LIFECYCLE_DATE_NAMES,
  type AttributeFilter,
  type DateRange,
  type LifecycleDateName,
  type LinkFilter,
  type LocateQuery,
} from '../storage-adapters/index.js';

function bad(detail: string): KryptonError {
  return new KryptonError('KRY_OP_INVALID_FIELD', detail);
}

export function locateQueryOf(payload: StructureItem | undefined): LocateQuery {
  const q: {
    -readonly [K in keyof LocateQuery]: LocateQuery[K];
  } = {};
  const names: string[] = [];
  const groups: string[] = [];
  const links: LinkFilter[] = [];
  const attributes: AttributeFilter[] = [];
  const dates: Partial<Record<LifecycleDateName, Date[]>> = {};
  for (const a of requestAttributes(payload)) {
    const v = a.value;
    switch (a.name) {
      case 'ObjectType':
        if (typeof v !== 'number') throw bad('Object Type');
        q.objectType = v as LocateQuery['objectType'];
        break;
      case 'State':
        if (typeof v !== 'number') throw bad('State');
        q.state = v as LocateQuery['state'];
        break;
      case 'CryptographicAlgorithm':
        if (typeof v !== 'number') throw bad('Cryptographic Algorithm');
        q.cryptographicAlgorithm = v;
        break;
      case 'CryptographicLength':
        if (typeof v !== 'number') throw bad('Cryptographic Length');
        q.cryptographicLength = v;
        break;
      case 'UniqueIdentifier':
        if (typeof v !== 'string') throw bad('Unique Identifier');
        q.uniqueIdentifier = v;
        break;
      case 'Name': {
        const nv = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).NameValue : undefined;
        if (typeof nv !== 'string') throw bad('Name');
        names.push(nv);
        break;
      }
      case 'ObjectGroup':
        if (typeof v !== 'string') throw bad('Object Group');
        groups.push(v);
        break;
      case 'Link': {
        const l = v as Record<string, unknown>;
        if (typeof l?.LinkType !== 'number') throw bad('Link');
        links.push({
          linkType: l.LinkType as LinkFilter['linkType'],
          ...(typeof l.LinkedObjectIdentifier === 'string' && { linkedObjectId: l.LinkedObjectIdentifier }),
        });
        break;
      }
      case LEVEL_ATTRIBUTE:
        if (v !== 'L2' && v !== 'L3' && v !== 'L4') throw bad(LEVEL_ATTRIBUTE);
        q.keyLevel = Number(v.slice(1)) as 2 | 3 | 4;
        break;
      default:
        if ((LIFECYCLE_DATE_NAMES as readonly string[]).includes(a.name)) {
          if (!(v instanceof Date)) throw bad(a.name);
          (dates[a.name as LifecycleDateName] ??= []).push(v);
        } else {
          attributes.push({
            name: a.name,
            ...(a.vendorIdentification !== undefined && { vendorIdentification: a.vendorIdentification }),
            value: v,
          });
        }
    }
  }
  if (names.length) q.names = names;
  if (groups.length) q.objectGroups = groups;
  if (links.length) q.links = links;
  if (attributes.length) q.attributes = attributes;
  const ranges: Partial<Record<LifecycleDateName, DateRange>> = {};
  for (const [name, values] of Object.entries(dates) as [LifecycleDateName, Date[]][]) {
    if (values.length > 2) throw bad(`${name}: one value or a range of two`);
    const [a, b] = values.length === 1 ? [values[0]!, values[0]!] : [values[0]!, values[1]!];
    ranges[name] = a <= b ? { from: a, to: b } : { from: b, to: a };
  }
  if (Object.keys(ranges).length) q.dates = ranges;
  const max = integerChild(payload, Tag.MaximumItems, 'Maximum Items');
  if (max !== undefined) {
    if (max < 0) throw bad('Maximum Items');
    q.maximumItems = max;
  }
  const offset = integerChild(payload, Tag.OffsetItems, 'Offset Items');
  if (offset !== undefined) {
    if (offset < 0) throw bad('Offset Items');
    q.offsetItems = offset;
  }
  const mask = integerChild(payload, Tag.StorageStatusMask, 'Storage Status Mask');
  if (mask !== undefined) q.storageStatusMask = mask;
  const member = payload?.value.find((c) => c.tag === Tag.ObjectGroupMember);
  if (member !== undefined) {
    if (member.type !== 'Enumeration') throw bad('Object Group Member');
    q.objectGroupMember = member.value as LocateQuery['objectGroupMember'];
  }
  return q;
}

/** Whether the answer carries Located Items: 1.3+ and the request pages (see the header). */
export function answersLocatedItems(query: LocateQuery, version: KmipVersion): boolean {
  const paged = query.offsetItems !== undefined || query.maximumItems !== undefined;
  return paged && tagInVersion(Tag.LocatedItems, version);
}

/**
 * The ID placeholder after a Locate (KMIP 2.1 §6.1.27, 1.4 §4.9): the identifier when exactly one
 * is returned; emptied otherwise, so that the items batched after it proceed only on one object.
 */
export function placeLocated(ctx: RequestContext, ids: readonly string[]): void {
  if (ids.length === 1) ctx.placeholder.set(ids[0]!);
  else ctx.placeholder.clear?.();
}

export async function locateObjects(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const parsed = locateQueryOf(payload);
  const withCount = answersLocatedItems(parsed, ctx.protocolVersion);
  const query = { ...parsed, countTotal: withCount };
  // The core holds no L4: asking for one finds nothing rather than failing.
  if (query.keyLevel === 4) {
    placeLocated(ctx, []);
    return withCount ? [integer(Tag.LocatedItems, 0)] : [];
  }
  const { ids, located } = await servicesOf(ctx).store.locate(ctx.tenant, query);
  placeLocated(ctx, ids);
  const out: TtlvItem[] = [];
  if (withCount && located !== undefined) out.push(integer(Tag.LocatedItems, located));
  for (const id of ids) out.push(textString(Tag.UniqueIdentifier, id));
  return out;
}

export const locate = defineOperation({
  operation: 'Locate',
  phase: 1,
  roles: ['core'],
  permission: 'locate',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(locateObjects),
});
