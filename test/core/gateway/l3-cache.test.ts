/** The gateway's L3 cache: every entry leaving it is zeroed and its key wrap contexts freed. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { L3Cache } from '../../../core/gateway/l3-cache.js';
import type { KeyView } from '../../../core/gateway/key-use.js';
import { holdsWrapContexts, runKeyWrap } from '../../../core/keys/aes-key-wrap.js';

const view: KeyView = {
  state: 2,
  usageMask: 0,
  activationDate: undefined,
  deactivationDate: undefined,
  protectStopDate: undefined,
  processStartDate: undefined,
  replaced: false,
  archived: false,
  cryptographicParameters: undefined,
};

const zeroed = (b: Buffer) => b.every((x) => x === 0);

describe('L3Cache', () => {
  it('holds-wrap-contexts-while-an-entry-lives', () => {
    const cache = new L3Cache({ maxEntries: 4, ttlMs: 60_000 });
    const key = randomBytes(32);
    const entry = cache.set('t', 'a', key, view);
    assert.equal(holdsWrapContexts(key), true);
    const dek = randomBytes(32);
    assert.deepEqual(runKeyWrap(entry.key, true, true, runKeyWrap(entry.key, true, false, dek)), dek);
    cache.clear();
  });

  it('frees-contexts-and-zeroes-the-key-on-every-exit', () => {
    const now = 1_000_000;
    const cache = new L3Cache({ maxEntries: 2, ttlMs: 1_000 });
    const keys = [0, 1, 2, 3, 4].map(() => randomBytes(32));
    const [invalidated, evicted, expired, replaced, closed] = keys as [
      Buffer,
      Buffer,
      Buffer,
      Buffer,
      Buffer,
    ];
    cache.set('t', 'inv', invalidated, view, now);
    assert.equal(cache.invalidate('t', 'inv'), true);
    cache.set('t', 'old', evicted, view, now);
    cache.set('t', 'exp', expired, view, now);
    cache.set('t', 'new', randomBytes(32), view, now); // evicts 'old', the oldest
    assert.equal(cache.get('t', 'exp', now + 1_000), undefined); // expired on read
    cache.set('t', 'rep', replaced, view, now);
    cache.set('t', 'rep', closed, view, now); // replaces
    cache.clear();
    for (const key of keys) {
      assert.equal(holdsWrapContexts(key), false);
      assert.ok(zeroed(key));
    }
    assert.equal(cache.size, 0);
  });
});
