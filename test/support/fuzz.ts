import fc from 'fast-check';
import type { TtlvItem } from '../../core/ttlv/index.js';

/** Fixed seed in CI (reproducible); a fresh seed elsewhere, printed on failure by fast-check. */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const seed = process.env.KRYPTON_FUZZ_SEED
    ? Number(process.env.KRYPTON_FUZZ_SEED)
    : ci
      ? 0x6b727970
      : undefined;
  return seed === undefined ? { numRuns } : { numRuns, seed };
}

/** Records with an ordinary prototype, so they compare equal to decoded items. */
const rec = <T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const tag = fc.oneof(
  fc.integer({ min: 0x420000, max: 0x42ffff }),
  fc.integer({ min: 0x540000, max: 0x54ffff }),
);
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

export const ttlvLeaf: fc.Arbitrary<TtlvItem> = fc.oneof(
  rec({
    tag,
    type: fc.constant('Integer' as const),
    value: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  }),
  rec({ tag, type: fc.constant('LongInteger' as const), value: int64 }),
  rec({
    tag,
    type: fc.constant('BigInteger' as const),
    value: fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
  }),
  rec({ tag, type: fc.constant('Enumeration' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  rec({ tag, type: fc.constant('Boolean' as const), value: fc.boolean() }),
  rec({
    tag,
    type: fc.constant('TextString' as const),
    value: fc.string({ unit: 'grapheme', maxLength: 40 }),
  }),
  rec({ tag, type: fc.constant('ByteString' as const), value: fc.uint8Array({ maxLength: 40 }) }),
  rec({ tag, type: fc.constant('DateTime' as const), value: int64 }),
  rec({ tag, type: fc.constant('Interval' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  rec({ tag, type: fc.constant('DateTimeExtended' as const), value: int64 }),
);

export const ttlvTree: fc.Arbitrary<TtlvItem> = fc.letrec<{ item: TtlvItem; node: TtlvItem }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, ttlvLeaf, tie('node')),
  node: rec({
    tag,
    type: fc.constant('Structure' as const),
    value: fc.array(tie('item'), { maxLength: 6 }),
  }) as fc.Arbitrary<TtlvItem>,
})).node;
