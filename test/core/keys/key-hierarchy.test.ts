import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isKryptonError, type ErrorCode } from '../../../core/errors.js';
import { unwrapKeyRfc5649 } from '../../../core/keys/aes-key-wrap.js';
import { UnwrappedKeyCache, type CachedKey } from '../../../core/keys/key-cache.js';
import { KeyHierarchy } from '../../../core/keys/key-hierarchy.js';
import { SoftwareHsm } from '../../../hsm-adapters/software.js';
import { captureLogger } from '../../hsm-adapters/log-capture.js';
import { MemoryKeyRecords } from './memory-key-records.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krypton-keys-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A cache that remembers every buffer handed to it, to prove they are zeroed. */
class SpyCache extends UnwrappedKeyCache {
  readonly handed: CachedKey[] = [];
  override set(e: Omit<CachedKey, 'expiresAt'>): CachedKey {
    const stored = super.set(e);
    this.handed.push(stored);
    return stored;
  }
  keyOf(id: string): Buffer {
    const found = [...this.handed].reverse().find((e) => e.id === id);
    if (!found) throw new Error(`never cached: ${id}`);
    return found.key;
  }
}

let n = 0;
async function setup(
  opts: { ttlMs?: number; now?: () => number; logger?: ReturnType<typeof captureLogger>['logger'] } = {},
) {
  n += 1;
  const hsm = new SoftwareHsm({
    path: join(dir, `hsm-${n}.bin`),
    passphrase: { value: 'pw' },
    scrypt: { log2N: 12 },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  await hsm.open();
  const records = new MemoryKeyRecords();
  const cache = new SpyCache({ ttlMs: opts.ttlMs ?? 60_000, ...(opts.now ? { now: opts.now } : {}) });
  const keys = new KeyHierarchy({
    hsm,
    records,
    cache,
    rootKeyLabel: 'l1-test',
    rootCheckIntervalMs: 0,
    sweepIntervalMs: 0,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  await keys.open();
  return { hsm, records, cache, keys };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isKryptonError(err), String(err));
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('l2-is-created-on-first-use-once-per-tenant-and-wrapped-by-l1-through-the-hsm', async () => {
  const { keys, records, hsm } = await setup();
  const [a, b] = await Promise.all([keys.tenantKey('acme'), keys.tenantKey('acme')]);
  assert.equal(a, b);
  assert.equal(await keys.tenantKey('acme'), a);
  assert.notEqual(await keys.tenantKey('globex'), a);
  const l2 = records.records.get(a)!;
  assert.equal(l2.level, 'L2');
  assert.equal(l2.wrappingKeyId, 'l1-test');
  const plain = await hsm.unwrapKey({ label: 'l1-test', purpose: 'wrap' }, l2.wrapped!);
  assert.equal(plain.length, 32);
});

test('chain-l1-l2-l3-l4-wraps-and-unwraps-cold-and-cached', async () => {
  const { keys, records, cache } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const l3Record = records.records.get(l3)!;
  assert.equal(l3Record.level, 'L3');
  // L3 is RFC 5649 under L2.
  assert.deepEqual(unwrapKeyRfc5649(cache.keyOf(l3Record.wrappingKeyId), l3Record.wrapped!), cache.keyOf(l3));
  const dek = await keys.createDataKey(l3);
  assert.equal(dek.wrappingKeyId, l3);
  assert.deepEqual(unwrapKeyRfc5649(cache.keyOf(l3), dek.wrapped), dek.plaintext);
  // Cold: drop everything, the chain is rebuilt from records and the HSM.
  keys.invalidate(l3Record.wrappingKeyId);
  assert.equal(keys.cachedKeys, 0);
  assert.deepEqual((await keys.unwrapUnderL3(l3, dek.wrapped)).key, dek.plaintext);
  const readsAfterCold = records.reads;
  for (let i = 0; i < 100; i++) await keys.wrapUnderL3(l3, dek.plaintext);
  assert.equal(records.reads, readsAfterCold, 'the cached path reads no record');
});

test('revoke-of-a-cached-l3-makes-it-unusable-at-once-and-zeroes-the-copy', async () => {
  const { keys, records, cache } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const { wrapped } = await keys.wrapUnderL3(l3, randomBytes(32));
  const cachedCopy = cache.keyOf(l3);
  records.setState(l3, 'Compromised');
  keys.invalidate(l3);
  assert.deepEqual(cachedCopy, Buffer.alloc(32), 'the cached buffer is zeroed');
  await rejectsWith(keys.wrapUnderL3(l3, randomBytes(32)), 'KRY_KEY_UNUSABLE', /Compromised/);
  await rejectsWith(keys.unwrapUnderL3(l3, wrapped), 'KRY_KEY_UNUSABLE');
});

test('revoke-for-cessation-leaves-an-l3-decrypt-only', async () => {
  const { keys, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  records.setState(l3, 'Deactivated');
  keys.invalidate(l3);
  await rejectsWith(keys.wrapUnderL3(l3, randomBytes(32)), 'KRY_KEY_UNUSABLE', /Deactivated/);
  assert.deepEqual((await keys.unwrapUnderL3(l3, dek.wrapped)).key, dek.plaintext);
});

test('destroy-of-a-cached-l3-makes-it-unusable-at-once', async () => {
  const { keys, records, cache } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  const cachedCopy = cache.keyOf(l3);
  records.setState(l3, 'Destroyed');
  keys.invalidate(l3);
  assert.deepEqual(cachedCopy, Buffer.alloc(32));
  await rejectsWith(keys.unwrapUnderL3(l3, dek.wrapped), 'KRY_KEY_UNUSABLE', /destroyed/);
});

test('destroy-of-an-l2-drops-its-cached-l3s-too', async () => {
  const { keys, records, cache } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const l2 = records.records.get(l3)!.wrappingKeyId;
  const l3Copy = cache.keyOf(l3);
  records.setState(l2, 'Destroyed');
  keys.invalidate(l2);
  assert.deepEqual(l3Copy, Buffer.alloc(32));
  await rejectsWith(keys.wrapUnderL3(l3, randomBytes(32)), 'KRY_KEY_UNUSABLE', /destroyed/);
});

test('ttl-expiry-reloads-the-l3-from-its-record-and-zeroes-the-old-copy', async () => {
  let t = 0;
  const { keys, records, cache } = await setup({ ttlMs: 1000, now: () => t });
  const l3 = await keys.createServiceKey('acme');
  const first = cache.keyOf(l3);
  const firstValue = Buffer.from(first);
  await keys.wrapUnderL3(l3, randomBytes(32));
  const reads = records.reads;
  t += 1000;
  const dek = await keys.createDataKey(l3);
  assert.ok(records.reads > reads, 'expired: the record was read again');
  assert.deepEqual(first, Buffer.alloc(32), 'the expired copy was zeroed');
  assert.deepEqual(cache.keyOf(l3), firstValue, 'the reloaded key is the same key');
  assert.deepEqual((await keys.unwrapUnderL3(l3, dek.wrapped)).key, dek.plaintext);
});

test('rekey-of-l3-makes-the-old-version-decrypt-only-and-rewraps-deks-lazily', async () => {
  const { keys, records } = await setup();
  const oldL3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(oldL3);
  const newL3 = await keys.rekey(oldL3);
  assert.equal(records.records.get(oldL3)!.replacementId, newL3);
  assert.equal(records.records.get(newL3)!.replacedId, oldL3);
  await rejectsWith(keys.wrapUnderL3(oldL3, randomBytes(32)), 'KRY_KEY_UNUSABLE', /replaced by Rekey/);
  const opened = await keys.unwrapUnderL3(oldL3, dek.wrapped);
  assert.deepEqual(opened.key, dek.plaintext);
  assert.equal(opened.rewrapped?.wrappingKeyId, newL3);
  assert.deepEqual((await keys.unwrapUnderL3(newL3, opened.rewrapped!.wrapped)).key, dek.plaintext);
});

test('rekey-of-l2-rewraps-its-l3s-lazily-on-next-access', async () => {
  const { keys, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  const oldL2 = records.records.get(l3)!.wrappingKeyId;
  const newL2 = await keys.rekey(oldL2);
  assert.equal(await keys.tenantKey('acme'), newL2);
  assert.equal(records.records.get(l3)!.wrappingKeyId, oldL2, 'nothing re-wrapped eagerly');
  assert.deepEqual((await keys.unwrapUnderL3(l3, dek.wrapped)).key, dek.plaintext);
  assert.equal(records.records.get(l3)!.wrappingKeyId, newL2, 're-wrapped under the successor on access');
  // The old L2 can now be destroyed without losing the L3.
  records.setState(oldL2, 'Destroyed');
  keys.invalidate(oldL2);
  keys.invalidate(newL2);
  assert.deepEqual((await keys.unwrapUnderL3(l3, dek.wrapped)).key, dek.plaintext);
  const l3b = await keys.createServiceKey('acme');
  assert.equal(records.records.get(l3b)!.wrappingKeyId, newL2);
});

test('stored-l4-is-rewrapped-lazily-after-its-l3-is-rotated', async () => {
  const { keys, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const { id, plaintext } = await keys.createDataKeyRecord(l3);
  const l3v2 = await keys.rekey(l3);
  assert.deepEqual(await keys.openDataKey(id), plaintext);
  assert.equal(records.records.get(id)!.wrappingKeyId, l3v2);
  assert.deepEqual(await keys.openDataKey(id), plaintext);
});

test('cutting-l1-makes-every-dependent-key-unusable-and-says-so', async () => {
  const { keys, hsm, cache } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  const copies = cache.handed.map((e) => e.key);
  await hsm.destroyKey({ label: 'l1-test', purpose: 'wrap' });
  // Still cached, but the probe notices the cut and empties the cache.
  assert.equal(await keys.checkRoot(), false);
  assert.equal(keys.rootAvailable, false);
  for (const k of copies) assert.deepEqual(k, Buffer.alloc(32));
  await rejectsWith(
    keys.wrapUnderL3(l3, randomBytes(32)),
    'KRY_KEY_ROOT_UNAVAILABLE',
    /l1-test.*refused by the HSM/,
  );
  await rejectsWith(keys.unwrapUnderL3(l3, dek.wrapped), 'KRY_KEY_ROOT_UNAVAILABLE');
  await rejectsWith(keys.tenantKey('new-tenant'), 'KRY_KEY_ROOT_UNAVAILABLE');
});

test('a-cold-unwrap-refused-by-the-hsm-cuts-the-hierarchy-without-waiting-for-the-probe', async () => {
  const { keys, hsm, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  keys.invalidate(records.records.get(l3)!.wrappingKeyId);
  await hsm.destroyKey({ label: 'l1-test', purpose: 'wrap' });
  await rejectsWith(keys.unwrapUnderL3(l3, dek.wrapped), 'KRY_KEY_ROOT_UNAVAILABLE');
  assert.equal(keys.rootAvailable, false);
});

test('an-unreachable-hsm-does-not-cut-the-hierarchy-cached-keys-keep-working', async () => {
  const { keys, hsm } = await setup();
  const l3 = await keys.createServiceKey('acme');
  await hsm.close(); // unwrap now answers KRY_HSM_UNAVAILABLE, not a refusal
  assert.equal(await keys.checkRoot(), true);
  const { wrapped } = await keys.wrapUnderL3(l3, Buffer.alloc(32, 1));
  assert.deepEqual((await keys.unwrapUnderL3(l3, wrapped)).key, Buffer.alloc(32, 1));
});

test('an-l3-wrapped-under-another-tenants-l2-is-refused', async () => {
  const { keys, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  const globexL2 = await keys.tenantKey('globex');
  const r = records.records.get(l3)!;
  records.records.set(l3, { ...r, wrappingKeyId: globexL2 });
  keys.invalidate(l3);
  await rejectsWith(keys.wrapUnderL3(l3, randomBytes(32)), 'KRY_KEY_UNUSABLE', /crosses tenants/);
});

test('wrong-level-is-refused', async () => {
  const { keys } = await setup();
  const l2 = await keys.tenantKey('acme');
  await rejectsWith(keys.wrapUnderL3(l2, randomBytes(32)), 'KRY_KEY_WRONG_LEVEL');
});

test('invalidation-during-a-cold-load-is-not-lost', async () => {
  const { keys, records } = await setup();
  const l3 = await keys.createServiceKey('acme');
  keys.invalidate(l3);
  const pending = keys.wrapUnderL3(l3, randomBytes(32));
  // Revoked while the load is in flight: the load must not cache the stale Active record.
  records.setState(l3, 'Compromised');
  keys.invalidate(l3);
  await rejectsWith(pending, 'KRY_KEY_UNUSABLE');
});

test('key-bytes-never-reach-the-log', async () => {
  const { logger, text } = captureLogger();
  const { keys, cache } = await setup({ logger });
  const l3 = await keys.createServiceKey('acme');
  const dek = await keys.createDataKey(l3);
  await keys.rekey(l3);
  const log = text();
  assert.match(log, /service key created/);
  for (const k of [...cache.handed.map((e) => Buffer.from(e.key)), dek.plaintext]) {
    if (k.equals(Buffer.alloc(32))) continue;
    assert.ok(
      !log.includes(k.toString('hex')) && !log.includes(k.toString('base64')),
      'no key bytes in the log',
    );
  }
});

test('tenant-key-is-looked-up-once-while-its-l2-stays-cached-and-again-after-a-rekey', async () => {
  const { keys, records } = await setup();
  let lookups = 0;
  const find = records.findTenantKey.bind(records);
  records.findTenantKey = (tenant: string) => {
    lookups += 1;
    return find(tenant);
  };
  const l3 = await keys.createServiceKey('acme');
  const l2 = records.records.get(l3)!.wrappingKeyId;
  assert.equal(await keys.tenantKey('acme'), l2);
  const before = lookups;
  for (let i = 0; i < 5; i++) assert.equal(await keys.tenantKey('acme'), l2);
  assert.equal(lookups, before, 'the cached L2 answers without a lookup');
  const successor = await keys.rekey(l2);
  assert.equal(await keys.tenantKey('acme'), successor, 'a Rekey of the L2 is seen at once');
  records.setState(successor, 'Deactivated');
  keys.invalidate(successor);
  assert.notEqual(await keys.tenantKey('acme'), successor, 'an L2 that cannot protect is not reused');
});
