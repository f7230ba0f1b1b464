/**
 * AES key wrap in process: NIST key wrap (SP 800-38F KW, RFC 3394) and key wrap with padding (KWP,
 * RFC 5649) on node:crypto's `id-aes{128,192,256}-wrap[-pad]`. KWP interoperates with PKCS#11
 * CKM_AES_KEY_WRAP_PAD (test/hsm-adapters/softhsm.test.ts). This is the hot path of L3-under-L2
 * and L4-under-L3 wrapping, and of Encrypt/Decrypt in the wrap modes.
 *
 * Keys that stay in memory (the gateway's cached L3s, `holdWrapContexts`) wrap on the native AES-NI
 * code when it is built and passed its self-test (core/keys/native-kw.ts): their key schedule is
 * expanded once and zeroed on release. Whatever it declines, and every key when it is absent, runs
 * on OpenSSL as follows.
 *
 * Contexts are reused for keys that stay in memory.
 * OpenSSL 3's wrap ciphers compute a whole wrap or unwrap in each `update` and keep no state
 * between calls, so one context per key, mode and direction serves every request: no new EVP
 * context, key schedule and IV per call (about a third of the wrap's cost). A self-test at load
 * compares a reused context with fresh ones and turns reuse off if they ever differ. A context
 * holds the key schedule in OpenSSL's memory: the owner of the key releases its contexts when it
 * zeroes the key (`releaseWrapContexts`), and freeing a context clears that memory
 * (`EVP_CIPHER_CTX_free`). Any other key gets a fresh context per call.
 */
import { randomBytes, type Cipher, type Decipher } from 'node:crypto';
import { KryptonError } from '../errors.js';
import { kwName, runFresh, wrapContext } from './kw-openssl.js';
import { nativeKeyWrap, nativeKeyWrapRun, nativeSchedule } from './native-kw.js';

export { wrapContext } from './kw-openssl.js';

/** Frees a context now (and with it the key schedule) instead of at garbage collection. */
function free(ctx: Cipher | Decipher): void {
  try {
    ctx.final();
  } catch {
    // a context left unusable by a failed unwrap is freed all the same
  }
}

/**
 * What a held key wraps with: its native key schedule when there is one, and the four OpenSSL
 * contexts of the key (KW, KWP × wrap, unwrap), each made on first use.
 */
class WrapContexts {
  readonly #slots: (Cipher | Decipher | undefined)[] = [undefined, undefined, undefined, undefined];
  #schedule: Buffer | undefined;

  constructor(
    private readonly key: Uint8Array,
    native: boolean,
    private readonly reuse: boolean,
  ) {
    this.#schedule = native ? nativeSchedule(key) : undefined;
  }

  /** The native key schedule, if any (for tests: zeroed on release). */
  get schedule(): Buffer | undefined {
    return this.#schedule;
  }

  run(padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
    if (this.#schedule !== undefined) {
      const out = nativeKeyWrapRun(this.#schedule, padded, decrypt, data);
      if (out !== undefined) return out;
    }
    if (!this.reuse) return runFresh(this.key, padded, decrypt, data);
    const slot = (padded ? 2 : 0) + (decrypt ? 1 : 0);
    const ctx = (this.#slots[slot] ??= wrapContext(this.key, padded, decrypt));
    try {
      return ctx.update(data);
    } catch (err) {
      // A failed integrity check: the context's state is OpenSSL's business; start afresh.
      this.#slots[slot] = undefined;
      free(ctx);
      throw err;
    }
  }

  release(): void {
    this.#schedule?.fill(0);
    this.#schedule = undefined;
    for (let i = 0; i < this.#slots.length; i++) {
      const ctx = this.#slots[i];
      this.#slots[i] = undefined;
      if (ctx) free(ctx);
    }
  }
}

/** Does a reused context answer exactly as fresh ones do, for every length class? */
function reuseHolds(): boolean {
  try {
    const key = randomBytes(32);
    const probe = new WrapContexts(key, false, true);
    for (const padded of [false, true]) {
      for (const length of padded ? [1, 7, 32, 33, 64] : [16, 32, 40]) {
        for (let round = 0; round < 2; round++) {
          const data = randomBytes(length);
          const fresh = wrapContext(key, padded, false);
          const expected = Buffer.concat([fresh.update(data), fresh.final()]);
          const wrapped = probe.run(padded, false, data);
          if (!wrapped.equals(expected) || !probe.run(padded, true, wrapped).equals(data)) return false;
        }
      }
    }
    probe.release();
    key.fill(0);
    return true;
  } catch {
    return false;
  }
}

const REUSE = reuseHolds();
const held = new WeakMap<Uint8Array, WrapContexts>();

/**
 * Marks `key` as long-lived: its key wraps run on its native key schedule (unless `native` is
 * false, which tests use to hold a key on OpenSSL) or reuse its OpenSSL contexts until
 * `releaseWrapContexts(key)`.
 */
export function holdWrapContexts(key: Uint8Array, native = true): void {
  const useNative = native && nativeKeyWrap;
  if ((REUSE || useNative) && !held.has(key)) held.set(key, new WrapContexts(key, useNative, REUSE));
}

/** Zeroes the native key schedule and frees the contexts of `key` (call before zeroing it). */
export function releaseWrapContexts(key: Uint8Array): void {
  const contexts = held.get(key);
  if (contexts === undefined) return;
  held.delete(key);
  contexts.release();
}

/**
 * One KW or KWP wrap (or unwrap) under `key`: on its held contexts when it has them, otherwise on
 * a fresh context. Throws what node:crypto throws on a failed integrity check. The wrap ciphers
 * answer the whole output from `update`, so no other copy of an unwrapped key is left behind.
 */
export function runKeyWrap(key: Uint8Array, padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
  const contexts = held.get(key);
  if (contexts !== undefined) return contexts.run(padded, decrypt, data);
  return runFresh(key, padded, decrypt, data);
}

/** Whether this Node/OpenSSL reuses contexts (the load-time self-test passed); for tests and docs. */
export const wrapContextReuse = REUSE;

/** Whether `key` has held contexts (for tests: a released key has none). */
export function holdsWrapContexts(key: Uint8Array): boolean {
  return held.has(key);
}

/** The native key schedule of a held key, or undefined (for tests: wraps run natively with one). */
export function nativeScheduleOf(key: Uint8Array): Buffer | undefined {
  return held.get(key)?.schedule;
}

/** Largest key wrapped in process; KMIP keys above L1 are symmetric keys of at most 64 bytes. */
export const MAX_WRAPPED_KEY_BYTES = 512;

/** Wraps `key` (1..512 bytes) under an AES KEK. Output length: 8 + key length rounded up to 8. */
export function wrapKeyRfc5649(kek: Uint8Array, key: Uint8Array): Buffer {
  kwName(kek, true);
  if (key.length < 1 || key.length > MAX_WRAPPED_KEY_BYTES) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key length out of range for wrapping');
  }
  return runKeyWrap(kek, true, false, key);
}

/** Unwraps RFC 5649 output; a wrong KEK or a modified input fails the integrity check. */
export function unwrapKeyRfc5649(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  kwName(kek, true);
  if (wrapped.length < 16 || wrapped.length % 8 !== 0 || wrapped.length > MAX_WRAPPED_KEY_BYTES + 8) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped key length is invalid');
  }
  try {
    return runKeyWrap(kek, true, true, wrapped);
  } catch {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key unwrap failed: wrong key or modified data');
  }
}
