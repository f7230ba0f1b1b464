import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  holdsWrapContexts,
  nativeScheduleOf,
  runKeyWrap,
  wrapContext,
} from '../../../core/keys/aes-key-wrap.js';
import { UnwrappedKeyCache } from '../../../core/keys/key-cache.js';
import { nativeKeyWrap } from '../../../core/keys/native-kw.js';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const entry = (id: string, parentId: string, key: Buffer) =>
  ({ id, level: 'L3', tenant: 't', state: 'Active', replacementId: undefined, parentId, key }) as const;

test('cache-entry-expires-after-ttl-and-its-buffer-is-zeroed', () => {
  const c = clock();
  const cache = new UnwrappedKeyCache({ ttlMs: 100, now: c.now });
  const key = Buffer.alloc(32, 0xaa);
  cache.set(entry('k', 'p', key));
  c.advance(99);
  assert.ok(cache.get('k'));
  c.advance(1);
  assert.equal(cache.get('k'), undefined);
  assert.deepEqual(key, Buffer.alloc(32), 'zeroed on expiry');
});

test('sweep-zeroes-expired-entries-nobody-asked-for', () => {
  const c = clock();
  const cache = new UnwrappedKeyCache({ ttlMs: 50, now: c.now });
  const old = Buffer.alloc(32, 1);
  cache.set(entry('old', 'p', old));
  c.advance(30);
  const fresh = Buffer.alloc(32, 2);
  cache.set(entry('fresh', 'p', fresh));
  c.advance(25);
  assert.equal(cache.sweep(), 1);
  assert.deepEqual(old, Buffer.alloc(32));
  assert.deepEqual(fresh, Buffer.alloc(32, 2));
  assert.equal(cache.size, 1);
});

test('cache-is-bounded-and-evicts-oldest-with-zeroing', () => {
  const cache = new UnwrappedKeyCache({ maxEntries: 3 });
  const keys = [0, 1, 2, 3, 4].map((i) => Buffer.alloc(32, i + 1));
  keys.forEach((k, i) => cache.set(entry(`k${i}`, 'p', k)));
  assert.equal(cache.size, 3);
  assert.equal(cache.get('k0'), undefined);
  assert.equal(cache.get('k1'), undefined);
  assert.deepEqual(keys[0], Buffer.alloc(32));
  assert.deepEqual(keys[1], Buffer.alloc(32));
  assert.deepEqual(keys[4], Buffer.alloc(32, 5));
});

test('invalidate-cascades-to-keys-cached-under-the-invalidated-one', () => {
  const cache = new UnwrappedKeyCache();
  const l2 = Buffer.alloc(32, 1);
  const l3a = Buffer.alloc(32, 2);
  const l3b = Buffer.alloc(32, 3);
  const other = Buffer.alloc(32, 4);
  cache.set({ ...entry('l2', 'root', l2), level: 'L2' });
  cache.set(entry('l3a', 'l2', l3a));
  cache.set(entry('l3b', 'l2', l3b));
  cache.set(entry('l3c', 'l2-other', other));
  assert.equal(cache.invalidate('l2'), 3);
  for (const k of [l2, l3a, l3b]) assert.deepEqual(k, Buffer.alloc(32));
  assert.deepEqual(other, Buffer.alloc(32, 4));
  assert.ok(cache.get('l3c'));
});

test('replacing-an-entry-zeroes-the-previous-buffer-and-clear-zeroes-all', () => {
  const cache = new UnwrappedKeyCache();
  const first = Buffer.alloc(32, 1);
  const second = Buffer.alloc(32, 2);
  cache.set(entry('k', 'p', first));
  cache.set(entry('k', 'p', second));
  assert.deepEqual(first, Buffer.alloc(32));
  cache.clear();
  assert.deepEqual(second, Buffer.alloc(32));
  assert.equal(cache.size, 0);
});

test('cached-keys-wrap-on-held-contexts-released-whenever-they-leave', () => {
  const c = clock();
  const cache = new UnwrappedKeyCache({ ttlMs: 100, maxEntries: 2, now: c.now });
  const held = (key: Buffer) => holdsWrapContexts(key);
  const schedules: Buffer[] = [];
  const put = (id: string, parent = 'p') => {
    const key = randomBytes(32);
    cache.set(entry(id, parent, key));
    assert.ok(held(key), `${id} holds its wrap contexts`);
    const schedule = nativeScheduleOf(key);
    if (nativeKeyWrap) {
      assert.ok(
        schedule?.some((b) => b !== 0),
        'native key schedule in use',
      );
      schedules.push(schedule!);
    }
    // A wrap under the cached key agrees with one on a fresh OpenSSL context.
    const dek = randomBytes(32);
    const ctx = wrapContext(key, true, false);
    assert.deepEqual(runKeyWrap(key, true, false, dek), Buffer.concat([ctx.update(dek), ctx.final()]));
    return key;
  };
  const evicted = put('a');
  put('b');
  const replaced = put('c'); // evicts a
  assert.equal(held(evicted), false);
  put('c'); // replaces c
  assert.equal(held(replaced), false);
  c.advance(100);
  assert.equal(cache.get('b'), undefined); // expired
  const l2 = put('l2', 'root');
  const l3 = put('l3', 'l2');
  cache.invalidate('l2');
  assert.equal(held(l2) || held(l3), false);
  const last = put('last');
  cache.clear();
  assert.equal(held(last), false);
  // Every native schedule the cache held is zeroed now that every entry has left.
  for (const schedule of schedules) assert.ok(schedule.every((b) => b === 0));
});
