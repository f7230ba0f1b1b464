/**
 * KMIP attributes on the wire ↔ plain attribute values (the Store's model).
 *
 * KMIP 1.x carries attributes as `Attribute { AttributeName "Cryptographic Algorithm",
 * AttributeIndex?, AttributeValue }` (KMIP 1.4 §2.1.1), often inside a TemplateAttribute; KMIP
 * 2.x carries them as native tags inside `Attributes` (KMIP 2.1 §2.1.1) and vendor attributes as
 * `Attribute { VendorIdentification, AttributeName, AttributeValue }`. Internally an attribute
 * has its 2.x CamelCase name. A 1.x custom attribute `x-ID` and the 2.x vendor attribute
 * (`x`, `ID`) are the same attribute, so both are kept as `x-ID`.
 *
 * Writing respects the client's version: an attribute the version does not define is left
 * out, never sent to a client that cannot parse it, and so is a value holding a tag or an
 * enumeration value the version does not define (a Wrapping Key Link, KMIP 2.0, to 1.x).
 */
import { KryptonError } from '../errors.js';
import {
  Tag,
  attributeByName,
  enumForTag,
  isExtensionEnumValue,
  isExtensionTag,
  tagByName,
  tagInVersion,
  tagName,
  tagType,
  type AttributeDef,
  type KmipVersion,
} from '../spec/index.js';
import { versionIndex } from '../spec/versions.js';
import type { ItemTypeName, StructureItem, TtlvItem } from '../ttlv/types.js';

/** Same shape as the Store's AttributeValue: what an attribute's TTLV decodes to, without tags. */
export type AttributeValue = string | number | bigint | boolean | Uint8Array | Date | AttributeStructure;
export interface AttributeStructure {
  readonly [field: string]: AttributeValue;
}

export interface KmipAttribute {
  /** 2.x CamelCase name (`CryptographicAlgorithm`), a custom `x-`/`y-` name, or a vendor's name. */
  readonly name: string;
  /** Only for 2.x vendor attributes of vendors other than `x` and `y`. */
  readonly vendorIdentification?: string;
  /** 1.x Attribute Index, when the client gave one. */
  readonly index?: number;
  readonly value: AttributeValue;
}

const MAX_DATE_SECONDS = 8_640_000_000_000n;

function invalid(detail: string, field?: string): never {
  throw new KryptonError('KRY_ENC_BAD_VALUE', detail, field ? { field } : {});
}

export function isCustomName(name: string): boolean {
  return name.startsWith('x-') || name.startsWith('y-');
}

/** The registry definition of a standard attribute by 2.x CamelCase or 1.x spec name. */
export function attributeDef(name: string): AttributeDef | undefined {
  return isCustomName(name) ? undefined : attributeByName(name);
}

/** TTLV item → plain value. Structures become objects keyed by their children's CamelCase names. */
export function itemToValue(item: TtlvItem, path = ''): AttributeValue {
  switch (item.type) {
    case 'Structure': {
      const out: Record<string, AttributeValue> = Object.create(null) as Record<string, AttributeValue>;
      for (const c of item.value) {
        const key = tagName(c.tag) ?? `0x${c.tag.toString(16)}`;
        if (key in out) invalid(`field ${key} repeated in an attribute value`, `${path}/${key}`);
        out[key] = itemToValue(c, `${path}/${key}`);
      }
      return { ...out };
    }
    case 'DateTime':
      if (item.value > MAX_DATE_SECONDS || item.value < -MAX_DATE_SECONDS) invalid('date out of range', path);
      return new Date(Number(item.value) * 1000);
    case 'DateTimeExtended':
      return item.value;
    default:
      return item.value;
  }
}

function typeForValue(tag: number, value: AttributeValue, version: KmipVersion | undefined): ItemTypeName {
  const known = tagType(tag, version) ?? tagType(tag);
  if (known) return known;
  if (typeof value === 'string') return 'TextString';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'bigint') return 'LongInteger';
  if (value instanceof Uint8Array) return 'ByteString';
  if (value instanceof Date) return 'DateTime';
  if (typeof value === 'number') return enumForTag(tag) ? 'Enumeration' : 'Integer';
  return 'Structure';
}

/** Plain value → TTLV item under `tag`; the item type comes from the registry, else from the value. */
export function valueToItem(
  tag: number,
  value: AttributeValue,
  version?: KmipVersion,
  type?: ItemTypeName,
): TtlvItem {
  const t = type ?? typeForValue(tag, value, version);
  switch (t) {
    case 'Structure': {
      if (typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) {
        return invalid(`attribute 0x${tag.toString(16)} needs a structure`);
      }
      const children: TtlvItem[] = [];
      for (const [key, v] of Object.entries(value)) {
        const childTag = key.startsWith('0x') ? Number(key) : tagByName(key);
        if (childTag === undefined) invalid(`unknown field ${key}`);
        children.push(valueToItem(childTag, v, version));
      }
      return { tag, type: 'Structure', value: children };
    }
    case 'DateTime':
      if (!(value instanceof Date)) return invalid('date expected');
      return { tag, type: 'DateTime', value: BigInt(Math.floor(value.getTime() / 1000)) };
    case 'DateTimeExtended':
      return {
        tag,
        type: 'DateTimeExtended',
        value: value instanceof Date ? BigInt(value.getTime()) * 1000n : BigInt(value as bigint),
      };
    case 'LongInteger':
    case 'BigInteger':
      return { tag, type: t, value: typeof value === 'bigint' ? value : BigInt(value as number) };
    case 'Integer':
    case 'Enumeration':
    case 'Interval':
      return { tag, type: t, value: Number(value) };
    case 'Boolean':
      return { tag, type: 'Boolean', value: Boolean(value) };
    case 'TextString':
      return { tag, type: 'TextString', value: String(value) };
    case 'ByteString':
      if (!(value instanceof Uint8Array)) return invalid('bytes expected');
      return { tag, type: 'ByteString', value };
  }
}

function childOf(item: StructureItem, tag: number): TtlvItem | undefined {
  for (const c of item.value) if (c.tag === tag) return c;
  return undefined;
}

/** One 1.x `Attribute` or 2.x vendor `Attribute` structure → KmipAttribute. */
export function readAttributeStructure(item: TtlvItem, path = 'Attribute'): KmipAttribute {
  if (item.type !== 'Structure') return invalid('Attribute must be a Structure', path);
  const nameItem = childOf(item, Tag.AttributeName);
  const valueItem = childOf(item, Tag.AttributeValue);
  const vendorItem = childOf(item, Tag.VendorIdentification);
  const indexItem = childOf(item, Tag.AttributeIndex);
  if (nameItem?.type !== 'TextString')
    throw new KryptonError('KRY_MSG_MISSING_FIELD', `${path}/AttributeName`);
  if (!valueItem) throw new KryptonError('KRY_MSG_MISSING_FIELD', `${path}/AttributeValue`);
  const index = indexItem?.type === 'Integer' ? { index: indexItem.value } : {};
  if (vendorItem) {
    if (vendorItem.type !== 'TextString') return invalid('VendorIdentification must be a Text String', path);
    const vendor = vendorItem.value;
    if (vendor === 'x' || vendor === 'y')
      return { name: `${vendor}-${nameItem.value}`, ...index, value: itemToValue(valueItem) };
    return { name: nameItem.value, vendorIdentification: vendor, ...index, value: itemToValue(valueItem) };
  }
  const name = nameItem.value;
  if (isCustomName(name)) return { name, ...index, value: itemToValue(valueItem) };
  const def = attributeByName(name);
  if (!def)
    throw new KryptonError('KRY_ENC_UNKNOWN_TAG', `unknown attribute '${name}'`, {
      field: `${path}/AttributeName`,
    });
  return { name: def.camel, ...index, value: itemToValue(valueItem, `${path}/${def.camel}`) };
}

/**
 * Attributes of a request container: a 2.x `Attributes` / `CommonAttributes` /
 * `PrivateKeyAttributes` … structure of native tags, or a 1.x `TemplateAttribute` holding
 * `Attribute` structures (Template names by reference are refused: Krypton has no Template objects).
 */
export function readAttributes(container: TtlvItem | undefined, path = 'Attributes'): KmipAttribute[] {
  if (!container) return [];
  if (container.type !== 'Structure') return invalid(`${path} must be a Structure`, path);
  const out: KmipAttribute[] = [];
  for (const c of container.value) {
    if (c.tag === Tag.Attribute) out.push(readAttributeStructure(c, `${path}/Attribute`));
    else if (c.tag === Tag.Name && container.tag === Tag.TemplateAttribute) {
      throw new KryptonError('KRY_MSG_UNEXPECTED_FIELD', 'Template objects are not supported', {
        field: `${path}/Name`,
      });
    } else {
      const name = tagName(c.tag);
      if (!name || !attributeByName(name)) {
        throw new KryptonError('KRY_ENC_UNKNOWN_TAG', `${name ?? c.tag.toString(16)} is not an attribute`, {
          field: `${path}/${name ?? c.tag.toString(16)}`,
        });
      }
      out.push({ name, value: itemToValue(c, `${path}/${name}`) });
    }
  }
  return out;
}

/** True when `version` can carry the attribute (custom ones in 1.x, vendor ones in 2.x, standard ones where defined). */
export function attributeInVersion(
  attr: Pick<KmipAttribute, 'name' | 'vendorIdentification'>,
  version: KmipVersion,
): boolean {
  const major2 = version.startsWith('2.');
  if (attr.vendorIdentification !== undefined) return major2;
  if (isCustomName(attr.name)) return true;
  const def = attributeByName(attr.name);
  if (!def || !def.versions.includes(version)) return false;
  return def.tag === undefined || tagInVersion(def.tag, version);
}

/**
 * True when `version` defines every tag and enumeration value of `value` under `tag`: a Link of
 * type Wrapping Key Link (KMIP 2.1 §11.28, from 2.0) is no Link of 1.x, a Parent Link (from 1.2)
 * none of 1.0. Vendor extension tags (0x54xxxx) and values (0x8xxxxxxx) belong to every version.
 */
function valueInVersion(tag: number, value: AttributeValue, version: KmipVersion): boolean {
  if (!isExtensionTag(tag) && !tagInVersion(tag, version)) return false;
  if (typeof value === 'number' && (tagType(tag, version) ?? tagType(tag)) === 'Enumeration') {
    const def = enumForTag(tag);
    return def === undefined || isExtensionEnumValue(value) || def.inVersion(value, version);
  }
  if (typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return true;
  return Object.entries(value).every(([key, v]) => {
    const field = key.startsWith('0x') ? Number(key) : tagByName(key);
    return field !== undefined && valueInVersion(field, v, version);
  });
}

/**
 * True when `version` can carry this value of the attribute: the attribute is defined there
 * (attributeInVersion) and so is everything in the value. Get Attribute List names an attribute
 * only when one of its values passes, as Get Attributes writes only those.
 */
export function attributeValueInVersion(attr: KmipAttribute, version: KmipVersion): boolean {
  if (!attributeInVersion(attr, version)) return false;
  if (isCustomName(attr.name) || attr.vendorIdentification !== undefined) return true;
  const def = attributeByName(attr.name)!;
  return (
    def.tag !== undefined && valueInVersion(def.tag, fieldsOfVersion(def.camel, attr.value, version), version)
  );
}

export interface WriteAttributeOptions {
  /**
   * Write a value even if it holds an enumeration value or tag the version lacks. Only for
   * requests built to probe a server (core/client): answers never send one.
   */
  readonly anyValue?: boolean;
}

/**
 * Writes one attribute in the client's version: 1.x `Attribute { Name, Index?, Value }`, 2.x a
 * native item or a vendor `Attribute`. Undefined when the version cannot carry it or this value
 * of it (attributeValueInVersion).
 */
export function writeAttribute(
  attr: KmipAttribute,
  version: KmipVersion,
  withIndex = false,
  options: WriteAttributeOptions = {},
): TtlvItem | undefined {
  if (!attributeInVersion(attr, version)) return undefined;
  const major2 = version.startsWith('2.');
  if (isCustomName(attr.name) || attr.vendorIdentification !== undefined) {
    const vendor = attr.vendorIdentification ?? attr.name.slice(0, 1);
    const name = attr.vendorIdentification !== undefined ? attr.name : attr.name.slice(2);
    const value = valueToItem(Tag.AttributeValue, attr.value, version);
    const fields: TtlvItem[] = major2
      ? [
          { tag: Tag.VendorIdentification, type: 'TextString', value: vendor },
          { tag: Tag.AttributeName, type: 'TextString', value: name },
        ]
      : [{ tag: Tag.AttributeName, type: 'TextString', value: attr.name }];
    if (!major2 && withIndex)
      fields.push({ tag: Tag.AttributeIndex, type: 'Integer', value: attr.index ?? 0 });
    fields.push(value);
    return { tag: Tag.Attribute, type: 'Structure', value: fields };
  }
  const def = attributeByName(attr.name)!;
  if (def.tag === undefined) return undefined;
  const value = fieldsOfVersion(def.camel, attr.value, version);
  if (options.anyValue !== true && !valueInVersion(def.tag, value, version)) return undefined;
  if (major2) return valueToItem(def.tag, value, version, def.type);
  const fields: TtlvItem[] = [{ tag: Tag.AttributeName, type: 'TextString', value: def.name }];
  if (withIndex && (attr.index ?? 0) > 0)
    fields.push({ tag: Tag.AttributeIndex, type: 'Integer', value: attr.index! });
  fields.push(valueToItem(Tag.AttributeValue, value, version, def.type ?? tagType(def.tag, version)));
  return { tag: Tag.Attribute, type: 'Structure', value: fields };
}

/**
 * Fields a structured attribute gained after its first version, by the version that added them:
 * the Digest's Key Format Type came with KMIP 1.1 (1.0 §3.17 has Hashing Algorithm and Digest
 * Value only; 1.1 §3.17 adds it).
 */
const FIELDS_SINCE: Readonly<Record<string, Readonly<Record<string, KmipVersion>>>> = Object.freeze({
  Digest: Object.freeze({ KeyFormatType: '1.1' }),
});

function fieldsOfVersion(name: string, value: AttributeValue, version: KmipVersion): AttributeValue {
  const since = FIELDS_SINCE[name];
  if (!since || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date)
    return value;
  const kept: Record<string, AttributeValue> = {};
  for (const [field, v] of Object.entries(value)) {
    const from = since[field];
    if (from === undefined || versionIndex(version) >= versionIndex(from)) kept[field] = v;
  }
  return kept;
}

/** Writes attributes in the client's version, leaving out what it cannot carry. */
export function writeAttributes(
  attrs: readonly KmipAttribute[],
  version: KmipVersion,
  withIndex = false,
  options: WriteAttributeOptions = {},
): TtlvItem[] {
  const out: TtlvItem[] = [];
  for (const a of attrs) {
    const item = writeAttribute(a, version, withIndex, options);
    if (item) out.push(item);
  }
  return out;
}
