/**
 * Attribute values ↔ their stored form: a tagged JSON text that round-trips bigint, bytes and
 * Date exactly on every dialect, and an equality key for the (tenant, name, value) index.
 */
import { createHash } from 'node:crypto';
import { KryptonError } from '../core/errors.js';
import type { AttributeStructure, AttributeValue } from './types.js';

/** Tagged form: [tag, payload]; structures keep their field order. */
type Encoded =
  | ['s', string]
  | ['n', number]
  | ['i', string]
  | ['b', boolean]
  | ['x', string]
  | ['d', number]
  | ['o', [string, Encoded][]];

const MAX_DEPTH = 16;
/** Longer equality keys are hashed so that every key fits a B-tree index entry. */
const MAX_KEY_LENGTH = 256;

function encode(value: AttributeValue, depth: number): Encoded {
  if (depth > MAX_DEPTH) throw new KryptonError('KRY_STORE_BAD_QUERY', 'attribute value nested too deeply');
  switch (typeof value) {
    case 'string':
      return ['s', value];
    case 'number':
      if (!Number.isFinite(value))
        throw new KryptonError('KRY_STORE_BAD_QUERY', 'attribute number not finite');
      return ['n', value];
    case 'bigint':
      return ['i', value.toString()];
    case 'boolean':
      return ['b', value];
    case 'object':
      if (value instanceof Uint8Array)
        return ['x', Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64')];
      if (value instanceof Date) {
        const ms = value.getTime();
        if (Number.isNaN(ms)) throw new KryptonError('KRY_STORE_BAD_QUERY', 'attribute date is invalid');
        return ['d', ms];
      }
      if (value !== null) {
        return [
          'o',
          Object.entries(value).map(([field, v]) => [field, encode(v, depth + 1)] as [string, Encoded]),
        ];
      }
  }
  throw new KryptonError('KRY_STORE_BAD_QUERY', 'unsupported attribute value');
}

function decode(item: Encoded): AttributeValue {
  switch (item[0]) {
    case 's':
    case 'n':
    case 'b':
      return item[1];
    case 'i':
      return BigInt(item[1]);
    case 'x':
      return new Uint8Array(Buffer.from(item[1], 'base64'));
    case 'd':
      return new Date(item[1]);
    case 'o':
      // fromEntries defines own properties, so a field named __proto__ stays data.
      return Object.fromEntries(item[1].map(([field, v]) => [field, decode(v)])) as AttributeStructure;
  }
}

export function encodeAttributeValue(value: AttributeValue): string {
  return JSON.stringify(encode(value, 0));
}

export function decodeAttributeValue(text: string): AttributeValue {
  return decode(JSON.parse(text) as Encoded);
}

function canonical(item: Encoded): unknown {
  if (item[0] === 'o') {
    return [
      'o',
      [...item[1]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([f, v]) => [f, canonical(v)]),
    ];
  }
  // A number and a bigint of the same integer are the same KMIP value.
  if (item[0] === 'n' && Number.isInteger(item[1])) return ['i', String(item[1])];
  return item;
}

/**
 * The indexed equality key. Text is kept as is (Name values, Object Groups, most custom
 * attributes); the NameValue of a Name structure stands for the Name; anything else is its
 * canonical tagged form behind a \u0001 prefix that no text key starts with.
 */
export function attributeValueKey(name: string, value: AttributeValue): string {
  return valueKey(name, value, undefined);
}

/** The stored form and the equality key of one value, encoding it once. */
export function encodeAttribute(name: string, value: AttributeValue): { json: string; key: string } {
  const encoded = encode(value, 0);
  return { json: JSON.stringify(encoded), key: valueKey(name, value, encoded) };
}

function valueKey(name: string, value: AttributeValue, encoded: Encoded | undefined): string {
  let key: string;
  let kind: 's' | 't' = 's';
  if (typeof value === 'string') {
    key = value;
  } else if (
    name === 'Name' &&
    typeof value === 'object' &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date) &&
    typeof (value as AttributeStructure).NameValue === 'string'
  ) {
    key = (value as AttributeStructure).NameValue as string;
  } else {
    kind = 't';
    key = '\u0001' + JSON.stringify(canonical(encoded ?? encode(value, 0)));
  }
  // Hashed keys (\u0002…) cover long values, NUL (not storable in PostgreSQL text) and text
  // that would imitate a tagged or hashed key; the kind keeps text and tagged hashes apart.
  if (
    key.length > MAX_KEY_LENGTH ||
    key.includes('\u0000') ||
    (kind === 's' && (key.startsWith('\u0001') || key.startsWith('\u0002')))
  ) {
    key = '\u0002' + createHash('sha256').update(kind).update(key).digest('hex');
  }
  return key;
}
