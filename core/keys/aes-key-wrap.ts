/**
 * AES key wrap with padding (RFC 5649) in process, on node:crypto's `id-aes{128,192,256}-wrap-pad`.
 * Interoperates with PKCS#11 CKM_AES_KEY_WRAP_PAD (test/hsm-adapters/softhsm.test.ts).
 * This is the hot path of L3-under-L2 and L4-under-L3 wrapping: one cipher object per call.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KryptonError } from '../errors.js';

/** RFC 5649 §3 alternative initial value, high half (the low half carries the length). */
const KWP_AIV = Buffer.from('a65959a6', 'hex');
/** node:crypto cipher per KEK length: L2 is AES-256; an L3 may be AES-128/192/256 (KMIP Create). */
const KWP_CIPHERS: Readonly<Record<number, string>> = Object.freeze({
  16: 'id-aes128-wrap-pad',
  24: 'id-aes192-wrap-pad',
  32: 'id-aes256-wrap-pad',
});

function kwpCipher(kek: Uint8Array): string {
  const name = KWP_CIPHERS[kek.length];
  if (name === undefined)
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapping key must be AES-128, 192 or 256');
  return name;
}
/** Largest key wrapped in process; KMIP keys above L1 are symmetric keys of at most 64 bytes. */
export const MAX_WRAPPED_KEY_BYTES = 512;

/** Wraps `key` (1..512 bytes) under an AES KEK. Output length: 8 + key length rounded up to 8. */
export function wrapKeyRfc5649(kek: Uint8Array, key: Uint8Array): Buffer {
  const cipherName = kwpCipher(kek);
  if (key.length < 1 || key.length > MAX_WRAPPED_KEY_BYTES) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key length out of range for wrapping');
  }
  const cipher = createCipheriv(cipherName, kek, KWP_AIV);
  const head = cipher.update(key);
  const tail = cipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Unwraps RFC 5649 output; a wrong KEK or a modified input fails the integrity check. */
export function unwrapKeyRfc5649(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const cipherName = kwpCipher(kek);
  if (wrapped.length < 16 || wrapped.length % 8 !== 0 || wrapped.length > MAX_WRAPPED_KEY_BYTES + 8) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped key length is invalid');
  }
  return unwrapWithWrapCipher(cipherName, kek, KWP_AIV, wrapped);
}

/**
 * Runs one of OpenSSL's AES wrap ciphers (`id-aes*-wrap`, `id-aes*-wrap-pad`) backwards. They
 * answer the whole plaintext from `update`, so no other copy of it is left behind; a wrong KEK or
 * a modified input fails the integrity check (Cryptographic Failure).
 */
export function unwrapWithWrapCipher(
  cipherName: string,
  kek: Uint8Array,
  iv: Uint8Array,
  wrapped: Uint8Array,
): Buffer {
  let head: Buffer | undefined;
  try {
    const decipher = createDecipheriv(cipherName, kek, iv);
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
