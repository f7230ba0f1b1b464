/**
 * MAC and MAC Verify algorithms (KMIP 2.1 §6.1.28, §6.1.29; 1.4 §4.33, §4.34): HMAC with SHA-1,
 * SHA-224, SHA-256, SHA-384, SHA-512 (RFC 2104, FIPS 198-1) and CMAC over AES (RFC 4493). The
 * algorithm is the Cryptographic Algorithm of the request's Cryptographic Parameters, else of the
 * key's Cryptographic Parameters attribute, else the key's own algorithm (an HMAC key, or AES for
 * CMAC). Verification compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { KryptonError } from '../errors.js';
import { CryptographicAlgorithm } from '../spec/index.js';
import { aesCmac } from './cmac.js';

const HMACS: Readonly<Record<number, string>> = Object.freeze({
  [CryptographicAlgorithm.HMAC_SHA1]: 'sha1',
  [CryptographicAlgorithm.HMAC_SHA224]: 'sha224',
  [CryptographicAlgorithm.HMAC_SHA256]: 'sha256',
  [CryptographicAlgorithm.HMAC_SHA384]: 'sha384',
  [CryptographicAlgorithm.HMAC_SHA512]: 'sha512',
});

/** The node:crypto hash of an HMAC algorithm, undefined for another algorithm. */
export function hmacHashOf(algorithm: number): string | undefined {
  return HMACS[algorithm];
}

export function isHmacAlgorithm(algorithm: number | undefined): boolean {
  return algorithm !== undefined && HMACS[algorithm] !== undefined;
}

/** The MAC algorithm: the first of `candidates` that is a MAC algorithm, AES meaning CMAC-AES. */
export function macAlgorithm(candidates: readonly (number | undefined)[]): number {
  for (const a of candidates) {
    if (a === undefined) continue;
    if (isHmacAlgorithm(a) || a === CryptographicAlgorithm.AES) return a;
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'MAC algorithms: HMAC-SHA-1/224/256/384/512, CMAC-AES',
    );
  }
  throw new KryptonError('KRY_OP_INVALID_FIELD', 'no MAC algorithm: give Cryptographic Parameters');
}

export function computeMac(algorithm: number, key: Uint8Array, data: Uint8Array): Buffer {
  if (algorithm === CryptographicAlgorithm.AES) return aesCmac(key, data);
  const hash = HMACS[algorithm];
  if (hash === undefined)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'MAC algorithms: HMAC-SHA-1/224/256/384/512, CMAC-AES',
    );
  if (key.length === 0) throw new KryptonError('KRY_OP_INVALID_FIELD', 'an HMAC key is not empty');
  return createHmac(hash, key).update(data).digest();
}

/** Constant-time check of a presented MAC; a truncated MAC is accepted down to half its length. */
export function verifyMac(algorithm: number, key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  return macMatches(computeMac(algorithm, key, data), mac);
}

/** Constant-time comparison of a presented MAC with the computed one (truncated down to half its length). */
export function macMatches(expected: Buffer, mac: Uint8Array): boolean {
  if (
    mac.length < Math.min(8, expected.length) ||
    mac.length < expected.length / 2 ||
    mac.length > expected.length
  )
    return false;
  return timingSafeEqual(expected.subarray(0, mac.length), Buffer.from(mac));
}
