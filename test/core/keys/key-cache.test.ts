import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnwrappedKeyCache } from '../../../core/keys/key-cache.js';

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
