/**
 * Reusable AES key wrap contexts for keys that stay in memory (the gateway's cached L3s).
 *
 * OpenSSL 3's wrap ciphers (`id-aes*-wrap`, `id-aes*-wrap-pad`; SP 800-38F KW and KWP) compute a
 * whole wrap or unwrap in each `update` and keep no state between calls, so one context per key
 * and direction serves every request: no new EVP context, key schedule and IV per call (about a
 * third of the wrap's cost). A self-test at load compares a reused context with fresh ones and
 * turns reuse off if they ever differ. A context holds the key schedule in OpenSSL's memory: the
 * owner of the key releases its contexts when it zeroes the key (`releaseWrapContexts`), and
 * freeing the context clears that memory (`EVP_CIPHER_CTX_free`).
 */
import { createCipheriv, createDecipheriv, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import { KryptonError } from '../errors.js';

/** RFC 3394 §2.2.3.1 default IV; RFC 5649 §3 alternative IV (high half). */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KWP_IV = Buffer.from('a65959a6', 'hex');

function kwName(key: Uint8Array, padded: boolean): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapping key must be AES-128, 192 or 256');
  return `id-aes${key.length * 8}-wrap${padded ? '-pad' : ''}`;
}

/** A fresh context of the wrap cipher: `padded` selects KWP, `decrypt` the unwrap direction. */
export function wrapContext(key: Uint8Array, padded: boolean, decrypt: boolean): Cipher | Decipher {
  const iv = padded ? KWP_IV : KW_IV;
  return decrypt
    ? createDecipheriv(kwName(key, padded), key, iv)
    : createCipheriv(kwName(key, padded), key, iv);
}

/** Frees a context now (and with it the key schedule) instead of at garbage collection. */
function free(ctx: Cipher | Decipher): void {
  try {
    ctx.final();
  } catch {
    // a context left unusable by a failed unwrap is freed all the same
  }
}

/** The four contexts of one key (KW, KWP × wrap, unwrap), each made on first use. */
class WrapContexts {
  readonly #slots: (Cipher | Decipher | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(private readonly key: Buffer) {}

  run(padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
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
    const probe = new WrapContexts(key);
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
const held = new WeakMap<Buffer, WrapContexts>();

/** Marks `key` as long-lived: its key wraps reuse contexts until `releaseWrapContexts(key)`. */
export function holdWrapContexts(key: Buffer): void {
  if (REUSE && !held.has(key)) held.set(key, new WrapContexts(key));
}

/** Frees the contexts of `key` (call before zeroing it). */
export function releaseWrapContexts(key: Buffer): void {
  const contexts = held.get(key);
  if (contexts === undefined) return;
  held.delete(key);
  contexts.release();
}

/**
 * One KW or KWP wrap (or unwrap) under `key`: on its held contexts when it has them, otherwise on
 * a fresh context. Throws what node:crypto throws on a failed integrity check.
 */
export function runKeyWrap(key: Buffer, padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
  const contexts = held.get(key);
  if (contexts !== undefined) return contexts.run(padded, decrypt, data);
  const ctx = wrapContext(key, padded, decrypt);
  const head = ctx.update(data);
  const tail = ctx.final();
  if (tail.length === 0) return head;
  const out = Buffer.concat([head, tail]);
  head.fill(0);
  return out;
}

/** Whether this Node/OpenSSL reuses contexts (the load-time self-test passed); for tests and docs. */
export const wrapContextReuse = REUSE;

/** Whether `key` has held contexts (for tests: a released key has none). */
export function holdsWrapContexts(key: Buffer): boolean {
  return held.has(key);
}
