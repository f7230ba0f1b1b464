/**
 * AES key wrap (KW, KWP) on a fresh OpenSSL context per call: node:crypto's
 * `id-aes{128,192,256}-wrap[-pad]`. The reference every other key wrap path in Krypton is held to
 * (core/keys/aes-key-wrap.ts reuses these contexts for held keys; core/keys/native-kw.ts checks the
 * native code against them when it loads).
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { KryptonError } from '../errors.js';

/** RFC 3394 §2.2.3.1 default IV; RFC 5649 §3 alternative IV (high half). */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KWP_IV = Buffer.from('a65959a6', 'hex');

/** node:crypto's wrap cipher for a KEK: an L2 is AES-256; an L3 may be AES-128/192/256 (KMIP Create). */
export function kwName(key: Uint8Array, padded: boolean): string {
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

/** One wrap or unwrap on a fresh OpenSSL context, freed before returning. */
export function runFresh(key: Uint8Array, padded: boolean, decrypt: boolean, data: Uint8Array): Buffer {
  const ctx = wrapContext(key, padded, decrypt);
  let head: Buffer | undefined;
  try {
    head = ctx.update(data);
    const tail = ctx.final();
    if (tail.length === 0) return head;
    const out = Buffer.concat([head, tail]);
    head.fill(0);
    tail.fill(0);
    return out;
  } catch (err) {
    head?.fill(0);
    throw err;
  }
}
