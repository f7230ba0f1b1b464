/**
 * The KMIP 1.0–2.1 protocol registry: tags, enumerations, masks, operations and attributes, with
 * the versions that define them. Built once at module load from the generated tables; every
 * lookup is a Map access.
 *
 * Vendor extensions (KMIP 2.1 §11.56 tags 0x540000–0x54FFFF, enumeration values 0x8XXXXXXX) are
 * added at boot by plugins through registerExtensionTag / registerExtensionEnumValue. The registry
 * is process-wide: registering the same definition twice is a no-op (several servers may boot
 * the same plugin in one process), a conflicting definition throws.
 */
import { ITEM_TYPE_CODES, type ItemTypeName } from '../ttlv/types.js';
import { ATTRIBUTE_ROWS } from './generated/attributes.js';
import { ENUM_ALIAS_ROWS, ENUM_ROWS, ENUM_VALUES } from './generated/enums.js';
import { MASK_BITS, MASK_ROWS } from './generated/masks.js';
import { OPERATION_ROWS } from './generated/operations.js';
import { TAG_ALIAS_ROWS, TAG_ROWS } from './generated/tags.js';
import type { TagTypeCell } from './rows.js';
import {
  KMIP_VERSIONS,
  type KmipVersion,
  versionIndex,
  versionInRange,
  versionsInRange,
} from './versions.js';
import { PKCS11_FUNCTIONS, PKCS11_RETURN_CODES } from './pkcs11.js';

// ---- Tags ----------------------------------------------------------------------------------------

interface TagInfo {
  readonly tag: number;
  readonly camel: string;
  readonly since: KmipVersion;
  readonly until: KmipVersion | null;
  readonly type: TagTypeCell;
  readonly extension: boolean;
}

const tagsByValue = new Map<number, TagInfo>();
const tagsByName = new Map<string, number>();

for (const [tag, camel, since, until, , type] of TAG_ROWS) {
  tagsByValue.set(tag, { tag, camel, since, until, type, extension: false });
  tagsByName.set(camel, tag);
}
for (const [tag, camel] of TAG_ALIAS_ROWS) tagsByName.set(camel, tag);

/** Tag number of a CamelCase tag name or alias, including registered extension tags. */
export function tagByName(name: string): number | undefined {
  return tagsByName.get(name);
}

/** CamelCase name of a tag (the element name of the KMIP XML/JSON encodings). */
export function tagName(tag: number): string | undefined {
  return tagsByValue.get(tag)?.camel;
}

/**
 * Item type of a tag: in `version` when given and the tag exists there, else the type common to
 * every version. Undefined when the type varies (Attribute Value, Key Material, …) or is unknown.
 */
export function tagType(tag: number, version?: KmipVersion): ItemTypeName | undefined {
  const info = tagsByValue.get(tag);
  if (info === undefined) return undefined;
  const cell = info.type;
  if (cell === null) return undefined;
  if (typeof cell === 'string') return cell;
  if (version !== undefined && versionInRange(version, info.since, info.until)) {
    return cell[versionIndex(version)] ?? undefined;
  }
  return undefined;
}

/** True when `version` defines the tag (extension tags: every version). */
export function tagInVersion(tag: number, version: KmipVersion): boolean {
  const info = tagsByValue.get(tag);
  return info !== undefined && versionInRange(version, info.since, info.until);
}

/** True for the vendor extension tag range 0x540000–0x54FFFF (KMIP 2.1 §11.56). */
export function isExtensionTag(tag: number): boolean {
  return Number.isInteger(tag) && tag >= 0x540000 && tag <= 0x54ffff;
}

// ---- Enumerations --------------------------------------------------------------------------------

export interface EnumDef {
  /**
   * Spec name, e.g. 'Result Reason'. (Not `name`: that is the value → name lookup below; a
   * property and a method cannot share one name.)
   */
  readonly specName: string;
  /** CamelCase name, e.g. 'ResultReason'. */
  readonly camel: string;
  /** The tag of the same name, when there is one (Item Type has none). */
  readonly tag: number | undefined;
  /** Every tag carrying this enumeration (e.g. Hashing Algorithm and Mask Generator Hashing Algorithm). */
  readonly tags: readonly number[];
  /** Versions defining the enumeration. */
  readonly versions: readonly KmipVersion[];
  /** Value of a CamelCase name, alias spelling or '0x0000000A' hex string; undefined when not in `version`. */
  value(name: string, version?: KmipVersion): number | undefined;
  /** CamelCase name of a value: its spelling in `version` when defined there, else the latest spelling. */
  name(value: number, version?: KmipVersion): string | undefined;
  /** True when `version` defines the value (registered extension values: every version). */
  inVersion(value: number, version: KmipVersion): boolean;
  /** Defined values, ascending (in `version` when given). */
  values(version?: KmipVersion): readonly number[];
}

interface ValueInfo {
  readonly camel: string;
  readonly since: KmipVersion;
  readonly until: KmipVersion | null;
  /** Other spellings emitted in the versions that print them (e.g. 1.x "…(PKCS#1 v1.5)"). */
  readonly spellings: { camel: string; since: KmipVersion; until: KmipVersion | null }[];
}

const HEX_VALUE = /^0x[0-9A-Fa-f]{1,8}$/;
const ALL_VERSIONS_SINCE = KMIP_VERSIONS[0] as KmipVersion;

function parseHex(name: string): number | undefined {
  return HEX_VALUE.test(name) ? Number.parseInt(name.slice(2), 16) : undefined;
}

/** Enumeration values 0x80000000–0xFFFFFFFF are vendor extensions (KMIP 2.1 §11, "Extensions 8XXXXXXX"). */
export function isExtensionEnumValue(value: number): boolean {
  return Number.isInteger(value) && value >= 0x80000000 && value <= 0xffffffff;
}

class TableEnum implements EnumDef {
  readonly byValue = new Map<number, ValueInfo>();
  readonly byName = new Map<string, number>();
  private sorted: number[] | undefined;

  constructor(
    readonly specName: string,
    readonly camel: string,
    readonly tag: number | undefined,
    readonly tags: readonly number[],
    readonly versions: readonly KmipVersion[],
  ) {}

  add(value: number, camel: string, since: KmipVersion, until: KmipVersion | null): void {
    this.byValue.set(value, { camel, since, until, spellings: [] });
    this.byName.set(camel, value);
    this.sorted = undefined;
  }

  value(name: string, version?: KmipVersion): number | undefined {
    const value = this.byName.get(name) ?? parseHex(name);
    if (value === undefined) return undefined;
    if (!this.byValue.has(value)) return isExtensionEnumValue(value) ? value : undefined;
    return version === undefined || this.inVersion(value, version) ? value : undefined;
  }

  name(value: number, version?: KmipVersion): string | undefined {
    const info = this.byValue.get(value);
    if (info === undefined) return undefined;
    if (version !== undefined) {
      for (const s of info.spellings) if (versionInRange(version, s.since, s.until)) return s.camel;
    }
    return info.camel;
  }

  inVersion(value: number, version: KmipVersion): boolean {
    const info = this.byValue.get(value);
    return info !== undefined && versionInRange(version, info.since, info.until);
  }

  values(version?: KmipVersion): readonly number[] {
    this.sorted ??= [...this.byValue.keys()].sort((a, b) => a - b);
    return version === undefined ? this.sorted : this.sorted.filter((v) => this.inVersion(v, version));
  }
}

/** The 2.x Tag enumeration (KMIP 2.1 §11.56): its values are the tag numbers, its names the tag names. */
class TagEnum implements EnumDef {
  constructor(
    readonly specName: string,
    readonly camel: string,
    readonly tag: number | undefined,
    readonly tags: readonly number[],
    readonly versions: readonly KmipVersion[],
  ) {}

  value(name: string, version?: KmipVersion): number | undefined {
    const tag = tagsByName.get(name) ?? parseHex(name);
    if (tag === undefined || !tagsByValue.has(tag)) return undefined;
    return version === undefined || tagInVersion(tag, version) ? tag : undefined;
  }

  name(value: number): string | undefined {
    return tagName(value);
  }

  inVersion(value: number, version: KmipVersion): boolean {
    return tagInVersion(value, version);
  }

  values(version?: KmipVersion): readonly number[] {
    const all = [...tagsByValue.keys()].sort((a, b) => a - b);
    return version === undefined ? all : all.filter((t) => tagInVersion(t, version));
  }
}

const enumsByName = new Map<string, TableEnum | TagEnum>();
const enumsByTag = new Map<number, EnumDef>();

for (const [camel, name, tags, since, until] of ENUM_ROWS) {
  const own = tagsByName.get(camel);
  const primary = own !== undefined && tags.includes(own) ? own : undefined;
  const versions = versionsInRange(since, until);
  const def =
    camel === 'Tag'
      ? new TagEnum(name, camel, primary, tags, versions)
      : new TableEnum(name, camel, primary, tags, versions);
  if (def instanceof TableEnum) {
    for (const [value, valueCamel, vSince, vUntil] of ENUM_VALUES[camel] ?? [])
      def.add(value, valueCamel, vSince, vUntil);
  }
  enumsByName.set(camel, def);
  for (const tag of tags) enumsByTag.set(tag, def);
}

// PKCS#11 values are defined by reference to the PKCS#11 standard, not by a KMIP table.
{
  const fn = enumsByName.get('PKCS_11Function');
  const rc = enumsByName.get('PKCS_11ReturnCode');
  if (fn instanceof TableEnum) PKCS11_FUNCTIONS.forEach((name, i) => fn.add(i + 1, name, '2.0', null));
  if (rc instanceof TableEnum)
    for (const [value, name] of PKCS11_RETURN_CODES) rc.add(value, name, '2.0', null);
}

for (const [enumCamel, value, camel, since, until, emitted] of ENUM_ALIAS_ROWS) {
  const def = enumsByName.get(enumCamel);
  if (!(def instanceof TableEnum)) continue;
  def.byName.set(camel, value);
  if (emitted) def.byValue.get(value)?.spellings.push({ camel, since, until });
}

/** The enumeration carried by a tag (including extra carriers such as Mask Generator Hashing Algorithm). */
export function enumForTag(tag: number): EnumDef | undefined {
  return enumsByTag.get(tag);
}

/** An enumeration by CamelCase name: 'ObjectType', 'ResultReason', 'Operation', … */
export function enumByName(camel: string): EnumDef | undefined {
  return enumsByName.get(camel);
}

// ---- Masks ---------------------------------------------------------------------------------------

export interface MaskDef {
  readonly name: string;
  readonly camel: string;
  readonly tag: number;
  readonly versions: readonly KmipVersion[];
  /** Bit value of a CamelCase bit name (e.g. 'Encrypt' → 0x4). */
  bit(name: string): number | undefined;
  /** Names of the bits set, ascending; undefined when a bit is set that `version` (or any version) does not define. */
  names(value: number, version?: KmipVersion): string[] | undefined;
  /** Every bit defined (in `version` when given), OR-ed. */
  allBits(version?: KmipVersion): number;
}

interface BitInfo {
  readonly value: number;
  readonly camel: string;
  readonly since: KmipVersion;
  readonly until: KmipVersion | null;
}

class TableMask implements MaskDef {
  private readonly byName = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly camel: string,
    readonly tag: number,
    readonly versions: readonly KmipVersion[],
    private readonly bits: readonly BitInfo[],
  ) {
    for (const b of bits) this.byName.set(b.camel, b.value);
  }

  bit(name: string): number | undefined {
    return this.byName.get(name);
  }

  names(value: number, version?: KmipVersion): string[] | undefined {
    let rest = value >>> 0;
    const names: string[] = [];
    for (const b of this.bits) {
      if ((rest & b.value) === 0) continue;
      if (version !== undefined && !versionInRange(version, b.since, b.until)) return undefined;
      names.push(b.camel);
      rest = (rest & ~b.value) >>> 0;
    }
    return rest === 0 ? names : undefined;
  }

  allBits(version?: KmipVersion): number {
    let all = 0;
    for (const b of this.bits)
      if (version === undefined || versionInRange(version, b.since, b.until)) all |= b.value;
    return all >>> 0;
  }
}

const masksByTag = new Map<number, MaskDef>();
const masksByName = new Map<string, MaskDef>();

for (const [camel, name, tag, since, until] of MASK_ROWS) {
  const bits = (MASK_BITS[camel] ?? []).map(([value, bitCamel, bSince, bUntil]) => ({
    value,
    camel: bitCamel,
    since: bSince,
    until: bUntil,
  }));
  const def = new TableMask(name, camel, tag, versionsInRange(since, until), bits);
  masksByTag.set(tag, def);
  masksByName.set(camel, def);
}

/** The bit mask carried by a tag: Cryptographic Usage Mask, Protection Storage Mask, Storage Status Mask. */
export function maskForTag(tag: number): MaskDef | undefined {
  return masksByTag.get(tag);
}

/** A mask by CamelCase name. */
export function maskByName(camel: string): MaskDef | undefined {
  return masksByName.get(camel);
}

// ---- Operations ----------------------------------------------------------------------------------

export interface OperationDef {
  readonly name: string;
  readonly camel: string;
  readonly code: number;
  readonly versions: readonly KmipVersion[];
}

/** The operations of KMIP 1.0–2.1 by code (vendor extension operations are not listed here). */
export const OPERATIONS: readonly OperationDef[] = Object.freeze(
  OPERATION_ROWS.map(([code, camel, name, since, until]) =>
    Object.freeze({ code, camel, name, versions: versionsInRange(since, until) }),
  ),
);

const operationsByCode = new Map<number, OperationDef>(OPERATIONS.map((o) => [o.code, o]));
const operationsByName = new Map<string, OperationDef>(OPERATIONS.map((o) => [o.camel, o]));

/** An operation by code, including registered vendor extension operations. */
export function operationByCode(code: number): OperationDef | undefined {
  return operationsByCode.get(code);
}

/** An operation by CamelCase name ('ReKey', 'DiscoverVersions', …), including vendor extensions. */
export function operationByName(camel: string): OperationDef | undefined {
  return operationsByName.get(camel);
}

// ---- Attributes ----------------------------------------------------------------------------------

export interface AttributeDef {
  /** Spec name, e.g. 'Cryptographic Usage Mask' (the 1.x Attribute Name). */
  readonly name: string;
  readonly camel: string;
  readonly tag: number | undefined;
  readonly type: ItemTypeName | undefined;
  readonly enumDef?: EnumDef;
  readonly maskDef?: MaskDef;
  /** "Multiple instances permitted" of the attribute's rule table. */
  readonly multiValued: boolean | 'conditional';
  readonly versions: readonly KmipVersion[];
}

const attributesByName = new Map<string, AttributeDef>();

/** The attributes of KMIP 1.4 §3 and 2.1 §4 (2.x Certificate Attributes listed member by member). */
export const ATTRIBUTES: readonly AttributeDef[] = Object.freeze(
  ATTRIBUTE_ROWS.map(([name, camel, tag, type, multiValued, since, until]) => {
    const enumDef = tag === null ? undefined : enumForTag(tag);
    const maskDef = tag === null ? undefined : maskForTag(tag);
    const def: AttributeDef = Object.freeze({
      name,
      camel,
      tag: tag ?? undefined,
      type: type ?? undefined,
      ...(enumDef !== undefined && { enumDef }),
      ...(maskDef !== undefined && { maskDef }),
      multiValued,
      versions: versionsInRange(since, until),
    });
    attributesByName.set(name, def);
    attributesByName.set(camel, def);
    return def;
  }),
);

/**
 * An attribute by spec name ('Object Type') or CamelCase name ('ObjectType'). This is how a 1.x
 * Attribute Value learns its enumeration or mask from the sibling Attribute Name.
 */
export function attributeByName(name: string): AttributeDef | undefined {
  return attributesByName.get(name);
}

// ---- Vendor extensions ---------------------------------------------------------------------------

const EXTENSION_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function hexOf(n: number, width: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;
}

/**
 * Registers a vendor extension tag (0x540000–0x54FFFF) under a CamelCase name, valid in every
 * version. Throws on a tag outside the range, a bad name or type, or a clash with another tag.
 */
export function registerExtensionTag(def: { tag: number; name: string; type: ItemTypeName }): void {
  const { tag, name, type } = def;
  if (!isExtensionTag(tag)) {
    throw new RangeError(`extension tag ${hexOf(tag, 6)} is outside 0x540000-0x54FFFF`);
  }
  if (!EXTENSION_NAME.test(name))
    throw new TypeError(`extension tag name ${JSON.stringify(name)} is not CamelCase`);
  if (!Object.hasOwn(ITEM_TYPE_CODES, type))
    throw new TypeError(`extension tag ${name}: unknown item type ${type}`);
  const prior = tagsByValue.get(tag);
  const named = tagsByName.get(name);
  if (prior !== undefined) {
    if (prior.camel === name && prior.type === type) return;
    throw new Error(
      `extension tag ${hexOf(tag, 6)} is already registered as ${prior.camel} (${String(prior.type)})`,
    );
  }
  if (named !== undefined) throw new Error(`tag name ${name} is already used by ${hexOf(named, 6)}`);
  tagsByValue.set(tag, { tag, camel: name, since: ALL_VERSIONS_SINCE, until: null, type, extension: true });
  tagsByName.set(name, tag);
}

/**
 * Registers a vendor extension value (0x80000000–0xFFFFFFFF) of an enumeration, valid in every
 * version. A value of the Operation enumeration also becomes an OperationDef. Throws on an
 * unknown enumeration, a value outside the range, or a clash with another name or value.
 */
export function registerExtensionEnumValue(enumCamel: string, name: string, value: number): void {
  const def = enumsByName.get(enumCamel);
  if (def === undefined) throw new Error(`unknown enumeration ${enumCamel}`);
  if (!(def instanceof TableEnum)) throw new Error(`${enumCamel} values are tags: use registerExtensionTag`);
  if (!isExtensionEnumValue(value)) {
    throw new RangeError(`${enumCamel} extension value ${hexOf(value, 8)} is outside 0x80000000-0xFFFFFFFF`);
  }
  if (!EXTENSION_NAME.test(name))
    throw new TypeError(`${enumCamel} value name ${JSON.stringify(name)} is not CamelCase`);
  const prior = def.byValue.get(value);
  const named = def.byName.get(name);
  if (prior !== undefined) {
    if (prior.camel === name) return;
    throw new Error(`${enumCamel} value ${hexOf(value, 8)} is already registered as ${prior.camel}`);
  }
  if (named !== undefined) throw new Error(`${enumCamel} name ${name} is already used by ${hexOf(named, 8)}`);
  def.add(value, name, ALL_VERSIONS_SINCE, null);
  if (enumCamel === 'Operation') {
    const op: OperationDef = Object.freeze({ code: value, camel: name, name, versions: KMIP_VERSIONS });
    operationsByCode.set(value, op);
    operationsByName.set(name, op);
  }
}
