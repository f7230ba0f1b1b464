import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unwrapKeyRfc5649, wrapKeyRfc5649 } from '../../../core/keys/aes-key-wrap.js';
import { isKryptonError } from '../../../core/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

// RFC 5649 §6 test vectors (192-bit KEK in the RFC; node's 256-bit cipher is checked by round
// trip and by interoperability with SoftHSM2 in test/hsm-adapters/softhsm.test.ts).
test('rfc5649-wrap-is-deterministic-and-round-trips', () => {
  const kek = hex('5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8 5840df6e29b02af1');
  for (const n of [16, 20, 24, 32, 64]) {
    const key = Buffer.alloc(n, 0x5c);
    const a = wrapKeyRfc5649(kek, key);
    assert.equal(a.length, 8 + Math.ceil(n / 8) * 8);
    assert.deepEqual(wrapKeyRfc5649(kek, key), a);
    assert.deepEqual(unwrapKeyRfc5649(kek, a), key);
  }
});

test('rfc5649-unwrap-rejects-wrong-kek-and-modified-bytes-without-leaking-details', () => {
  const kek = Buffer.alloc(32, 1);
  const wrapped = wrapKeyRfc5649(kek, Buffer.alloc(32, 2));
  const bad = Buffer.from(wrapped);
  bad[5]! ^= 1;
  for (const [k, w] of [
    [Buffer.alloc(32, 3), wrapped],
    [kek, bad],
    [kek, wrapped.subarray(0, 12)],
  ] as const) {
    assert.throws(
      () => unwrapKeyRfc5649(k, w),
      (err: unknown) => isKryptonError(err) && err.code === 'KRY_CRYPTO_FAILURE',
    );
  }
  assert.throws(() => wrapKeyRfc5649(Buffer.alloc(20), Buffer.alloc(32)), /AES-128, 192 or 256/);
  // An AES-128 L3 wraps too (KMIP Create of a 128-bit service key).
  const k128 = Buffer.alloc(16, 7);
  assert.deepEqual(unwrapKeyRfc5649(k128, wrapKeyRfc5649(k128, Buffer.alloc(24, 1))), Buffer.alloc(24, 1));
});
