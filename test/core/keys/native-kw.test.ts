// The native AES-NI key wrap (native/aes_kw.c through core/keys/native-kw.ts) against OpenSSL:
// the same bytes for every key size and length, the same errors, declined inputs handed back, the
// key schedule zeroed on release, and the switch that turns it off. In CI the addon must be built
// (npm run build compiles it); elsewhere these tests skip with what to run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  holdWrapContexts,
  holdsWrapContexts,
  nativeScheduleOf,
  releaseWrapContexts,
  runKeyWrap,
  wrapContext,
} from '../../../core/keys/aes-key-wrap.js';
import { nativeKeyWrap, nativeKeyWrapStatus } from '../../../core/keys/native-kw.js';
import { inCI } from '../../support/shared.js';

const skip = nativeKeyWrap
  ? false
  : `native key wrap ${nativeKeyWrapStatus}: run npm run build with a C compiler present`;
if (inCI && !nativeKeyWrap) throw new Error(`native key wrap must be in use in CI: ${nativeKeyWrapStatus}`);

function openssl(key: Buffer, padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
  const ctx = wrapContext(key, padded, decrypt);
  return Buffer.concat([ctx.update(data), ctx.final()]);
}

/** What a call throws (message and code), or 'ok'. */
function outcome(run: () => Buffer): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    const e = err as Error & { code?: string };
    return `${e.code ?? ''}: ${e.message}`;
  }
}

describe('native key wrap', { skip }, () => {
  it('holds-keys-natively-and-agrees-with-openssl-for-every-size-and-length', () => {
    for (const size of [16, 24, 32]) {
      const key = randomBytes(size);
      holdWrapContexts(key);
      assert.ok(nativeScheduleOf(key), 'a held key wraps on the native code');
      for (let length = 1; length <= 520; length += length < 80 ? 1 : 37) {
        for (const padded of length % 8 === 0 && length >= 16 ? [true, false] : [true]) {
          const data = randomBytes(length);
          const wrapped = runKeyWrap(key, padded, false, data);
          assert.deepEqual(wrapped, openssl(key, padded, false, data), `${size}-byte key, ${length} bytes`);
          assert.deepEqual(runKeyWrap(key, padded, true, wrapped), data);
        }
      }
      releaseWrapContexts(key);
    }
  });

  it('rejects-every-single-bit-change-with-openssls-error', () => {
    const key = randomBytes(32);
    holdWrapContexts(key);
    const dek = randomBytes(32);
    for (const padded of [true, false]) {
      const wrapped = runKeyWrap(key, padded, false, dek);
      for (let bit = 0; bit < wrapped.length * 8; bit++) {
        const tampered = Buffer.from(wrapped);
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        const expected = outcome(() => openssl(key, padded, true, tampered));
        assert.notEqual(expected, 'ok');
        assert.equal(
          outcome(() => runKeyWrap(key, padded, true, tampered)),
          expected,
          `bit ${bit}`,
        );
      }
      // A wrong key fails the same way; the held key still unwraps afterwards.
      const other = randomBytes(32);
      holdWrapContexts(other);
      assert.equal(
        outcome(() => runKeyWrap(other, padded, true, wrapped)),
        outcome(() => openssl(other, padded, true, wrapped)),
      );
      releaseWrapContexts(other);
      assert.deepEqual(runKeyWrap(key, padded, true, wrapped), dek);
    }
    releaseWrapContexts(key);
  });

  it('hands-inputs-it-declines-to-openssl', () => {
    const key = randomBytes(32);
    holdWrapContexts(key);
    // KW needs at least two 64-bit blocks and whole blocks; KWP unwrap at least 16 bytes; and
    // the native code takes at most 4,096 bytes of key.
    const cases: [boolean, boolean, Buffer][] = [
      [false, false, randomBytes(8)],
      [false, false, randomBytes(20)],
      [false, true, randomBytes(16)],
      [true, true, randomBytes(8)],
      [true, true, randomBytes(20)],
      [true, false, Buffer.alloc(0)],
      [true, false, randomBytes(5000)],
    ];
    for (const [padded, decrypt, data] of cases) {
      assert.equal(
        outcome(() => runKeyWrap(key, padded, decrypt, data)),
        outcome(() => openssl(key, padded, decrypt, data)),
        `${padded ? 'KWP' : 'KW'} ${decrypt ? 'unwrap' : 'wrap'} of ${data.length} bytes`,
      );
    }
    const big = randomBytes(5000);
    const wrapped = runKeyWrap(key, true, false, big);
    assert.deepEqual(wrapped, openssl(key, true, false, big));
    assert.deepEqual(runKeyWrap(key, true, true, wrapped), big);
    releaseWrapContexts(key);
  });

  it('zeroes-the-key-schedule-on-release', () => {
    const key = randomBytes(32);
    holdWrapContexts(key);
    const schedule = nativeScheduleOf(key)!;
    assert.ok(schedule.some((b) => b !== 0));
    // The schedule starts with the key itself (round key 0).
    assert.deepEqual(schedule.subarray(0, 32), key);
    const wrapped = runKeyWrap(key, true, false, randomBytes(32));
    releaseWrapContexts(key);
    assert.ok(schedule.every((b) => b === 0));
    assert.equal(holdsWrapContexts(key), false);
    assert.equal(nativeScheduleOf(key), undefined);
    // Unheld, the key still unwraps on OpenSSL.
    assert.equal(runKeyWrap(key, true, true, wrapped).length, 32);
  });

  it('can-hold-a-key-on-openssl-instead', () => {
    const key = randomBytes(24);
    holdWrapContexts(key, false);
    assert.equal(holdsWrapContexts(key), true);
    assert.equal(nativeScheduleOf(key), undefined);
    const data = randomBytes(40);
    for (const padded of [true, false]) {
      const wrapped = runKeyWrap(key, padded, false, data);
      assert.deepEqual(wrapped, openssl(key, padded, false, data));
      assert.deepEqual(runKeyWrap(key, padded, true, wrapped), data);
    }
    releaseWrapContexts(key);
  });

  it('is-turned-off-by-KRYPTON_NATIVE_KEY_WRAP-off', () => {
    const module = new URL('../../../core/keys/native-kw.js', import.meta.url).href;
    const script = `import(${JSON.stringify(module)}).then((m) => process.stdout.write(JSON.stringify([m.nativeKeyWrap, m.nativeKeyWrapStatus])))`;
    const run = (value: string) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script], {
          env: { ...process.env, KRYPTON_NATIVE_KEY_WRAP: value },
          encoding: 'utf8',
        }),
      ) as [boolean, string];
    assert.deepEqual(run('off'), [false, 'off (KRYPTON_NATIVE_KEY_WRAP=off)']);
    assert.deepEqual(run('on'), [true, 'on (AES-NI)']);
  });
});
