/**
 * Attributes as people write them (`{ CryptographicAlgorithm: 'AES', CryptographicUsageMask:
 * ['Encrypt', 'Decrypt'], Name: 'payroll' }`) → KmipAttribute values with numeric enumerations
 * and masks, ready for core/attributes to write in the request's version (1.x Attribute
 * structures, 2.x native tags).
 */
import type { AttributeValue, KmipAttribute } from '../attributes/index.js';
import { KryptonError } from '../errors.js';
import { NameType, attributeByName, enumForTag, maskForTag, tagByName, tagType } from '../spec/index.js';

/** A value as a person writes it: enumeration names, mask names, a plain string for a Name. */
export type AttributeInputValue =
  AttributeValue | readonly string[] | { readonly [field: string]: AttributeInputValue };

/** Attributes by name (2.x CamelCase, 1.x spec name, or `x-`/`y-` custom); arrays repeat multi-valued ones. */
export type AttributeInput =
  Readonly<Record<string, AttributeInputValue | readonly AttributeInputValue[]>> | readonly KmipAttribute[];

function bad(detail: string): never {
  throw new KryptonError('KRY_CLIENT_BAD_ARGUMENT', detail);
}

/** Enumeration name → value and mask names → bits for the item under `tag`, recursively for structures. */
export function normalizeValue(
  tag: number | undefined,
  value: AttributeInputValue,
  where: string,
): AttributeValue {
  const enumDef = tag !== undefined ? enumForTag(tag) : undefined;
  const maskDef = tag !== undefined ? maskForTag(tag) : undefined;
  if (maskDef && (Array.isArray(value) || typeof value === 'string')) {
    const names = Array.isArray(value)
      ? (value as string[])
      : (value as string).split(/[\s|]+/).filter(Boolean);
    let bits = 0;
    for (const n of names) {
      const bit = maskDef.bit(n);
      if (bit === undefined) bad(`${where}: unknown ${maskDef.camel} bit '${n}'`);
      bits |= bit;
    }
    return bits >>> 0;
  }
  if (enumDef && typeof value === 'string' && tag !== undefined && tagType(tag) === 'Enumeration') {
    const v = enumDef.value(value);
    if (v === undefined) bad(`${where}: unknown ${enumDef.camel} '${value}'`);
    return v;
  }
  if (Array.isArray(value)) bad(`${where}: a list is only allowed for masks and multi-valued attributes`);
  if (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  ) {
    const out: Record<string, AttributeValue> = {};
    for (const [field, v] of Object.entries(value as Record<string, AttributeInputValue>)) {
      if (field === '__proto__' || field === 'constructor' || field === 'prototype')
        bad(`${where}: forbidden field`);
      const childTag = field.startsWith('0x') ? Number(field) : tagByName(field);
      if (childTag === undefined) bad(`${where}: unknown field '${field}'`);
      out[field] = normalizeValue(childTag, v, `${where}/${field}`);
    }
    return out;
  }
  return value as AttributeValue;
}

function oneAttribute(name: string, value: AttributeInputValue): KmipAttribute {
  const def = name.startsWith('x-') || name.startsWith('y-') ? undefined : attributeByName(name);
  if (!def && !name.startsWith('x-') && !name.startsWith('y-')) bad(`unknown attribute '${name}'`);
  const camel = def?.camel ?? name;
  // A Name given as a plain string is an uninterpreted text string (KMIP 1.4 §3.2).
  if (camel === 'Name' && typeof value === 'string') {
    return { name: camel, value: { NameValue: value, NameType: NameType.UninterpretedTextString } };
  }
  return { name: camel, value: normalizeValue(def?.tag, value, camel) };
}

/** Attribute input → KmipAttribute list, in the order given. */
export function toKmipAttributes(input: AttributeInput | undefined): KmipAttribute[] {
  if (!input) return [];
  if (Array.isArray(input)) return [...(input as readonly KmipAttribute[])];
  const out: KmipAttribute[] = [];
  for (const [name, value] of Object.entries(input as Record<string, AttributeInputValue>)) {
    const def = attributeByName(name);
    const multi = def ? def.multiValued !== false : true;
    // Arrays of strings are mask names for mask attributes; for multi-valued ones, instances.
    if (Array.isArray(value) && multi && !(def && maskForTag(def.tag ?? -1))) {
      for (const v of value as AttributeInputValue[]) out.push(oneAttribute(name, v));
    } else {
      out.push(oneAttribute(name, value as AttributeInputValue));
    }
  }
  return out;
}
