import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, test } from 'node:test';
import {
  holdWrapContexts,
  holdsWrapContexts,
  releaseWrapContexts,
  runKeyWrap,
  unwrapKeyRfc5649,
  wrapContext,
  wrapContextReuse,
  wrapKeyRfc5649,
} from '../../../core/keys/aes-key-wrap.js';
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

// Reused contexts (held keys): the same bytes as fresh contexts, every call, and freed on release.
function fresh(key: Buffer, padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
  const ctx = wrapContext(key, padded, decrypt);
  return Buffer.concat([ctx.update(data), ctx.final()]);
}

describe('wrap contexts', () => {
  it('are-reused-on-this-node', () => {
    // The load-time self-test passed: Node 20 with OpenSSL 3 keeps no state between wrap updates.
    assert.equal(wrapContextReuse, true);
  });

  it('answer-the-rfc-vectors-on-every-reuse', () => {
    // RFC 5649 §6 (KWP, 192-bit KEK) and RFC 3394 §4.1 (KW, 128-bit KEK).
    const kwpKek = hex('5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8');
    const kwKek = hex('000102030405060708090a0b0c0d0e0f');
    holdWrapContexts(kwpKek);
    holdWrapContexts(kwKek);
    const cases: [Buffer, boolean, Buffer, Buffer][] = [
      [
        kwpKek,
        true,
        hex('c37b7e6492584340 bed1220780894115 5068f738'),
        hex('138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a'),
      ],
      [kwpKek, true, hex('466f7250617369'), hex('afbeb0f07dfbf541 9200f2ccb50bb24f')],
      [
        kwKek,
        false,
        hex('00112233445566778899aabbccddeeff'),
        hex('1fa68b0a8112b447 aef34bd8fb5a7b82 9d3e862371d2cfe5'),
      ],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [kek, padded, plain, wrapped] of cases) {
        assert.deepEqual(runKeyWrap(kek, padded, false, plain), wrapped);
        assert.deepEqual(runKeyWrap(kek, padded, true, wrapped), plain);
      }
    }
    assert.equal(holdsWrapContexts(kwpKek), true);
    releaseWrapContexts(kwpKek);
    releaseWrapContexts(kwKek);
  });

  it('match-fresh-contexts-for-every-length-interleaved', () => {
    for (const size of [16, 24, 32]) {
      const key = randomBytes(size);
      holdWrapContexts(key);
      for (let i = 0; i < 200; i++) {
        const padded = i % 3 !== 0;
        const length = padded ? 1 + (i % 70) : 16 + 8 * (i % 6);
        const data = randomBytes(length);
        const wrapped = runKeyWrap(key, padded, false, data);
        assert.deepEqual(wrapped, fresh(key, padded, false, data));
        assert.deepEqual(runKeyWrap(key, padded, true, wrapped), data);
      }
      releaseWrapContexts(key);
    }
  });

  it('keep-working-after-a-failed-integrity-check', () => {
    const key = randomBytes(32);
    holdWrapContexts(key);
    const dek = randomBytes(32);
    const wrapped = runKeyWrap(key, true, false, dek);
    const tampered = Buffer.from(wrapped);
    tampered[5] = (tampered[5] as number) ^ 1;
    assert.throws(() => runKeyWrap(key, true, true, tampered));
    // A wrong key fails too, and neither failure spoils the next unwrap.
    assert.throws(() => runKeyWrap(randomBytes(32), true, true, wrapped));
    assert.deepEqual(runKeyWrap(key, true, true, wrapped), dek);
    releaseWrapContexts(key);
  });

  it('are-gone-after-release-and-fresh-contexts-take-over', () => {
    const key = randomBytes(32);
    holdWrapContexts(key);
    const data = randomBytes(32);
    const wrapped = runKeyWrap(key, true, false, data);
    releaseWrapContexts(key);
    assert.equal(holdsWrapContexts(key), false);
    releaseWrapContexts(key); // twice is harmless
    assert.deepEqual(runKeyWrap(key, true, true, wrapped), data);
    assert.deepEqual(runKeyWrap(key, true, false, data), wrapped);
  });

  it('refuse-a-key-that-is-not-aes-128-192-or-256', () => {
    assert.throws(() => runKeyWrap(randomBytes(20), true, false, randomBytes(32)), {
      code: 'KRY_CRYPTO_FAILURE',
    });
  });
});
