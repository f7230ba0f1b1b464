/**
 * What a request's protocol version does not define. The version "ensures that the protocol is
 * fully understood by both communicating parties" (KMIP 1.4 §6.1, 2.1 §9.16): a tag, enumeration
 * value or (1.x) attribute name a later version introduced — a 2.x tag or value in a 1.x request —
 * or a tag or value no version defines is refused with Invalid Field, as 1.4 §11 answers a value
 * that "is not recognized", before any handler reads it: no handler takes a value its version
 * does not know for one it does. What an earlier version defined and a later one dropped is let
 * through: 2.x clients still send 1.x structures (PyKMIP's 2.0 ReKey carries a Template-Attribute)
 * and the handlers read both. Vendor extensions (tags 0x54xxxx, enumeration values 0x8XXXXXXX)
 * belong to every version. Answers leave out what the version does not define (core/attributes:
 * writeAttributes); this is the request side.
 */
import {
  KMIP_VERSIONS,
  Tag,
  attributeByName,
  enumForTag,
  isExtensionEnumValue,
  isExtensionTag,
  tagInVersion,
  tagName,
  type EnumDef,
  type KmipVersion,
  versionIndex,
} from '../spec/index.js';
import { child } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';

function hex(n: number, width: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;
}

/** Defined in `version`, or dropped by then (an earlier version defines it). */
function servedIn(version: KmipVersion, defines: (v: KmipVersion) => boolean): boolean {
  if (defines(version)) return true;
  const at = versionIndex(version);
  return KMIP_VERSIONS.some((v) => versionIndex(v) < at && defines(v));
}

/**
 * Per version, whether it serves a tag: asked for every item of every request. Bounded, since a
 * client may send any 24-bit tag.
 */
const tagsServed = new Map<KmipVersion, Map<number, boolean>>();
const TAGS_REMEMBERED = 4096;

function tagServed(version: KmipVersion, tag: number): boolean {
  let known = tagsServed.get(version);
  if (known === undefined) tagsServed.set(version, (known = new Map()));
  let served = known.get(tag);
  if (served === undefined) {
    served = servedIn(version, (v) => tagInVersion(tag, v));
    if (known.size < TAGS_REMEMBERED) known.set(tag, served);
  }
  return served;
}

function valueServed(def: EnumDef, value: number, version: KmipVersion): boolean {
  // Tag enumeration values (Attribute Reference) are tags: an extension tag is every version's.
  return (
    isExtensionEnumValue(value) ||
    (def.camel === 'Tag' && isExtensionTag(value)) ||
    servedIn(version, (v) => def.inVersion(value, v))
  );
}

function describeValue(def: EnumDef, value: number): string {
  const name = def.name(value);
  return `${def.specName} ${name !== undefined ? `${name} (${hex(value, 8)})` : hex(value, 8)}`;
}

/** A 1.x Attribute: its name's attribute must be the version's, its Attribute Value enumeration too. */
function inAttribute(item: StructureItem, version: KmipVersion): string | undefined {
  const name = child(item, Tag.AttributeName);
  // Custom (x-, y-) and vendor attribute names are no attribute of the registry: not checked here.
  const def = name?.type === 'TextString' ? attributeByName(name.value) : undefined;
  if (def !== undefined && !servedIn(version, (v) => def.versions.includes(v)))
    return `the attribute ${def.name}`;
  for (const c of item.value) {
    const found = notInVersionItem(c, version, c.tag === Tag.AttributeValue ? def?.enumDef : undefined);
    if (found !== undefined) return found;
  }
  return undefined;
}

function notInVersionItem(item: TtlvItem, version: KmipVersion, enumDef?: EnumDef): string | undefined {
  const { tag } = item;
  if (!isExtensionTag(tag) && !tagServed(version, tag)) {
    const name = tagName(tag);
    return `the tag ${name !== undefined ? `${name} (${hex(tag, 6)})` : hex(tag, 6)}`;
  }
  if (item.type === 'Enumeration') {
    const def = enumDef ?? enumForTag(tag);
    return def !== undefined && !valueServed(def, item.value, version)
      ? describeValue(def, item.value)
      : undefined;
  }
  if (item.type !== 'Structure') return undefined;
  if (tag === Tag.Attribute) return inAttribute(item, version);
  for (const c of item.value) {
    const found = notInVersionItem(c, version);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The first tag, enumeration value or attribute of `payload` that `version` does not define,
 * described for the Result Message (e.g. "Cryptographic Algorithm ChaCha20 (0x00000021)");
 * undefined when the version defines all of them.
 */
export function notInVersion(payload: TtlvItem | undefined, version: KmipVersion): string | undefined {
  return payload === undefined ? undefined : notInVersionItem(payload, version);
}
