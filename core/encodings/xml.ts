/**
 * KMIP XML encoding (KMIP Additional Message Encodings v1.0 §6): one element per TTLV item,
 * named by the tag's CamelCase name (or `<TTLV tag="0x54XXXX">` for tags without a name),
 * `type` attribute (absent for Structure), `value` attribute for everything but structures.
 *
 * Parsed with fast-xml-parser (well-formedness checked, nesting capped, no DTDs); entity
 * references are decoded here so that `&amp;#233;` stays literal text.
 */
import { XMLParser } from 'fast-xml-parser';
import { KryptonError } from '../errors.js';
import type { KmipVersion } from '../spec/index.js';
import { Tag } from '../spec/index.js';
import { DEFAULT_MAX_DEPTH } from '../ttlv/index.js';
import type { ItemTypeName, TtlvItem } from '../ttlv/types.js';
import { ITEM_TYPE_CODES } from '../ttlv/types.js';
import {
  formatEnumeration,
  formatMask,
  hexTag,
  nameOfTag,
  parseEnumeration,
  parseHexWord,
  parseMask,
  resolveTag,
  type ItemContext,
} from './names.js';
import {
  badValue,
  checkInt32,
  checkInt64,
  checkUint32,
  formatDateTime,
  formatDateTimeExtended,
  formatHexBytes,
  hexBigInteger,
  parseDateTime,
  parseDateTimeExtended,
  parseDecimalBigInt,
  parseHexBytes,
  parseHexSigned,
  type PlaceholderResolver,
} from './values.js';

export interface XmlDecodeOptions {
  /** Deepest nesting of TTLV structures. Default 64. */
  maxDepth?: number;
  /** How `$NAME` placeholders in non-text values are resolved; refused when absent. */
  placeholders?: PlaceholderResolver;
}

export interface XmlEncodeOptions {
  /** Spell enumeration names as in this protocol version. Default: the latest spelling. */
  version?: KmipVersion;
  /** Indentation per level; '' writes everything on one line. Default two spaces. */
  indent?: string;
}

type XmlNode = { [name: string]: XmlNode[] | string | Record<string, string> | undefined } & {
  ':@'?: Record<string, string>;
  '#text'?: string;
};

const ENTITY = /&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+)?;?/g;
const NAMED: Readonly<Record<string, string>> = Object.freeze({
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
});

/** Decodes the five predefined entities and character references; anything else is refused. */
function decodeEntities(text: string, path: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (match: string, ref: string | undefined) => {
    if (ref === undefined || !match.endsWith(';')) {
      throw new KryptonError('KRY_ENC_MALFORMED', `bare '&' at ${path}`, { field: path });
    }
    if (ref[0] !== '#') {
      if (!Object.hasOwn(NAMED, ref))
        throw new KryptonError('KRY_ENC_MALFORMED', `unknown entity at ${path}`);
      return NAMED[ref]!;
    }
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new KryptonError('KRY_ENC_MALFORMED', `bad character reference at ${path}`, { field: path });
    }
    return String.fromCodePoint(code);
  });
}

function newParser(maxDepth: number): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // the KMIP/KmipTestCase wrapper and the message element add two levels
    maxNestedTags: maxDepth + 2,
  });
}

function parseDocument(text: string, maxDepth: number): XmlNode[] {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new KryptonError('KRY_ENC_MALFORMED', 'DTDs and entity declarations are not accepted');
  }
  try {
    return newParser(maxDepth).parse(text, true) as XmlNode[];
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 160) : 'parse error';
    if (/nested/i.test(why)) throw new KryptonError('KRY_ENC_TOO_DEEP', `XML nesting over ${maxDepth}`);
    throw new KryptonError('KRY_ENC_MALFORMED', `XML: ${why}`);
  }
}

function elementName(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text') return key;
  return undefined;
}

const HEX_ELEMENT = /^x[0-9a-fA-F]{6}$/;

class XmlTreeReader {
  constructor(
    private readonly maxDepth: number,
    private readonly placeholders: PlaceholderResolver | undefined,
  ) {}

  readElement(node: XmlNode, parentPath: string, depth: number, attributeName: string | undefined): TtlvItem {
    const name = elementName(node)!;
    const attrs = node[':@'] ?? {};
    const path = parentPath ? `${parentPath}/${name}` : name;
    let tag: number;
    if (name === 'TTLV') {
      const t = attrs.tag;
      if (t === undefined)
        throw new KryptonError('KRY_ENC_UNKNOWN_TAG', `TTLV element without tag at ${path}`);
      tag = resolveTag(t, path);
    } else if (HEX_ELEMENT.test(name)) {
      tag = Number('0x' + name.slice(1));
    } else {
      tag = resolveTag(name, path);
    }
    const typeName = attrs.type ?? 'Structure';
    if (!Object.hasOwn(ITEM_TYPE_CODES, typeName)) {
      throw new KryptonError('KRY_ENC_BAD_TYPE', `'${typeName}' at ${path}`, { field: path });
    }
    const type = typeName as ItemTypeName;
    const content = (node[name] as XmlNode[] | undefined) ?? [];
    if (type === 'Structure') {
      if (attrs.value !== undefined) badValue(attrs.value, { path, attributeName });
      if (depth >= this.maxDepth)
        throw new KryptonError('KRY_ENC_TOO_DEEP', `limit ${this.maxDepth} at ${path}`);
      const value: TtlvItem[] = [];
      let lastAttributeName: string | undefined;
      for (const childNode of content) {
        const childName = elementName(childNode);
        if (childName === undefined) {
          const text = childNode['#text'];
          if (text !== undefined && text.trim() !== '') {
            throw new KryptonError('KRY_ENC_MALFORMED', `unexpected text in ${path}`, { field: path });
          }
          continue;
        }
        const item = this.readElement(childNode, path, depth + 1, lastAttributeName);
        if (item.tag === Tag.AttributeName && item.type === 'TextString') lastAttributeName = item.value;
        value.push(item);
      }
      return { tag, type: 'Structure', value };
    }
    if (content.some((c) => elementName(c) !== undefined || (c['#text'] ?? '').trim() !== '')) {
      throw new KryptonError('KRY_ENC_MALFORMED', `${type} element with content at ${path}`, { field: path });
    }
    const raw = attrs.value;
    if (raw === undefined)
      throw new KryptonError('KRY_ENC_BAD_VALUE', `missing value at ${path}`, { field: path });
    const text = decodeEntities(raw, path);
    const ctx: ItemContext = { path, attributeName };
    return { tag, type, value: this.readValue(type, text, tag, ctx) } as TtlvItem;
  }

  private readValue(type: ItemTypeName, text: string, tag: number, ctx: ItemContext): TtlvItem['value'] {
    if (type === 'TextString') return text;
    if (text.startsWith('$')) {
      const value = this.placeholders?.(text, type, ctx);
      if (value === undefined) badValue(text, ctx);
      return value;
    }
    switch (type) {
      case 'Integer': {
        if (/^[+-]?\d+$/.test(text)) return checkInt32(Number(text), text, ctx);
        if (/^0x[0-9a-fA-F]{1,8}$/.test(text)) return parseHexWord(text, ctx) | 0;
        const mask = parseMask(text, tag, ctx, /\s+/);
        if (mask === undefined) badValue(text, ctx);
        return mask;
      }
      case 'LongInteger':
        return checkInt64(
          text.startsWith('0x') ? parseHexSigned(text, ctx) : parseDecimalBigInt(text, ctx),
          text,
          ctx,
        );
      case 'BigInteger':
        // xsd:hexBinary, two's complement; a `0x` prefix is tolerated
        return parseHexSigned(text.startsWith('0x') ? text : '0x' + text, ctx);
      case 'Enumeration':
        return parseEnumeration(text, tag, ctx);
      case 'Boolean':
        if (text === 'true' || text === '1') return true;
        if (text === 'false' || text === '0') return false;
        return badValue(text, ctx);
      case 'ByteString':
        return parseHexBytes(text, ctx);
      case 'DateTime':
        return parseDateTime(text, ctx);
      case 'Interval':
        return checkUint32(text.startsWith('0x') ? parseHexWord(text, ctx) : Number(text), text, ctx);
      case 'DateTimeExtended':
        return parseDateTimeExtended(text, ctx);
      default:
        return badValue(text, ctx);
    }
  }
}

function rootElements(nodes: XmlNode[]): XmlNode[] {
  return nodes.filter((n) => elementName(n) !== undefined);
}

/** Decodes one KMIP XML element (usually a Request or Response Message) into a TTLV tree. */
export function decodeKmipXml(text: string, options: XmlDecodeOptions = {}): TtlvItem {
  const items = decodeKmipXmlMessages(text, options);
  if (items.length !== 1) {
    throw new KryptonError('KRY_ENC_MALFORMED', `expected one KMIP element, found ${items.length}`);
  }
  return items[0]!;
}

/**
 * Decodes a KMIP XML document: either one message, or an OASIS test-case file whose root
 * (`<KMIP>` or `<KmipTestCase>`) holds a sequence of Request and Response Messages.
 */
export function decodeKmipXmlMessages(text: string, options: XmlDecodeOptions = {}): TtlvItem[] {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const roots = rootElements(parseDocument(text, maxDepth));
  if (roots.length !== 1)
    throw new KryptonError('KRY_ENC_MALFORMED', 'XML document needs exactly one root element');
  const reader = new XmlTreeReader(maxDepth, options.placeholders);
  const root = roots[0]!;
  const rootName = elementName(root)!;
  if (rootName === 'KMIP' || rootName === 'KmipTestCase') {
    const out: TtlvItem[] = [];
    for (const node of (root[rootName] as XmlNode[]) ?? []) {
      if (elementName(node) === undefined) {
        if ((node['#text'] ?? '').trim() !== '')
          throw new KryptonError('KRY_ENC_MALFORMED', `text in ${rootName}`);
        continue;
      }
      out.push(reader.readElement(node, rootName, 1, undefined));
    }
    return out;
  }
  return [reader.readElement(root, '', 1, undefined)];
}

function escapeAttribute(text: string, path: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case '\t':
      case '\n':
      case '\r':
        out += `&#x${code.toString(16).toUpperCase()};`;
        break;
      default:
        if (code < 0x20 || code === 0xfffe || code === 0xffff) {
          // XML 1.0 cannot carry these characters, not even as references
          throw new KryptonError(
            'KRY_ENC_BAD_VALUE',
            `character U+${code.toString(16)} cannot be written in XML at ${path}`,
          );
        }
        out += ch;
    }
  }
  return out;
}

/** The XML text form of a non-structure value (enumeration names, mask names, ISO times). */
export function valueText(item: TtlvItem, ctx: ItemContext, version: KmipVersion | undefined): string {
  switch (item.type) {
    case 'Integer':
      return formatMask(item.value, item.tag, ctx, ' ', version) ?? String(item.value);
    case 'LongInteger':
    case 'Interval':
      return String(item.value);
    case 'BigInteger':
      return hexBigInteger(item.value).slice(2);
    case 'Enumeration':
      return formatEnumeration(item.value, item.tag, ctx, version);
    case 'Boolean':
      return item.value ? 'true' : 'false';
    case 'TextString':
      return item.value;
    case 'ByteString':
      return formatHexBytes(item.value);
    case 'DateTime':
      return formatDateTime(item.value);
    case 'DateTimeExtended':
      return formatDateTimeExtended(item.value);
    default:
      return '';
  }
}

/** Encodes a TTLV tree as KMIP XML. */
export function encodeKmipXml(item: TtlvItem, options: XmlEncodeOptions = {}): string {
  const indent = options.indent ?? '  ';
  const nl = indent === '' ? '' : '\n';
  const parts: string[] = [];
  const write = (it: TtlvItem, level: number, path: string, attributeName: string | undefined): void => {
    const name = nameOfTag(it.tag);
    const pad = indent.repeat(level);
    const open = name ? name : `TTLV tag="${hexTag(it.tag)}"`;
    const close = name ? name : 'TTLV';
    const here = `${path}/${name ?? hexTag(it.tag)}`;
    if (it.type === 'Structure') {
      if (it.value.length === 0) {
        parts.push(`${pad}<${open}/>${nl}`);
        return;
      }
      parts.push(`${pad}<${open}>${nl}`);
      let lastAttributeName: string | undefined;
      for (const c of it.value) {
        write(c, level + 1, here, lastAttributeName);
        if (c.tag === Tag.AttributeName && c.type === 'TextString') lastAttributeName = c.value;
      }
      parts.push(`${pad}</${close}>${nl}`);
      return;
    }
    const text = escapeAttribute(valueText(it, { path: here, attributeName }, options.version), here);
    parts.push(`${pad}<${open} type="${it.type}" value="${text}"/>${nl}`);
  };
  write(item, 0, '', undefined);
  return parts.join('');
}

/** An indented tree for people: `Name: Type = value`, names resolved through the registry. */
export function formatTree(item: TtlvItem, options: { version?: KmipVersion } = {}): string {
  const lines: string[] = [];
  const write = (it: TtlvItem, level: number, path: string, attributeName: string | undefined): void => {
    const name = nameOfTag(it.tag) ?? hexTag(it.tag);
    const pad = '  '.repeat(level);
    const here = `${path}/${name}`;
    if (it.type === 'Structure') {
      lines.push(`${pad}${name}`);
      let lastAttributeName: string | undefined;
      for (const c of it.value) {
        write(c, level + 1, here, lastAttributeName);
        if (c.tag === Tag.AttributeName && c.type === 'TextString') lastAttributeName = c.value;
      }
      return;
    }
    const text = valueText(it, { path: here, attributeName }, options.version);
    lines.push(`${pad}${name}: ${it.type} = ${it.type === 'TextString' ? JSON.stringify(text) : text}`);
  };
  write(item, 0, '', undefined);
  return lines.join('\n') + '\n';
}
