/** Small constructors and accessors for TTLV trees; no registry knowledge here. */
import type {
  BooleanItem,
  ByteStringItem,
  DateTimeItem,
  EnumerationItem,
  IntegerItem,
  IntervalItem,
  LongIntegerItem,
  StructureItem,
  TextStringItem,
  TtlvItem,
} from './types.js';

export const structure = (tag: number, value: TtlvItem[]): StructureItem => ({
  tag,
  type: 'Structure',
  value,
});
export const integer = (tag: number, value: number): IntegerItem => ({ tag, type: 'Integer', value });
export const longInteger = (tag: number, value: bigint): LongIntegerItem => ({
  tag,
  type: 'LongInteger',
  value,
});
export const enumeration = (tag: number, value: number): EnumerationItem => ({
  tag,
  type: 'Enumeration',
  value,
});
export const boolean = (tag: number, value: boolean): BooleanItem => ({ tag, type: 'Boolean', value });
export const textString = (tag: number, value: string): TextStringItem => ({
  tag,
  type: 'TextString',
  value,
});
export const byteString = (tag: number, value: Uint8Array): ByteStringItem => ({
  tag,
  type: 'ByteString',
  value,
});
export const interval = (tag: number, value: number): IntervalItem => ({ tag, type: 'Interval', value });
/** Date-Time from a Date (whole seconds) or a bigint of seconds since the epoch. */
export const dateTime = (tag: number, value: Date | bigint): DateTimeItem => ({
  tag,
  type: 'DateTime',
  value: typeof value === 'bigint' ? value : BigInt(Math.floor(value.getTime() / 1000)),
});

/** First child with the tag, or undefined. */
export function child(item: TtlvItem | undefined, tag: number): TtlvItem | undefined {
  if (!item || item.type !== 'Structure') return undefined;
  for (const c of item.value) if (c.tag === tag) return c;
  return undefined;
}

/** All children with the tag. */
export function children(item: TtlvItem | undefined, tag: number): TtlvItem[] {
  if (!item || item.type !== 'Structure') return [];
  return item.value.filter((c) => c.tag === tag);
}

/** Deep structural equality of two trees (types, tags, values; byte strings by content). */
export function treesEqual(a: TtlvItem, b: TtlvItem): boolean {
  if (a.tag !== b.tag || a.type !== b.type) return false;
  if (a.type === 'Structure') {
    const bv = (b as StructureItem).value;
    if (a.value.length !== bv.length) return false;
    for (let i = 0; i < a.value.length; i++) if (!treesEqual(a.value[i]!, bv[i]!)) return false;
    return true;
  }
  if (a.type === 'ByteString') return Buffer.from(a.value).equals(Buffer.from((b as ByteStringItem).value));
  return a.value === b.value;
}

/** First difference between two trees as a path, or undefined when equal (for test messages). */
export function firstDifference(a: TtlvItem, b: TtlvItem, path = ''): string | undefined {
  const here = `${path}/0x${a.tag.toString(16)}`;
  if (a.tag !== b.tag) return `${here}: tag 0x${a.tag.toString(16)} vs 0x${b.tag.toString(16)}`;
  if (a.type !== b.type) return `${here}: type ${a.type} vs ${b.type}`;
  if (a.type === 'Structure') {
    const bv = (b as StructureItem).value;
    const n = Math.min(a.value.length, bv.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(a.value[i]!, bv[i]!, `${here}[${i}]`);
      if (d) return d;
    }
    return a.value.length === bv.length ? undefined : `${here}: ${a.value.length} vs ${bv.length} children`;
  }
  return treesEqual(a, b) ? undefined : `${here}: ${String(a.value)} vs ${String(b.value)}`;
}
