/**
 * Attribute changes by clients — what Add Attribute, Modify Attribute, Delete Attribute (KMIP
 * 1.4 §4.13-4.15, 2.1 §6.1.2, §6.1.34, §6.1.13) and Set Attribute (2.1 §6.1.51) share: the rule
 * table (core/attributes/rules.ts) decides who may change what; this module reads the current
 * values in the order clients see them (the Attribute Index of Get Attributes), checks the
 * state-dependent conditions and writes through the Store.
 *
 * Three kinds of attribute are written differently: the client-settable lifecycle dates
 * (Activation, Deactivation, Process Start, Protect Stop Date) are columns changed with
 * `updateDates` and the object's version as a guard; Link values are rows of their own; every
 * other client-settable attribute is a generic attribute row. Single-valued generic attributes
 * are written with `setAttribute`, which replaces every value: a race of two adds can never
 * leave two values behind.
 */
import {
  attributeDef,
  attributeInVersion,
  isCustomName,
  readAttributeStructure,
  readAttributes,
  type AttributeValue,
  type KmipAttribute,
} from '../attributes/index.js';
import {
  KEY_LEVEL_ATTRIBUTE,
  attributeError,
  checkClientChange,
  type AttributeChange,
} from '../attributes/rules.js';
import type { RequestContext } from '../dispatch/operation.js';
import { KryptonError } from '../errors.js';
import { attributeByName, Tag, tagName } from '../spec/index.js';
import { child } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import {
  PROMOTED_ATTRIBUTE_NAMES,
  State,
  StorageStatus,
  type AttributeRef,
  type LifecycleDateName,
  type LinkType,
  type ManagedObject,
} from '../../storage-adapters/index.js';
import { attributesOf, isV2, LINK_TYPES, loadObject, refuseL4, servicesOf } from './objects.js';

/** The dates a client may set (KMIP 2.1 §4.1, §4.14, §4.40, §4.41: "only while in …"). */
const CLIENT_DATES: ReadonlySet<string> = new Set([
  'ActivationDate',
  'DeactivationDate',
  'ProcessStartDate',
  'ProtectStopDate',
]);

export interface AttributeInstance {
  readonly value: AttributeValue;
  /** The Store's index of a generic attribute row (not necessarily the client's index). */
  readonly storedIndex?: number;
}

type Kind = 'date' | 'link' | 'generic' | 'fixed';

function kindOf(ref: AttributeRef): Kind {
  if (ref.vendorIdentification !== undefined || isCustomName(ref.name))
    return ref.name === KEY_LEVEL_ATTRIBUTE ? 'fixed' : 'generic';
  if (CLIENT_DATES.has(ref.name)) return 'date';
  if (ref.name === 'Link') return 'link';
  return PROMOTED_ATTRIBUTE_NAMES.has(ref.name) ? 'fixed' : 'generic';
}

function sameRef(a: AttributeRef, b: AttributeRef): boolean {
  return a.name === b.name && a.vendorIdentification === b.vendorIdentification;
}

/**
 * The values of an attribute in the order Get Attributes reports them: the position is the
 * client's Attribute Index (KMIP 1.4 §2.1.1).
 */
export function instancesOf(object: ManagedObject, ref: AttributeRef): AttributeInstance[] {
  if (kindOf(ref) === 'generic') {
    return object.attributes
      .filter((a) => sameRef(a, ref))
      .map((a) => ({ value: a.value, storedIndex: a.index }));
  }
  return attributesOf(object)
    .filter((a) => sameRef(a, ref))
    .map((a) => ({ value: a.value }));
}

/** Structural equality of plain attribute values (2.x Current Attribute matching). */
export function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && sameValue(a[k]!, b[k]!));
  }
  return a === b;
}

/** Does a plain value have the shape of the attribute's item type (KMIP 2.1 §4)? */
function valueFits(attr: KmipAttribute): boolean {
  const def = attributeDef(attr.name);
  const v = attr.value;
  switch (def?.type) {
    case undefined:
      return true;
    case 'TextString':
      return typeof v === 'string';
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      return typeof v === 'number';
    case 'LongInteger':
    case 'BigInteger':
    case 'DateTimeExtended':
      return typeof v === 'bigint';
    case 'ByteString':
      return v instanceof Uint8Array;
    case 'DateTime':
      return v instanceof Date;
    case 'Boolean':
      return typeof v === 'boolean';
    case 'Structure':
      return typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date);
  }
}

/** The core refuses an L4 (none is stored there); a gateway serves the L4s of its vault. */
export function refuseL4Here(ctx: RequestContext, object: Pick<ManagedObject, 'keyLevel'>): void {
  if (ctx.services.holdsL4 !== true) refuseL4(object);
}

/**
 * The object an attribute operation names, loaded for the caller's tenant: an L4 is refused
 * (none is stored here) and an archived object answers Object Archived (KMIP 1.4 §11.15-11.17).
 */
export async function objectForAttributes(ctx: RequestContext, id: string): Promise<ManagedObject> {
  const object = await loadObject(ctx, id);
  refuseL4Here(ctx, object);
  if (object.archived) throw new KryptonError('KRY_OP_ARCHIVED');
  return object;
}

function checkDate(object: ManagedObject, name: string, value: AttributeValue, now: Date): Date {
  if (!(value instanceof Date))
    throw new KryptonError('KRY_ATTR_BAD_VALUE_1X', `${name} must be a Date-Time`);
  const state = object.state;
  const current = object.dates[name as LifecycleDateName];
  if (name === 'ActivationDate' && state !== State.PreActive)
    throw new KryptonError('KRY_ATTR_WRONG_STATE', 'Activation Date changes only while Pre-Active');
  if (state !== State.PreActive && state !== State.Active)
    throw new KryptonError('KRY_ATTR_WRONG_STATE', `${name} changes only while Pre-Active or Active`);
  if ((name === 'ProcessStartDate' || name === 'ProtectStopDate') && current !== undefined && current <= now)
    throw new KryptonError('KRY_ATTR_WRONG_STATE', `${name} has been reached`);
  return value;
}

function linkOfValue(value: AttributeValue, version: RequestContext['protocolVersion']) {
  if (typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const type = value.LinkType;
    const linked = value.LinkedObjectIdentifier;
    if (typeof type === 'number' && LINK_TYPES.has(type) && typeof linked === 'string' && linked.length > 0)
      return { linkType: type as LinkType, linkedObjectId: linked };
  }
  throw attributeError(version, 'bad-value', 'Link needs a Link Type and a Linked Object Identifier');
}

/**
 * Name values are unique within a tenant, across objects and within one (KMIP 1.4 §3.2, 2.1 §4.32
 * "Non Unique Name Attribute"). A Modify that keeps the value is not checked.
 */
async function checkNameUnique(
  ctx: RequestContext,
  object: ManagedObject,
  attr: KmipAttribute,
): Promise<void> {
  if (attr.name !== 'Name' || attr.vendorIdentification !== undefined) return;
  const v = attr.value;
  const name =
    typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date) ? v.NameValue : undefined;
  if (typeof name !== 'string')
    throw attributeError(ctx.protocolVersion, 'bad-value', 'Name needs a Name Value');
  const { ids } = await servicesOf(ctx).store.locate(ctx.tenant, {
    names: [name],
    storageStatusMask: StorageStatus.OnLine | StorageStatus.Archival,
    maximumItems: 2,
  });
  // The object itself counts too: a second equal Name value is not unique either (BL-M-8-21).
  if (ids.length > 0) throw attributeError(ctx.protocolVersion, 'name-not-unique', name);
}

function checkValue(ctx: RequestContext, attr: KmipAttribute): void {
  if (!attributeInVersion(attr, ctx.protocolVersion))
    throw new KryptonError(
      'KRY_OP_INVALID_FIELD',
      `${attr.name} is not an attribute of KMIP ${ctx.protocolVersion}`,
    );
  if (!valueFits(attr)) throw attributeError(ctx.protocolVersion, 'bad-value', attr.name);
}

function rules(change: AttributeChange, ctx: RequestContext, object: ManagedObject, ref: AttributeRef) {
  return checkClientChange(change, ref, object.objectType, ctx.protocolVersion);
}

/** A written value with the client's Attribute Index, for the 1.x responses. */
export interface ChangedAttribute extends KmipAttribute {
  readonly index: number;
}

/** Add Attribute: a new value; a single-valued attribute must have none yet. */
export async function addAttributeValue(
  ctx: RequestContext,
  object: ManagedObject,
  attr: KmipAttribute,
): Promise<ChangedAttribute> {
  const rule = rules('add', ctx, object, attr);
  checkValue(ctx, attr);
  const existing = instancesOf(object, attr);
  if (!rule.multiValued && existing.length > 0)
    throw attributeError(ctx.protocolVersion, 'single-valued', attr.name);
  await checkNameUnique(ctx, object, attr);
  await write(ctx, object, attr, rule.multiValued ? 'append' : 'replace');
  return { ...stripIndex(attr), index: existing.length };
}

/** Set Attribute (2.x): create the only value, or replace it; several values → Multi Valued. */
export async function setAttributeValue(
  ctx: RequestContext,
  object: ManagedObject,
  attr: KmipAttribute,
): Promise<void> {
  const existing = instancesOf(object, attr);
  if (existing.length > 1) throw new KryptonError('KRY_ATTR_MULTI_VALUED', attr.name);
  if (existing.length === 0) {
    await addAttributeValue(ctx, object, attr);
    return;
  }
  // Set creates or modifies: a client that may add an absent attribute but not modify it
  // (e.g. Cryptographic Usage Mask) is refused as read-only, the Set reason.
  try {
    rules('modify', ctx, object, attr);
  } catch (err) {
    if (err instanceof KryptonError && err.code === 'KRY_ATTR_READ_ONLY')
      throw new KryptonError('KRY_ATTR_READ_ONLY_ADD', attr.name);
    throw err;
  }
  await modifyAttributeValue(ctx, object, attr, { index: 0 }, attr.value);
}

/** Which value a Modify or Delete names: a client index (1.x), a value (2.x Current Attribute), or all. */
export type InstanceSelector =
  { readonly index: number } | { readonly current: AttributeValue } | 'only' | 'all';

function select(
  ctx: RequestContext,
  object: ManagedObject,
  ref: AttributeRef,
  selector: InstanceSelector,
  change: 'modify' | 'delete',
): { instances: AttributeInstance[]; positions: number[] } {
  const instances = instancesOf(object, ref);
  if (instances.length === 0) {
    // 1.x: Modify of an absent attribute is Invalid Field, Delete is Item Not Found (1.4 §11.16-11.17).
    if (!isV2(ctx.protocolVersion) && change === 'delete')
      throw attributeError(ctx.protocolVersion, 'instance-not-found', ref.name);
    throw attributeError(ctx.protocolVersion, 'not-found', ref.name);
  }
  if (selector === 'all') return { instances, positions: instances.map((_, i) => i) };
  if (selector === 'only') {
    if (instances.length > 1) throw new KryptonError('KRY_ATTR_MULTI_VALUED', ref.name);
    return { instances, positions: [0] };
  }
  const position =
    'index' in selector ? selector.index : instances.findIndex((x) => sameValue(x.value, selector.current));
  if (position < 0 || position >= instances.length)
    throw attributeError(ctx.protocolVersion, 'instance-not-found', ref.name);
  return { instances, positions: [position] };
}

/** Modify Attribute: replaces one existing value. */
export async function modifyAttributeValue(
  ctx: RequestContext,
  object: ManagedObject,
  ref: AttributeRef,
  selector: InstanceSelector,
  value: AttributeValue,
): Promise<ChangedAttribute> {
  rules('modify', ctx, object, ref);
  const attr: KmipAttribute = { ...refOf(ref), value };
  checkValue(ctx, attr);
  const { instances, positions } = select(ctx, object, ref, selector, 'modify');
  const position = positions[0]!;
  const old = instances[position]!;
  if (!sameValue(old.value, value)) await checkNameUnique(ctx, object, attr);
  const { store, keys } = servicesOf(ctx);
  switch (kindOf(ref)) {
    case 'date':
      await store.updateDates(
        ctx.tenant,
        object.id,
        { [ref.name]: checkDate(object, ref.name, value, new Date()) },
        object.version,
      );
      keys.invalidate(object.id);
      break;
    case 'link': {
      const next = linkOfValue(value, ctx.protocolVersion);
      const prior = linkOfValue(old.value, ctx.protocolVersion);
      // Add before remove: a failure in between leaves both links, never none.
      await store.addLink(ctx.tenant, object.id, next);
      if (!sameValue(old.value, value)) await store.removeLink(ctx.tenant, object.id, prior);
      break;
    }
    case 'generic':
      await store.modifyAttribute(ctx.tenant, object.id, ref, old.storedIndex ?? 0, value);
      break;
    case 'fixed':
      throw new KryptonError(
        isV2(ctx.protocolVersion) ? 'KRY_ATTR_READ_ONLY' : 'KRY_ATTR_READ_ONLY_1X',
        ref.name,
      );
  }
  return { ...attr, index: position };
}

/** Delete Attribute: one value, or every value (2.x Attribute Reference without Current Attribute). */
export async function deleteAttributeValues(
  ctx: RequestContext,
  object: ManagedObject,
  ref: AttributeRef,
  selector: InstanceSelector,
): Promise<ChangedAttribute[]> {
  rules('delete', ctx, object, ref);
  const { instances, positions } = select(ctx, object, ref, selector, 'delete');
  const { store } = servicesOf(ctx);
  const kind = kindOf(ref);
  if (kind === 'date' || kind === 'fixed')
    throw new KryptonError(
      isV2(ctx.protocolVersion) ? 'KRY_ATTR_READ_ONLY' : 'KRY_ATTR_READ_ONLY_1X',
      ref.name,
    );
  for (const position of positions) {
    const instance = instances[position]!;
    if (kind === 'link')
      await store.removeLink(ctx.tenant, object.id, linkOfValue(instance.value, ctx.protocolVersion));
    else await store.deleteAttribute(ctx.tenant, object.id, ref, instance.storedIndex ?? 0);
  }
  return positions.map((position) => ({ ...refOf(ref), value: instances[position]!.value, index: position }));
}

async function write(
  ctx: RequestContext,
  object: ManagedObject,
  attr: KmipAttribute,
  how: 'append' | 'replace',
): Promise<void> {
  const { store, keys } = servicesOf(ctx);
  const ref = refOf(attr);
  switch (kindOf(attr)) {
    case 'date':
      await store.updateDates(
        ctx.tenant,
        object.id,
        { [attr.name]: checkDate(object, attr.name, attr.value, new Date()) },
        object.version,
      );
      keys.invalidate(object.id);
      return;
    case 'link':
      await store.addLink(ctx.tenant, object.id, linkOfValue(attr.value, ctx.protocolVersion));
      return;
    case 'generic':
      if (how === 'append') await store.addAttribute(ctx.tenant, object.id, { ...ref, value: attr.value });
      else await store.setAttribute(ctx.tenant, object.id, { ...ref, value: attr.value });
      return;
    case 'fixed':
      throw new KryptonError(
        isV2(ctx.protocolVersion) ? 'KRY_ATTR_READ_ONLY_ADD' : 'KRY_ATTR_READ_ONLY_1X',
        attr.name,
      );
  }
}

function refOf(ref: AttributeRef): AttributeRef {
  return ref.vendorIdentification !== undefined
    ? { name: ref.name, vendorIdentification: ref.vendorIdentification }
    : { name: ref.name };
}

function stripIndex(attr: KmipAttribute): KmipAttribute {
  return { ...refOf(attr), value: attr.value };
}

// --- request payloads --------------------------------------------------------------------------

function single(container: TtlvItem, path: string): KmipAttribute {
  const attrs = readAttributes(container, path);
  if (attrs.length !== 1)
    throw new KryptonError('KRY_OP_INVALID_FIELD', `${path} holds exactly one attribute`);
  return attrs[0]!;
}

/** The attribute to write: 2.x New Attribute, or the 1.x Attribute { Name, Index?, Value }. */
export function newAttributeOf(payload: StructureItem | undefined): KmipAttribute {
  const v2 = child(payload, Tag.NewAttribute);
  if (v2) return single(v2, 'NewAttribute');
  const v1 = child(payload, Tag.Attribute);
  if (v1) return readAttributeStructure(v1, 'Attribute');
  throw new KryptonError('KRY_MSG_MISSING_FIELD', 'New Attribute');
}

/** 2.x Current Attribute: the value a Modify or Delete names. */
export function currentAttributeOf(payload: StructureItem | undefined): KmipAttribute | undefined {
  const item = child(payload, Tag.CurrentAttribute);
  return item ? single(item, 'CurrentAttribute') : undefined;
}

/**
 * An attribute named without a value: 2.x Attribute Reference (the attribute's tag as an
 * Enumeration, or { Vendor Identification, Attribute Name }), 1.x Attribute Name.
 */
export function attributeReferenceOf(item: TtlvItem): AttributeRef {
  if (item.tag === Tag.AttributeName && item.type === 'TextString') {
    if (isCustomName(item.value)) return { name: item.value };
    const def = attributeByName(item.value.replace(/\s+/g, ' ').trim());
    if (!def) throw new KryptonError('KRY_OP_INVALID_FIELD', `unknown attribute ${item.value}`);
    return { name: def.camel };
  }
  if (item.tag === Tag.AttributeReference && item.type === 'Enumeration') {
    const name = tagName(item.value);
    if (!name || !attributeByName(name))
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
    return { name };
  }
  if (item.tag === Tag.AttributeReference && item.type === 'Structure') {
    const vendor = child(item, Tag.VendorIdentification);
    const name = child(item, Tag.AttributeName);
    if (vendor?.type !== 'TextString' || name?.type !== 'TextString')
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
    return vendor.value === 'x' || vendor.value === 'y'
      ? { name: `${vendor.value}-${name.value}` }
      : { name: name.value, vendorIdentification: vendor.value };
  }
  throw new KryptonError('KRY_OP_INVALID_FIELD', 'Attribute Reference');
}
