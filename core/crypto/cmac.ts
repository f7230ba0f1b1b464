/**
 * AES-CMAC (RFC 4493, NIST SP 800-38B) over node:crypto, which has no CMAC of its own: the
 * subkeys come from AES-ECB of the zero block (RFC 4493 §2.3), the MAC is the last block of an
 * AES-CBC encryption with a zero IV over the message whose last block is XORed with K1 (complete
 * block) or padded 10* and XORed with K2 (RFC 4493 §2.4). AES-128, 192 and 256 keys.
 */
import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { KryptonError } from '../errors.js';

const BLOCK = 16;
/** RFC 4493 §2.3: R_b for a 128-bit block cipher. */
const RB = 0x87;

function cipherName(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'CMAC needs an AES-128, 192 or 256 key');
  return `aes-${key.length * 8}-${mode}`;
}

/** Left shift of a 16-byte block by one bit. */
function shiftLeft(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++)
    out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >> 7 : 0)) & 0xff;
  return out;
}

/** RFC 4493 §2.3 Generate_Subkey. */
export function cmacSubkeys(key: Uint8Array): { k1: Buffer; k2: Buffer } {
  const ecb = createCipheriv(cipherName(key, 'ecb'), key, null).setAutoPadding(false);
  const l = Buffer.concat([ecb.update(Buffer.alloc(BLOCK)), ecb.final()]);
  const k1 = shiftLeft(l);
  if (l[0]! & 0x80) k1[BLOCK - 1]! ^= RB;
  const k2 = shiftLeft(k1);
  if (k1[0]! & 0x80) k2[BLOCK - 1]! ^= RB;
  l.fill(0);
  return { k1, k2 };
}

/** RFC 4493 §2.4 Generate_MAC: the 16-byte AES-CMAC of `message` under `key`. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const { k1, k2 } = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const padded = Buffer.alloc(blocks * BLOCK);
  padded.set(message);
  if (!complete) padded[message.length] = 0x80;
  const sub = complete ? k1 : k2;
  const last = (blocks - 1) * BLOCK;
  for (let i = 0; i < BLOCK; i++) padded[last + i]! ^= sub[i]!;
  const cbc = createCipheriv(cipherName(key, 'cbc'), key, Buffer.alloc(BLOCK)).setAutoPadding(false);
  const out = Buffer.concat([cbc.update(padded), cbc.final()]);
  k1.fill(0);
  k2.fill(0);
  padded.fill(0);
  return out.subarray(out.length - BLOCK);
}

/** Constant-time comparison of a presented CMAC (possibly truncated, SP 800-38B §5.5) with the computed one. */
export function aesCmacVerify(key: Uint8Array, message: Uint8Array, mac: Uint8Array): boolean {
  const expected = aesCmac(key, message);
  if (mac.length < 8 || mac.length > BLOCK) return false;
  return timingSafeEqual(expected.subarray(0, mac.length), Buffer.from(mac));
}
