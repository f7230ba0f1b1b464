/**
 * The Hsm contract: every adapter that is available runs this suite (keyv's storageTestSuite
 * habit). An adapter whose backend is absent is skipped visibly — never in CI.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isKryptonError, type ErrorCode } from '../../core/errors.js';
import type { Hsm } from '../../hsm-adapters/hsm.js';

export interface HsmUnderTest {
  readonly hsm: Hsm;
  cleanup?(): Promise<void>;
}

export interface HsmContractOptions {
  /** A reason to skip (backend absent), or false. */
  readonly skip?: string | false;
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isKryptonError(err), `expected a KryptonError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

const label = (what: string): string => `contract-${what}-${randomUUID().slice(0, 8)}`;

export function hsmContractSuite(
  name: string,
  factory: () => Promise<HsmUnderTest>,
  opts: HsmContractOptions = {},
): void {
  describe(`Hsm contract: ${name}`, { skip: opts.skip ?? false }, () => {
    let subject: HsmUnderTest;
    let hsm: Hsm;

    before(async () => {
      subject = await factory();
      hsm = subject.hsm;
      await hsm.open();
    });

    after(async () => {
      await hsm?.close();
      await subject?.cleanup?.();
    });

    test('open-is-idempotent-and-mechanisms-are-stated', async () => {
      await hsm.open();
      const m = hsm.mechanisms();
      assert.ok(m.adapter.length > 0);
      assert.ok(['AES_KEY_WRAP_PAD', 'YUBICO_AES_CCM_WRAP'].includes(m.keyWrap));
      assert.ok(['AES_GCM', 'YUBICO_AES_CCM_WRAP'].includes(m.dataEncryption));
      assert.ok(m.maxWrapInputBytes >= 64);
    });

    test('find-or-create-root-key-returns-the-same-key-on-second-call', async () => {
      const l = label('root');
      const first = await hsm.findOrCreateRootKey(l);
      const wrapped = await hsm.wrapKey(first, Buffer.alloc(32, 7));
      const second = await hsm.findOrCreateRootKey(l);
      assert.deepEqual(second, first);
      assert.deepEqual(await hsm.unwrapKey(second, wrapped), Buffer.alloc(32, 7));
    });

    test('concurrent-find-or-create-makes-one-key', async () => {
      const l = label('race');
      const refs = await Promise.all([1, 2, 3, 4].map(() => hsm.findOrCreateRootKey(l)));
      const wrapped = await hsm.wrapKey(refs[0]!, Buffer.alloc(32, 1));
      for (const ref of refs) assert.deepEqual(await hsm.unwrapKey(ref, wrapped), Buffer.alloc(32, 1));
    });

    test('find-key-never-creates', async () => {
      const l = label('absent');
      assert.equal(await hsm.findKey(l), undefined);
      assert.equal(await hsm.findKey(l), undefined);
      await hsm.findOrCreateRootKey(l);
      assert.deepEqual(await hsm.findKey(l), { label: l, purpose: 'wrap' });
    });

    test('wrap-unwrap-round-trips-keys-of-16-to-512-bytes', async () => {
      const root = await hsm.findOrCreateRootKey(label('lengths'));
      for (const n of [16, 24, 32, 48, 64, 512]) {
        const key = randomBytes(n);
        const wrapped = await hsm.wrapKey(root, key);
        assert.ok(!wrapped.includes(key), 'wrapped output must not contain the key');
        assert.deepEqual(await hsm.unwrapKey(root, wrapped), key, `length ${n}`);
      }
    });

    test('wrap-rejects-empty-short-unaligned-and-oversize-keys', async () => {
      const root = await hsm.findOrCreateRootKey(label('bounds'));
      await rejectsWith(hsm.wrapKey(root, Buffer.alloc(0)), 'KRY_CRYPTO_FAILURE');
      await rejectsWith(hsm.wrapKey(root, Buffer.alloc(8)), 'KRY_CRYPTO_FAILURE');
      await rejectsWith(hsm.wrapKey(root, Buffer.alloc(33)), 'KRY_CRYPTO_FAILURE');
      await rejectsWith(
        hsm.wrapKey(root, Buffer.alloc(hsm.mechanisms().maxWrapInputBytes + 1)),
        'KRY_CRYPTO_FAILURE',
      );
    });

    test('unwrap-rejects-modified-wrapped-bytes', async () => {
      const root = await hsm.findOrCreateRootKey(label('tamper'));
      const wrapped = await hsm.wrapKey(root, randomBytes(32));
      for (const i of [0, wrapped.length - 1]) {
        const bad = Buffer.from(wrapped);
        bad[i]! ^= 0x01;
        await rejectsWith(hsm.unwrapKey(root, bad), 'KRY_CRYPTO_FAILURE');
      }
      await rejectsWith(hsm.unwrapKey(root, wrapped.subarray(0, 8)), 'KRY_CRYPTO_FAILURE');
    });

    test('unwrap-under-another-root-key-fails', async () => {
      const a = await hsm.findOrCreateRootKey(label('a'));
      const b = await hsm.findOrCreateRootKey(label('b'));
      const wrapped = await hsm.wrapKey(a, randomBytes(32));
      await rejectsWith(hsm.unwrapKey(b, wrapped), 'KRY_CRYPTO_FAILURE');
    });

    test('wrap-under-unknown-label-is-key-not-found-and-creates-nothing', async () => {
      const ref = { label: label('ghost'), purpose: 'wrap' as const };
      await rejectsWith(hsm.wrapKey(ref, randomBytes(32)), 'KRY_HSM_KEY_NOT_FOUND');
      assert.equal(await hsm.findKey(ref.label), undefined);
    });

    test('root-key-refuses-data-encryption-and-data-key-refuses-wrapping', async () => {
      const root = await hsm.findOrCreateRootKey(label('wrap-only'));
      const data = await hsm.findOrCreateRootKey(label('data'), 'encrypt');
      await rejectsWith(hsm.encrypt(root, Buffer.from('x')), 'KRY_HSM_REFUSED');
      await rejectsWith(hsm.wrapKey(data, randomBytes(32)), 'KRY_HSM_REFUSED');
    });

    test('encrypt-decrypt-round-trips-and-binds-aad', async () => {
      const key = await hsm.findOrCreateRootKey(label('gcm'), 'encrypt');
      const aad = Buffer.from('tenant-a/object-1');
      for (const plain of [Buffer.alloc(0), Buffer.from('hello'), randomBytes(4096)]) {
        const sealed = await hsm.encrypt(key, plain, aad);
        assert.deepEqual(await hsm.decrypt(key, sealed, aad), plain);
      }
      const sealed = await hsm.encrypt(key, Buffer.from('hello'), aad);
      const again = await hsm.encrypt(key, Buffer.from('hello'), aad);
      assert.notDeepEqual(sealed, again, 'each encryption uses a fresh IV');
      await rejectsWith(hsm.decrypt(key, sealed, Buffer.from('tenant-b/object-1')), 'KRY_CRYPTO_FAILURE');
      await rejectsWith(hsm.decrypt(key, sealed), 'KRY_CRYPTO_FAILURE');
      const bad = Buffer.from(sealed);
      bad[bad.length - 1]! ^= 1;
      await rejectsWith(hsm.decrypt(key, bad, aad), 'KRY_CRYPTO_FAILURE');
    });

    test('random-bytes-have-the-asked-length-and-differ', async () => {
      const a = await hsm.randomBytes(32);
      const b = await hsm.randomBytes(32);
      assert.equal(a.length, 32);
      assert.notDeepEqual(a, b);
      await rejectsWith(hsm.randomBytes(0), 'KRY_CRYPTO_FAILURE');
      await rejectsWith(hsm.randomBytes(1 << 20), 'KRY_CRYPTO_FAILURE');
    });

    test('concurrent-wraps-and-unwraps-all-complete', async () => {
      const root = await hsm.findOrCreateRootKey(label('parallel'));
      const keys = Array.from({ length: 40 }, () => randomBytes(32));
      const wrapped = await Promise.all(keys.map((k) => hsm.wrapKey(root, k)));
      const back = await Promise.all(wrapped.map((w) => hsm.unwrapKey(root, w)));
      assert.deepEqual(back, keys);
    });

    test('destroyed-key-refuses-unwrap-with-key-not-found', async () => {
      const root = await hsm.findOrCreateRootKey(label('shred'));
      const wrapped = await hsm.wrapKey(root, randomBytes(32));
      await hsm.destroyKey(root);
      await rejectsWith(hsm.unwrapKey(root, wrapped), 'KRY_HSM_KEY_NOT_FOUND');
      assert.equal(await hsm.findKey(root.label), undefined);
    });

    test('closed-adapter-refuses-operations-and-reopens', async () => {
      const root = await hsm.findOrCreateRootKey(label('reopen'));
      const wrapped = await hsm.wrapKey(root, Buffer.alloc(32, 9));
      await hsm.close();
      await hsm.close();
      await rejectsWith(hsm.unwrapKey(root, wrapped), 'KRY_HSM_UNAVAILABLE');
      await hsm.open();
      assert.deepEqual(await hsm.unwrapKey(root, wrapped), Buffer.alloc(32, 9));
    });
  });
}
