/**
 * The TTLV item tree shared by every encoding (binary TTLV, KMIP JSON, KMIP XML).
 * KMIP 1.4 §9.1 / KMIP 2.1 §9.1: Tag (3 bytes), Type (1 byte), Length (4 bytes), Value (padded to 8).
 *
 * `type` uses the item-type names of the KMIP XML/JSON encodings so that a tree prints the way
 * engineers read it in the OASIS test cases.
 */

export const ITEM_TYPE_CODES = {
  Structure: 0x01,
  Integer: 0x02,
  LongInteger: 0x03,
  BigInteger: 0x04,
  Enumeration: 0x05,
  Boolean: 0x06,
  TextString: 0x07,
  ByteString: 0x08,
  DateTime: 0x09,
  Interval: 0x0a,
  DateTimeExtended: 0x0b,
} as const;

export type ItemTypeName = keyof typeof ITEM_TYPE_CODES;

export const ITEM_TYPE_NAMES: readonly (ItemTypeName | undefined)[] = (() => {
  const names: (ItemTypeName | undefined)[] = [];
  for (const [name, code] of Object.entries(ITEM_TYPE_CODES)) names[code] = name as ItemTypeName;
  return names;
})();

export interface StructureItem {
  tag: number;
  type: 'Structure';
  value: TtlvItem[];
}
/** Signed 32-bit. */
export interface IntegerItem {
  tag: number;
  type: 'Integer';
  value: number;
}
/** Signed 64-bit. */
export interface LongIntegerItem {
  tag: number;
  type: 'LongInteger';
  value: bigint;
}
/** Arbitrary-precision signed integer, two's complement on the wire, length a multiple of 8. */
export interface BigIntegerItem {
  tag: number;
  type: 'BigInteger';
  value: bigint;
}
/** Unsigned 32-bit enumeration value. */
export interface EnumerationItem {
  tag: number;
  type: 'Enumeration';
  value: number;
}
export interface BooleanItem {
  tag: number;
  type: 'Boolean';
  value: boolean;
}
export interface TextStringItem {
  tag: number;
  type: 'TextString';
  value: string;
}
export interface ByteStringItem {
  tag: number;
  type: 'ByteString';
  value: Uint8Array;
}
/** Seconds since the POSIX epoch, signed 64-bit. */
export interface DateTimeItem {
  tag: number;
  type: 'DateTime';
  value: bigint;
}
/** Unsigned 32-bit number of seconds. */
export interface IntervalItem {
  tag: number;
  type: 'Interval';
  value: number;
}
/** Microseconds since the POSIX epoch, signed 64-bit (KMIP 2.0+). */
export interface DateTimeExtendedItem {
  tag: number;
  type: 'DateTimeExtended';
  value: bigint;
}

export type TtlvItem =
  | StructureItem
  | IntegerItem
  | LongIntegerItem
  | BigIntegerItem
  | EnumerationItem
  | BooleanItem
  | TextStringItem
  | ByteStringItem
  | DateTimeItem
  | IntervalItem
  | DateTimeExtendedItem;

export type TtlvValueOf<T extends ItemTypeName> = Extract<TtlvItem, { type: T }>['value'];
