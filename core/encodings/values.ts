/**
 * Text forms of TTLV values shared by the JSON and XML encodings (KMIP Additional Message
 * Encodings v1.0 §4.1.6 and §6.1.6), and the placeholder hook used for OASIS test-case files.
 */
import { KryptonError } from '../errors.js';
import { bigIntFromTwosComplement, bigIntToTwosComplement } from '../ttlv/index.js';
import type { ItemTypeName, TtlvItem } from '../ttlv/types.js';
import { formatIsoTime, parseIsoTime } from './datetime.js';
import type { ItemContext } from './names.js';

/**
 * Resolves a `$NAME` placeholder (as in the OASIS test cases: `$NOW`, `$NOW-3600`,
 * `$UNIQUE_IDENTIFIER_0`, `$KEY_MATERIAL_0` …) to a value of the item's type, or returns
 * undefined to refuse it. Text Strings keep placeholders verbatim without consulting it.
 */
export type PlaceholderResolver = (
  token: string,
  type: ItemTypeName,
  ctx: ItemContext,
) => TtlvItem['value'] | undefined;

/**
 * Deterministic substitution: `$NOW±N` → `now ± N` seconds; any other placeholder in a Byte
 * String → the UTF-8 bytes of its name. Makes test-case files convertible to TTLV and back.
 */
export function deterministicPlaceholders(now: bigint = 1_600_000_000n): PlaceholderResolver {
  return (token, type) => {
    if (type === 'DateTime' || type === 'DateTimeExtended') {
      const m = /^\$NOW(?:([+-])(\d+))?$/.exec(token);
      if (!m) return undefined;
      const delta = m[2] ? BigInt(m[2]) * (m[1] === '-' ? -1n : 1n) : 0n;
      return type === 'DateTime' ? now + delta : (now + delta) * 1_000_000n;
    }
    if (type === 'ByteString') return new Uint8Array(Buffer.from(token, 'utf8'));
    return undefined;
  };
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const HEX_BYTES = /^(?:[0-9a-fA-F]{2})*$/;

export function badValue(text: string, ctx: ItemContext): never {
  const shown = text.length > 40 ? text.slice(0, 40) + '…' : text;
  throw new KryptonError('KRY_ENC_BAD_VALUE', `'${shown}' at ${ctx.path}`, { field: ctx.path });
}

export function parseHexBytes(text: string, ctx: ItemContext): Uint8Array {
  if (!HEX_BYTES.test(text)) badValue(text, ctx);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function formatHexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** `0x`-prefixed two's complement of any byte length → bigint. */
export function parseHexSigned(text: string, ctx: ItemContext): bigint {
  const body = text.slice(2);
  if (!text.startsWith('0x') || body.length === 0 || !/^[0-9a-fA-F]+$/.test(body)) badValue(text, ctx);
  return bigIntFromTwosComplement(Buffer.from(body.length % 2 ? '0' + body : body, 'hex'));
}

export function hexInt64(value: bigint): string {
  return '0x' + BigInt.asUintN(64, value).toString(16).padStart(16, '0');
}

export function hexBigInteger(value: bigint): string {
  return '0x' + bigIntToTwosComplement(value).toString('hex');
}

export function checkInt32(value: number, text: string, ctx: ItemContext): number {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) badValue(text, ctx);
  return value;
}

export function checkUint32(value: number, text: string, ctx: ItemContext): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) badValue(text, ctx);
  return value;
}

export function checkInt64(value: bigint, text: string, ctx: ItemContext): bigint {
  if (value < INT64_MIN || value > INT64_MAX) badValue(text, ctx);
  return value;
}

const DECIMAL = /^[+-]?\d+$/;

export function parseDecimalBigInt(text: string, ctx: ItemContext): bigint {
  if (!DECIMAL.test(text)) badValue(text, ctx);
  return BigInt(text);
}

export function parseDateTime(text: string, ctx: ItemContext): bigint {
  if (text.startsWith('0x')) return checkInt64(parseHexSigned(text, ctx), text, ctx);
  const parsed = parseIsoTime(text);
  if (!parsed) badValue(text, ctx);
  return checkInt64(parsed.seconds, text, ctx);
}

export function parseDateTimeExtended(text: string, ctx: ItemContext): bigint {
  if (text.startsWith('0x')) return checkInt64(parseHexSigned(text, ctx), text, ctx);
  const parsed = parseIsoTime(text);
  if (!parsed) badValue(text, ctx);
  return checkInt64(parsed.seconds * 1_000_000n + parsed.micros, text, ctx);
}

const YEAR_LIMIT = 253402300799n; // 9999-12-31T23:59:59Z: beyond it ISO text is not portable

export function formatDateTime(seconds: bigint): string {
  return seconds >= -62135596800n && seconds <= YEAR_LIMIT ? formatIsoTime(seconds) : hexInt64(seconds);
}

export function formatDateTimeExtended(micros: bigint): string {
  const seconds = micros >= 0n ? micros / 1_000_000n : -((-micros + 999_999n) / 1_000_000n);
  const fraction = micros - seconds * 1_000_000n;
  return seconds >= -62135596800n && seconds <= YEAR_LIMIT
    ? formatIsoTime(seconds, fraction)
    : hexInt64(micros);
}
