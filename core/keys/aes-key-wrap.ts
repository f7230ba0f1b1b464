/**
 * AES key wrap with padding (RFC 5649) in process, on node:crypto's `id-aes256-wrap-pad`.
 * Interoperates with PKCS#11 CKM_AES_KEY_WRAP_PAD (test/hsm-adapters/softhsm.test.ts).
 * This is the hot path of L3-under-L2 and L4-under-L3 wrapping: one cipher object per call.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KryptonError } from '../errors.js';

/** RFC 5649 §3 alternative initial value, high half (the low half carries the length). */
const KWP_AIV = Buffer.from('a65959a6', 'hex');
const KEK_BYTES = 32;
/** Largest key wrapped in process; KMIP keys above L1 are symmetric keys of at most 64 bytes. */
export const MAX_WRAPPED_KEY_BYTES = 512;

/** Wraps `key` (1..512 bytes) under a 256-bit KEK. Output length: 8 + key length rounded up to 8. */
export function wrapKeyRfc5649(kek: Uint8Array, key: Uint8Array): Buffer {
  if (kek.length !== KEK_BYTES) throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapping key must be 256 bits');
  if (key.length < 1 || key.length > MAX_WRAPPED_KEY_BYTES) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key length out of range for wrapping');
  }
  const cipher = createCipheriv('id-aes256-wrap-pad', kek, KWP_AIV);
  const head = cipher.update(key);
  const tail = cipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Unwraps RFC 5649 output; a wrong KEK or a modified input fails the integrity check. */
export function unwrapKeyRfc5649(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  if (kek.length !== KEK_BYTES) throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapping key must be 256 bits');
  if (wrapped.length < 16 || wrapped.length % 8 !== 0 || wrapped.length > MAX_WRAPPED_KEY_BYTES + 8) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped key length is invalid');
  }
  let head: Buffer | undefined;
  try {
    const decipher = createDecipheriv('id-aes256-wrap-pad', kek, KWP_AIV);
    head = decipher.update(wrapped);
    const tail = decipher.final();
    if (tail.length === 0) return head;
    const out = Buffer.concat([head, tail]);
    head.fill(0);
    tail.fill(0);
    return out;
  } catch {
    head?.fill(0);
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key unwrap failed: wrong key or modified data');
  }
}
