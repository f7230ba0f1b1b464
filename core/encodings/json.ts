/**
 * KMIP JSON encoding (KMIP Additional Message Encodings v1.0 §4): each item is an object
 * `{ "tag", "name"?, "type"?, "value" }`; structures hold an array (or null).
 *
 * Hostile input: prototype-poisoning keys are refused, nesting is capped, and numbers that a
 * double cannot hold exactly must be written as hex strings.
 */
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
  hexInt64,
  parseDateTime,
  parseDateTimeExtended,
  parseHexBytes,
  parseHexSigned,
  type PlaceholderResolver,
} from './values.js';

export interface JsonDecodeOptions {
  /** Deepest nesting of TTLV structures. Default 64. */
  maxDepth?: number;
  /** How `$NAME` placeholders in non-text values are resolved; refused when absent. */
  placeholders?: PlaceholderResolver;
}

export interface JsonEncodeOptions {
  /** Spell enumeration names as in this protocol version. Default: the latest spelling. */
  version?: KmipVersion;
  /** Indentation for JSON.stringify; default none. */
  space?: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ITEM_KEYS = new Set(['tag', 'name', 'type', 'value']);

/**
 * True when brackets nest deeper than `limit` outside strings: checked before JSON.parse so that
 * a 100,000-deep document costs one linear scan, not a parse.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function parseJsonText(text: string, maxDepth: number): unknown {
  // each TTLV structure is an object holding an array: two JSON levels
  if (nestsDeeperThan(text, 2 * maxDepth + 2))
    throw new KryptonError('KRY_ENC_TOO_DEEP', `limit ${maxDepth}`);
  try {
    return JSON.parse(text, function (key: string, value: unknown) {
      if (FORBIDDEN_KEYS.has(key)) throw new KryptonError('KRY_ENC_FORBIDDEN_KEY', `'${key}'`);
      return value;
    });
  } catch (err) {
    if (err instanceof KryptonError) throw err;
    const why = err instanceof Error ? err.message.slice(0, 160) : 'parse error';
    throw new KryptonError('KRY_ENC_MALFORMED', `JSON: ${why}`);
  }
}

type JsonItem = { tag?: unknown; name?: unknown; type?: unknown; value?: unknown };

function isPlainObject(v: unknown): v is JsonItem {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class JsonTreeReader {
  constructor(
    private readonly maxDepth: number,
    private readonly placeholders: PlaceholderResolver | undefined,
  ) {}

  read(obj: unknown, parentPath: string, depth: number, attributeName: string | undefined): TtlvItem {
    if (!isPlainObject(obj))
      throw new KryptonError('KRY_ENC_MALFORMED', `item at ${parentPath || '/'} is not an object`);
    for (const key of Object.keys(obj)) {
      if (!ITEM_KEYS.has(key))
        throw new KryptonError('KRY_ENC_MALFORMED', `unexpected property '${key}' at ${parentPath}`);
    }
    if (typeof obj.tag !== 'string')
      throw new KryptonError('KRY_ENC_UNKNOWN_TAG', `missing tag at ${parentPath || '/'}`);
    const path = parentPath ? `${parentPath}/${obj.tag}` : obj.tag;
    const tag = resolveTag(obj.tag, path);
    const typeName = obj.type ?? 'Structure';
    if (typeof typeName !== 'string' || !Object.hasOwn(ITEM_TYPE_CODES, typeName)) {
      throw new KryptonError('KRY_ENC_BAD_TYPE', `'${String(typeName)}' at ${path}`, { field: path });
    }
    const type = typeName as ItemTypeName;
    if (type === 'Structure') {
      if (depth >= this.maxDepth)
        throw new KryptonError('KRY_ENC_TOO_DEEP', `limit ${this.maxDepth} at ${path}`);
      const list = obj.value ?? [];
      if (!Array.isArray(list))
        throw new KryptonError('KRY_ENC_BAD_VALUE', `structure value at ${path} is not an array`);
      const value: TtlvItem[] = [];
      let lastAttributeName: string | undefined;
      for (const c of list) {
        const item = this.read(c, path, depth + 1, lastAttributeName);
        if (item.tag === Tag.AttributeName && item.type === 'TextString') lastAttributeName = item.value;
        value.push(item);
      }
      return { tag, type, value };
    }
    const ctx: ItemContext = { path, attributeName };
    return { tag, type, value: this.readValue(type, obj.value, tag, ctx) } as TtlvItem;
  }

  private readValue(type: ItemTypeName, v: unknown, tag: number, ctx: ItemContext): TtlvItem['value'] {
    if (type === 'TextString') {
      if (typeof v !== 'string') return badValue(String(v), ctx);
      return v;
    }
    if (typeof v === 'string' && v.startsWith('$')) {
      const value = this.placeholders?.(v, type, ctx);
      if (value === undefined) badValue(v, ctx);
      return value;
    }
    switch (type) {
      case 'Integer':
        if (typeof v === 'number') return checkInt32(v, String(v), ctx);
        if (typeof v !== 'string') return badValue(String(v), ctx);
        if (/^0x[0-9a-fA-F]{1,8}$/.test(v)) return parseHexWord(v, ctx) | 0;
        return parseMask(v, tag, ctx, /\|/) ?? badValue(v, ctx);
      case 'LongInteger':
        if (typeof v === 'number') {
          if (!Number.isSafeInteger(v)) return badValue(String(v), ctx);
          return BigInt(v);
        }
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return checkInt64(parseHexSigned(v, ctx), v, ctx);
      case 'BigInteger':
        if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : badValue(String(v), ctx);
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseHexSigned(v, ctx);
      case 'Enumeration':
        if (typeof v === 'number') return checkUint32(v, String(v), ctx);
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseEnumeration(v, tag, ctx);
      case 'Boolean':
        if (typeof v === 'boolean') return v;
        if (v === '0x0000000000000001') return true;
        if (v === '0x0000000000000000') return false;
        return badValue(String(v), ctx);
      case 'ByteString':
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseHexBytes(v, ctx);
      case 'DateTime':
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseDateTime(v, ctx);
      case 'Interval':
        if (typeof v === 'number') return checkUint32(v, String(v), ctx);
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseHexWord(v, ctx);
      case 'DateTimeExtended':
        if (typeof v !== 'string') return badValue(String(v), ctx);
        return parseDateTimeExtended(v, ctx);
      default:
        return badValue(String(v), ctx);
    }
  }
}

/** Decodes KMIP JSON text into a TTLV tree. */
export function decodeKmipJson(text: string, options: JsonDecodeOptions = {}): TtlvItem {
  return decodeKmipJsonValue(parseJsonText(text, options.maxDepth ?? DEFAULT_MAX_DEPTH), options);
}

/** Decodes an already-parsed KMIP JSON value (e.g. a fastify body) into a TTLV tree. */
export function decodeKmipJsonValue(value: unknown, options: JsonDecodeOptions = {}): TtlvItem {
  const reader = new JsonTreeReader(options.maxDepth ?? DEFAULT_MAX_DEPTH, options.placeholders);
  return reader.read(value, '', 0, undefined);
}

interface JsonOut {
  tag: string;
  type?: string;
  value: unknown;
}

function toJson(
  item: TtlvItem,
  path: string,
  attributeName: string | undefined,
  version?: KmipVersion,
): JsonOut {
  const name = nameOfTag(item.tag) ?? hexTag(item.tag);
  const here = `${path}/${name}`;
  if (item.type === 'Structure') {
    const value: JsonOut[] = [];
    let lastAttributeName: string | undefined;
    for (const c of item.value) {
      value.push(toJson(c, here, lastAttributeName, version));
      if (c.tag === Tag.AttributeName && c.type === 'TextString') lastAttributeName = c.value;
    }
    return { tag: name, value };
  }
  const ctx: ItemContext = { path: here, attributeName };
  let value: unknown;
  switch (item.type) {
    case 'Integer':
      value = formatMask(item.value, item.tag, ctx, '|', version) ?? item.value;
      break;
    case 'LongInteger':
      value =
        item.value >= BigInt(Number.MIN_SAFE_INTEGER) && item.value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(item.value)
          : hexInt64(item.value);
      break;
    case 'BigInteger':
      value = hexBigInteger(item.value);
      break;
    case 'Enumeration':
      value = formatEnumeration(item.value, item.tag, ctx, version);
      break;
    case 'ByteString':
      value = formatHexBytes(item.value);
      break;
    case 'DateTime':
      value = formatDateTime(item.value);
      break;
    case 'DateTimeExtended':
      value = formatDateTimeExtended(item.value);
      break;
    default:
      value = item.value;
  }
  return { tag: name, type: item.type, value };
}

/** Encodes a TTLV tree as KMIP JSON text. */
export function encodeKmipJson(item: TtlvItem, options: JsonEncodeOptions = {}): string {
  return JSON.stringify(toJson(item, '', undefined, options.version), null, options.space);
}
