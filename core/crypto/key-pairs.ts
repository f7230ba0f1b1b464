/**
 * Key pair generation for Create Key Pair and Re-key Key Pair (KMIP 2.1 §6.1.11, §6.1.44): RSA
 * 2048–4096 bits (public exponent 65537; below 2048 is refused per NIST SP 800-131A), EC on
 * P-256/384/521 (FIPS 186-4), Ed25519 (RFC 8032). node:crypto's generator is OpenSSL's, seeded
 * by its CTR DRBG.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { KryptonError } from '../errors.js';
import { CryptographicAlgorithm } from '../spec/index.js';
import { curveByBits, curveByKmip, isEcAlgorithm } from './key-formats.js';

const generate = promisify(generateKeyPair);

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

export interface KeyPairRequest {
  readonly algorithm: number | undefined;
  readonly length: number | undefined;
  /** Recommended Curve (KMIP 2.1 §11.47), for EC keys; else the curve of `length`. */
  readonly curve: number | undefined;
}

export interface GeneratedKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Checks the request without generating: Invalid Field or Feature Not Supported as KMIP says. */
export function checkKeyPairRequest(request: KeyPairRequest): void {
  const { algorithm, length } = request;
  if (algorithm === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Cryptographic Algorithm');
  if (algorithm === CryptographicAlgorithm.RSA) {
    if (length === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Cryptographic Length');
    if (length < RSA_MIN_BITS || length > RSA_MAX_BITS || length % 8 !== 0)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'RSA keys are 2048 to 4096 bits');
    return;
  }
  if (isEcAlgorithm(algorithm)) {
    const curve = request.curve !== undefined ? curveByKmip(request.curve) : curveByBits(length);
    if (curve === undefined || curve.jwk === 'secp256k1')
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'EC keys are on P-256, P-384 or P-521');
    if (length !== undefined && length !== curve.bits)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Length does not match the curve');
    return;
  }
  if (algorithm === CryptographicAlgorithm.Ed25519) {
    if (length !== undefined && length !== 256)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Ed25519 keys are 256 bits');
    return;
  }
  throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'key pairs: RSA, EC P-256/384/521, Ed25519');
}

export async function generateAsymmetricKeyPair(request: KeyPairRequest): Promise<GeneratedKeyPair> {
  checkKeyPairRequest(request);
  const { algorithm, length } = request;
  if (algorithm === CryptographicAlgorithm.RSA)
    return generate('rsa', { modulusLength: length!, publicExponent: 0x10001 });
  if (algorithm === CryptographicAlgorithm.Ed25519) return generate('ed25519', {});
  const curve = (request.curve !== undefined ? curveByKmip(request.curve) : curveByBits(length))!;
  return generate('ec', { namedCurve: curve.openssl });
}
