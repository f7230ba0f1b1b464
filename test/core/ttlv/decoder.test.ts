import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KryptonError } from '../../../core/errors.js';
import {
  decodeTtlv,
  encodeTtlv,
  structure,
  integer,
  textString,
  type TtlvItem,
} from '../../../core/ttlv/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

function rejects(bytes: Uint8Array, code: string, opts?: { maxDepth?: number }): void {
  assert.throws(
    () => decodeTtlv(bytes, opts),
    (err: unknown) => err instanceof KryptonError && err.code === code && err.reason.length > 0,
    `expected ${code}`,
  );
}

test('rejects-empty-input-and-short-headers', () => {
  rejects(Buffer.alloc(0), 'KRY_TTLV_TRUNCATED');
  rejects(hex('420020 02'), 'KRY_TTLV_TRUNCATED');
  rejects(hex('420020 02 000000'), 'KRY_TTLV_TRUNCATED');
  rejects(hex('420020 02 00000004'), 'KRY_TTLV_TRUNCATED'); // header with no value
});

test('rejects-bad-tag-prefix-and-unknown-types', () => {
  rejects(hex('430020 02 00000004 00000008 00000000'), 'KRY_TTLV_BAD_TAG');
  rejects(hex('000000 02 00000004 00000008 00000000'), 'KRY_TTLV_BAD_TAG');
  rejects(hex('420020 00 00000004 00000008 00000000'), 'KRY_TTLV_BAD_TYPE');
  rejects(hex('420020 0c 00000004 00000008 00000000'), 'KRY_TTLV_BAD_TYPE');
  rejects(hex('420020 ff 00000004 00000008 00000000'), 'KRY_TTLV_BAD_TYPE');
  // 0x54 extension tags are accepted
  assert.equal(decodeTtlv(hex('540001 02 00000004 00000008 00000000')).tag, 0x540001);
});

test('rejects-wrong-fixed-lengths', () => {
  rejects(hex('420020 02 00000008 00000000 00000008'), 'KRY_TTLV_BAD_LENGTH'); // Integer ≠ 4
  rejects(hex('420020 05 00000003 00000000 00000000'), 'KRY_TTLV_BAD_LENGTH'); // Enumeration ≠ 4
  rejects(hex('420020 0a 00000008 00000000 00000000'), 'KRY_TTLV_BAD_LENGTH'); // Interval ≠ 4
  rejects(hex('420020 03 00000004 00000000 00000000'), 'KRY_TTLV_BAD_LENGTH'); // LongInteger ≠ 8
  rejects(hex('420020 09 00000004 00000000 00000000'), 'KRY_TTLV_BAD_LENGTH'); // DateTime ≠ 8
  rejects(hex('420020 06 00000004 00000001 00000000'), 'KRY_TTLV_BAD_LENGTH'); // Boolean ≠ 8
  rejects(hex('420020 0b 00000010 00000000 00000000 00000000 00000000'), 'KRY_TTLV_BAD_LENGTH');
  rejects(hex('420020 04 00000000'), 'KRY_TTLV_BAD_LENGTH'); // empty Big Integer
  rejects(hex('420020 04 00000004 00000001 00000000'), 'KRY_TTLV_BAD_LENGTH'); // not a multiple of 8
  rejects(hex('420020 01 00000004 00000000'), 'KRY_TTLV_BAD_LENGTH'); // structure not a multiple of 8
});

test('rejects-boolean-other-than-zero-or-one', () => {
  rejects(hex('420020 06 00000008 00000000 00000002'), 'KRY_TTLV_BAD_BOOLEAN');
  rejects(hex('420020 06 00000008 00000001 00000001'), 'KRY_TTLV_BAD_BOOLEAN');
  assert.equal(decodeTtlv(hex('420020 06 00000008 00000000 00000000')).value, false);
});

test('rejects-nonzero-padding', () => {
  rejects(hex('420020 02 00000004 00000008 00000001'), 'KRY_TTLV_BAD_PADDING');
  rejects(hex('420020 07 00000001 41000000 000000ff'), 'KRY_TTLV_BAD_PADDING');
});

test('rejects-length-overrunning-input-or-parent-before-allocating', () => {
  // 4 GiB - 1 claimed over 8 bytes: refused by arithmetic, nothing allocated.
  rejects(hex('420020 08 ffffffff 00000000 00000000'), 'KRY_TTLV_TRUNCATED');
  rejects(hex('420020 07 7fffffff 41'), 'KRY_TTLV_TRUNCATED');
  // a child claiming more than its parent holds
  rejects(hex('420001 01 00000010  420002 07 00000010 41424344 45464748'), 'KRY_TTLV_OVERRUN');
  // a child header cut by the parent's end
  rejects(hex('420001 01 00000008  420002 02 00000004 00000001 00000000'), 'KRY_TTLV_OVERRUN');
});

test('rejects-zero-length-structure-followed-by-bytes', () => {
  assert.deepEqual(decodeTtlv(hex('420001 01 00000000')), { tag: 0x420001, type: 'Structure', value: [] });
  rejects(hex('420001 01 00000000 420002 02 00000004 00000001 00000000'), 'KRY_TTLV_TRAILING_BYTES');
});

test('rejects-invalid-utf8-and-accepts-empty-strings', () => {
  rejects(hex('420020 07 00000002 c328 000000000000'), 'KRY_TTLV_BAD_UTF8'); // bad continuation byte
  rejects(hex('420020 07 00000003 eda080 0000000000'), 'KRY_TTLV_BAD_UTF8'); // surrogate half
  assert.equal(decodeTtlv(hex('420020 07 00000000')).value, '');
  assert.equal(decodeTtlv(hex('420020 07 00000002 c3a9 000000000000')).value, 'é');
  assert.deepEqual(decodeTtlv(hex('420020 08 00000000')).value, new Uint8Array(0));
});

function nested(depth: number): Buffer {
  // depth structures, innermost empty: built bottom-up without recursion.
  const total = depth * 8;
  const out = Buffer.alloc(total);
  for (let i = 0; i < depth; i++) {
    const at = i * 8;
    out[at] = 0x42;
    out[at + 2] = 0x01;
    out[at + 3] = 0x01;
    out.writeUInt32BE(total - at - 8, at + 4);
  }
  return out;
}

test('nesting-depth-64-accepted-65-rejected', () => {
  let item = decodeTtlv(nested(64));
  let depth = 1;
  while (item.type === 'Structure' && item.value.length > 0) {
    item = item.value[0]!;
    depth++;
  }
  assert.equal(depth, 64);
  rejects(nested(65), 'KRY_TTLV_TOO_DEEP');
});

test('nesting-100000-deep-rejected-without-stack-overflow', () => {
  rejects(nested(100_000), 'KRY_TTLV_TOO_DEEP');
  // even with the depth limit lifted the decoder does not recurse
  const deep = decodeTtlv(nested(100_000), { maxDepth: 200_000 });
  assert.equal(deep.type, 'Structure');
});

test('extreme-64-bit-values-round-trip-as-bigint', () => {
  for (const v of [-(1n << 63n), (1n << 63n) - 1n, 0n, -1n]) {
    for (const type of ['LongInteger', 'DateTime', 'DateTimeExtended'] as const) {
      const item = { tag: 0x420020, type, value: v } as TtlvItem;
      assert.deepEqual(decodeTtlv(encodeTtlv(item)), item);
    }
  }
  for (const v of [0n, -1n, 127n, -128n, 1n << 64n, -(1n << 64n), (1n << 200n) + 12345n, -(1n << 63n)]) {
    const item = { tag: 0x420020, type: 'BigInteger', value: v } as TtlvItem;
    const bytes = encodeTtlv(item);
    assert.equal(bytes.readUInt32BE(4) % 8, 0);
    assert.deepEqual(decodeTtlv(bytes), item);
  }
});

test('encoder-refuses-out-of-range-values', () => {
  const bad: TtlvItem[] = [
    integer(0x420020, 2 ** 31),
    integer(0x420020, 1.5),
    { tag: 0x420020, type: 'Enumeration', value: -1 },
    { tag: 0x420020, type: 'Interval', value: 2 ** 32 },
    { tag: 0x420020, type: 'LongInteger', value: 1n << 63n },
    { tag: 0x430020, type: 'Integer', value: 1 },
  ];
  for (const item of bad) assert.throws(() => encodeTtlv(item), KryptonError);
});

test('structures-round-trip-with-mixed-children', () => {
  const tree = structure(0x420078, [
    integer(0x42006a, 1),
    textString(0x420055, 'x'.repeat(13)),
    structure(0x420079, []),
    { tag: 0x4200c2, type: 'ByteString', value: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) },
  ]);
  assert.deepEqual(decodeTtlv(encodeTtlv(tree)), tree);
});
