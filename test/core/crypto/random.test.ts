/** The pooled CSPRNG for new keys: every request gets fresh, distinct bytes of its own. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomKeyBytes } from '../../../core/crypto/random.js';

describe('randomKeyBytes', () => {
  it('returns-the-asked-length-in-buffers-of-their-own', () => {
    for (const length of [0, 1, 16, 24, 32, 256, 257, 5000]) {
      const bytes = randomKeyBytes(length);
      assert.equal(bytes.length, length);
      // Not a view into a shared pool: zeroing a key cannot touch another's bytes.
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.buffer.byteLength, length);
    }
  });

  it('never-hands-out-the-same-bytes-twice-across-pool-refills', () => {
    const seen = new Set<string>();
    // 1,000 keys of 32 bytes span several 4 KiB refills; odd lengths cross refill boundaries.
    for (let i = 0; i < 1000; i++) seen.add(randomKeyBytes(32).toString('hex'));
    for (let i = 0; i < 300; i++) seen.add(randomKeyBytes(13 + (i % 7)).toString('hex'));
    assert.equal(seen.size, 1300);
  });

  it('looks-uniform-over-many-bytes', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2000; i++) for (const b of randomKeyBytes(32)) counts[b] = (counts[b] ?? 0) + 1;
    // 64,000 bytes: 250 expected per value; a stuck or zeroed pool would put thousands on one.
    assert.ok(Math.max(...counts) < 400, `max count ${Math.max(...counts)}`);
    assert.ok(Math.min(...counts) > 120, `min count ${Math.min(...counts)}`);
  });

  it('refuses-lengths-that-are-not-non-negative-integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => randomKeyBytes(bad), RangeError);
    }
  });
});
