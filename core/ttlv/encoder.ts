/**
 * Binary TTLV encoder (KMIP 1.4 §9.1.1, KMIP 2.1 §9.1).
 *
 * One pass into a reusable scratch buffer: a structure's header is written with a placeholder
 * length that is patched once its children are written. Values are range-checked, so the
 * encoder never emits bytes a conforming decoder would refuse.
 */
import { KryptonError } from '../errors.js';
import { ITEM_TYPE_CODES, type TtlvItem } from './types.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

let scratch = Buffer.allocUnsafe(64 * 1024);
/** Set when secret-bearing items (Byte String, Big Integer, Password) passed through the scratch buffer. */
let scratchDirty = false;
const PASSWORD_TAG = 0x4200a1;
const CODE = ITEM_TYPE_CODES;

function ensure(pos: number, extra: number): void {
  const need = pos + extra;
  if (need <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < need) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  scratch.copy(grown, 0, 0, pos);
  scratch = grown;
}

function rangeError(item: TtlvItem, why: string): never {
  throw new KryptonError('KRY_TTLV_VALUE_RANGE', `${item.type} tag 0x${item.tag.toString(16)}: ${why}`);
}

/** bigint → minimal two's-complement big-endian bytes, left-padded (sign-extended) to a multiple of 8. */
export function bigIntToTwosComplement(value: bigint): Buffer {
  let bytes = 8;
  while (value < -(1n << BigInt(bytes * 8 - 1)) || value >= 1n << BigInt(bytes * 8 - 1)) bytes += 8;
  const unsigned = value < 0n ? (1n << BigInt(bytes * 8)) + value : value;
  return Buffer.from(unsigned.toString(16).padStart(bytes * 2, '0'), 'hex');
}

/** Big-endian 32 bits at `pos` (a value already checked to fit). */
function put32(value: number, pos: number): void {
  scratch[pos] = value >>> 24;
  scratch[pos + 1] = (value >>> 16) & 0xff;
  scratch[pos + 2] = (value >>> 8) & 0xff;
  scratch[pos + 3] = value & 0xff;
}

/** Tag, type and length. The type code comes from the caller's `case`: no lookup by type name. */
function writeHeader(item: TtlvItem, typeCode: number, pos: number, length: number): void {
  const tag = item.tag;
  const prefix = tag >>> 16;
  if ((prefix !== 0x42 && prefix !== 0x54) || !Number.isInteger(tag)) {
    throw new KryptonError('KRY_TTLV_BAD_TAG', `tag 0x${tag.toString(16)}`);
  }
  scratch[pos] = prefix;
  scratch[pos + 1] = (tag >>> 8) & 0xff;
  scratch[pos + 2] = tag & 0xff;
  scratch[pos + 3] = typeCode;
  put32(length, pos + 4);
}

function writeInt64(item: TtlvItem, typeCode: number, value: bigint, pos: number): number {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX)
    rangeError(item, 'not a signed 64-bit bigint');
  writeHeader(item, typeCode, pos, 8);
  scratch.writeBigInt64BE(value, pos + 8);
  return pos + 16;
}

function writeUint32(item: TtlvItem, typeCode: number, value: number, pos: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    rangeError(item, 'not an unsigned 32-bit integer');
  writeHeader(item, typeCode, pos, 4);
  put32(value, pos + 8);
  put32(0, pos + 12);
  return pos + 16;
}

function writeBytes(item: TtlvItem, typeCode: number, bytes: Uint8Array, pos: number): number {
  scratchDirty = true;
  const length = bytes.length;
  const padded = (length + 7) & ~7;
  ensure(pos, 8 + padded);
  writeHeader(item, typeCode, pos, length);
  const start = pos + 8;
  if (length <= 64) for (let i = 0; i < length; i++) scratch[start + i] = bytes[i]!;
  else scratch.set(bytes, start);
  for (let j = start + length; j < start + padded; j++) scratch[j] = 0;
  return start + padded;
}

function writeItem(item: TtlvItem, pos: number, depth: number): number {
  if (depth > 1024) throw new KryptonError('KRY_TTLV_TOO_DEEP', 'tree deeper than 1024 levels');
  ensure(pos, 16);
  switch (item.type) {
    case 'Structure': {
      const start = pos;
      pos += 8;
      for (const child of item.value) pos = writeItem(child, pos, depth + 1);
      writeHeader(item, CODE.Structure, start, pos - start - 8);
      return pos;
    }
    case 'Integer': {
      const v = item.value;
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
        rangeError(item, 'not a signed 32-bit integer');
      writeHeader(item, CODE.Integer, pos, 4);
      put32(v >>> 0, pos + 8);
      put32(0, pos + 12);
      return pos + 16;
    }
    case 'Enumeration':
      return writeUint32(item, CODE.Enumeration, item.value, pos);
    case 'Interval':
      return writeUint32(item, CODE.Interval, item.value, pos);
    case 'LongInteger':
      return writeInt64(item, CODE.LongInteger, item.value, pos);
    case 'DateTime':
      return writeInt64(item, CODE.DateTime, item.value, pos);
    case 'DateTimeExtended':
      return writeInt64(item, CODE.DateTimeExtended, item.value, pos);
    case 'Boolean':
      if (typeof item.value !== 'boolean') rangeError(item, 'not a boolean');
      writeHeader(item, CODE.Boolean, pos, 8);
      put32(0, pos + 8);
      put32(item.value ? 1 : 0, pos + 12);
      return pos + 16;
    case 'BigInteger':
      if (typeof item.value !== 'bigint') rangeError(item, 'not a bigint');
      return writeBytes(item, CODE.BigInteger, bigIntToTwosComplement(item.value), pos);
    case 'TextString': {
      const text = item.value;
      if (typeof text !== 'string') rangeError(item, 'not a string');
      if (item.tag === PASSWORD_TAG) scratchDirty = true;
      const n = text.length;
      ensure(pos, 8 + n + 8);
      // ASCII fast path: short KMIP strings are cheaper to copy in JS than through Buffer.write
      let i = 0;
      const start = pos + 8;
      if (n <= 64) {
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c >= 0x80) break;
          scratch[start + i] = c;
        }
      }
      let length = n;
      if (i < n) {
        length = Buffer.byteLength(text, 'utf8');
        ensure(pos, 8 + length + 8);
        scratch.write(text, start, length, 'utf8');
      }
      const padded = (length + 7) & ~7;
      writeHeader(item, CODE.TextString, pos, length);
      for (let j = start + length; j < start + padded; j++) scratch[j] = 0;
      return start + padded;
    }
    case 'ByteString':
      if (!(item.value instanceof Uint8Array)) rangeError(item, 'not a byte array');
      return writeBytes(item, CODE.ByteString, item.value, pos);
    default:
      throw new KryptonError('KRY_TTLV_BAD_TYPE', `type ${(item as { type: unknown }).type as string}`);
  }
}

/** Encodes one item (usually a whole Request or Response Message) into a fresh Buffer. */
export function encodeTtlv(item: TtlvItem): Buffer {
  const end = writeItem(item, 0, 0);
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  if (scratchDirty) {
    // key material or a password passed through the scratch buffer: leave nothing behind
    scratch.fill(0, 0, end);
    scratchDirty = false;
  }
  return out;
}
