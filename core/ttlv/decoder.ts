/**
 * Binary TTLV decoder (KMIP 1.4 §9.1.1, KMIP 2.1 §9.1).
 *
 * Iterative, never recursive: a frame nested 100,000 deep is refused with a coded error instead
 * of overflowing the stack. Every length is checked against the bytes that remain in the
 * enclosing structure before anything is sliced or allocated, so a huge claimed length over a
 * few bytes costs nothing.
 */
import { KryptonError } from '../errors.js';
import type { StructureItem, TtlvItem } from './types.js';

export const DEFAULT_MAX_DEPTH = 64;

export interface DecodeOptions {
  /** Deepest structure nesting accepted; the outermost structure is depth 1. Default 64. */
  maxDepth?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface OpenStructure {
  item: StructureItem;
  end: number;
}

function fail(code: ConstructorParameters<typeof KryptonError>[0], offset: number, detail?: string): never {
  throw new KryptonError(code, detail ? `${detail} at offset ${offset}` : `at offset ${offset}`, { offset });
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function decodeText(buf: Buffer, start: number, end: number): string {
  // Fast path: pure ASCII needs no UTF-8 validation.
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      try {
        return utf8.decode(buf.subarray(start, end));
      } catch {
        fail('KRY_TTLV_BAD_UTF8', start);
      }
    }
  }
  // latin1Slice skips toString's argument handling: measurable on short KMIP strings
  return (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
}

/** Two's-complement big-endian bytes → bigint. */
export function bigIntFromTwosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  let value = BigInt('0x' + hex);
  if (bytes[0]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

function checkPadding(buf: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) if (buf[i] !== 0) fail('KRY_TTLV_BAD_PADDING', i);
}

/**
 * Decodes exactly one TTLV item that spans the whole input (trailing bytes are an error).
 * Values are copied out of the input: the caller may reuse or zero its buffer afterwards.
 */
export function decodeTtlv(input: Uint8Array, options: DecodeOptions = {}): TtlvItem {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const buf = asBuffer(input);
  const total = buf.length;
  const stack: OpenStructure[] = [];
  let root: TtlvItem | undefined;
  let pos = 0;

  for (;;) {
    // Close every structure that ends here.
    let limit = total;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (pos === top.end) {
        stack.pop();
        continue;
      }
      limit = top.end;
      break;
    }
    if (stack.length === 0 && root !== undefined) break;

    if (limit - pos < 8) {
      fail(stack.length === 0 ? 'KRY_TTLV_TRUNCATED' : 'KRY_TTLV_OVERRUN', pos, 'item header needs 8 bytes');
    }
    const prefix = buf[pos]!;
    if (prefix !== 0x42 && prefix !== 0x54) fail('KRY_TTLV_BAD_TAG', pos, `prefix 0x${prefix.toString(16)}`);
    const tag = (prefix << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
    const typeCode = buf[pos + 3]!;
    const length = buf.readUInt32BE(pos + 4);
    const valueStart = pos + 8;
    const room = limit - valueStart;

    let item: TtlvItem;
    let next: number;
    if (typeCode === 0x01) {
      if (length > room)
        fail(stack.length === 0 ? 'KRY_TTLV_TRUNCATED' : 'KRY_TTLV_OVERRUN', pos, 'structure');
      if (length % 8 !== 0) fail('KRY_TTLV_BAD_LENGTH', pos, 'structure length is not a multiple of 8');
      if (stack.length + 1 > maxDepth) fail('KRY_TTLV_TOO_DEEP', pos, `limit ${maxDepth}`);
      const structure: StructureItem = { tag, type: 'Structure', value: [] };
      item = structure;
      next = valueStart;
      if (stack.length > 0) stack[stack.length - 1]!.item.value.push(item);
      else root = item;
      if (length > 0) stack.push({ item: structure, end: valueStart + length });
      pos = next;
      continue;
    }

    const padded = (length + 7) & ~7;
    if (length > room || padded > room) {
      fail(stack.length === 0 ? 'KRY_TTLV_TRUNCATED' : 'KRY_TTLV_OVERRUN', pos, 'item value');
    }
    switch (typeCode) {
      case 0x02: // Integer
        if (length !== 4) fail('KRY_TTLV_BAD_LENGTH', pos, 'Integer needs length 4');
        item = { tag, type: 'Integer', value: buf.readInt32BE(valueStart) };
        break;
      case 0x03: // Long Integer
        if (length !== 8) fail('KRY_TTLV_BAD_LENGTH', pos, 'Long Integer needs length 8');
        item = { tag, type: 'LongInteger', value: buf.readBigInt64BE(valueStart) };
        break;
      case 0x04: // Big Integer
        if (length === 0 || length % 8 !== 0) {
          fail('KRY_TTLV_BAD_LENGTH', pos, 'Big Integer length must be a non-zero multiple of 8');
        }
        item = {
          tag,
          type: 'BigInteger',
          value: bigIntFromTwosComplement(buf.subarray(valueStart, valueStart + length)),
        };
        break;
      case 0x05: // Enumeration
        if (length !== 4) fail('KRY_TTLV_BAD_LENGTH', pos, 'Enumeration needs length 4');
        item = { tag, type: 'Enumeration', value: buf.readUInt32BE(valueStart) };
        break;
      case 0x06: {
        // Boolean
        if (length !== 8) fail('KRY_TTLV_BAD_LENGTH', pos, 'Boolean needs length 8');
        const hi = buf.readUInt32BE(valueStart);
        const lo = buf.readUInt32BE(valueStart + 4);
        if (hi !== 0 || lo > 1) fail('KRY_TTLV_BAD_BOOLEAN', valueStart);
        item = { tag, type: 'Boolean', value: lo === 1 };
        break;
      }
      case 0x07: // Text String
        item = { tag, type: 'TextString', value: decodeText(buf, valueStart, valueStart + length) };
        break;
      case 0x08: {
        // Byte String: copied into a plain Uint8Array, never a view into the frame
        const bytes = new Uint8Array(length);
        // Short values (keys, IVs, tags) byte by byte: cheaper than making a view to copy from.
        if (length <= 64) for (let i = 0; i < length; i++) bytes[i] = buf[valueStart + i]!;
        else bytes.set(buf.subarray(valueStart, valueStart + length));
        item = { tag, type: 'ByteString', value: bytes };
        break;
      }
      case 0x09: // Date-Time
        if (length !== 8) fail('KRY_TTLV_BAD_LENGTH', pos, 'Date-Time needs length 8');
        item = { tag, type: 'DateTime', value: buf.readBigInt64BE(valueStart) };
        break;
      case 0x0a: // Interval
        if (length !== 4) fail('KRY_TTLV_BAD_LENGTH', pos, 'Interval needs length 4');
        item = { tag, type: 'Interval', value: buf.readUInt32BE(valueStart) };
        break;
      case 0x0b: // Date-Time Extended
        if (length !== 8) fail('KRY_TTLV_BAD_LENGTH', pos, 'Date-Time Extended needs length 8');
        item = { tag, type: 'DateTimeExtended', value: buf.readBigInt64BE(valueStart) };
        break;
      default:
        fail('KRY_TTLV_BAD_TYPE', pos + 3, `type 0x${typeCode.toString(16).padStart(2, '0')}`);
    }
    checkPadding(buf, valueStart + length, valueStart + padded);
    if (stack.length > 0) stack[stack.length - 1]!.item.value.push(item);
    else root = item;
    pos = valueStart + padded;
  }

  if (pos !== total) fail('KRY_TTLV_TRAILING_BYTES', pos, `${total - pos} bytes`);
  return root!;
}
