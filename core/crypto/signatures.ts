/**
 * Signature schemes of Sign and Signature Verify (KMIP 2.1 §6.1.49, §6.1.51; 1.4 §4.31, §4.32):
 * RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 8017 §8), ECDSA over P-256/384/521 (FIPS 186-4; the
 * signature is the DER SEQUENCE { r, s } of RFC 3279 §2.2.3, as PyKMIP and PKCS#11 callers
 * exchange it) and Ed25519 (RFC 8032, pure). The scheme comes from Cryptographic Parameters:
 * Digital Signature Algorithm, else Padding Method + Hashing Algorithm, else the key's kind.
 */
import { constants, createHash, privateEncrypt, sign, verify, type KeyObject } from 'node:crypto';
import { KryptonError } from '../errors.js';
import {
  CryptographicAlgorithm,
  DigitalSignatureAlgorithm,
  HashingAlgorithm,
  PaddingMethod,
} from '../spec/index.js';
import { keyProfile, type AsymmetricKind } from './key-formats.js';

/** KMIP Hashing Algorithm → node:crypto digest name and output length. */
const HASHES: Readonly<Record<number, { name: string; bytes: number }>> = Object.freeze({
  [HashingAlgorithm.SHA_1]: { name: 'sha1', bytes: 20 },
  [HashingAlgorithm.SHA_224]: { name: 'sha224', bytes: 28 },
  [HashingAlgorithm.SHA_256]: { name: 'sha256', bytes: 32 },
  [HashingAlgorithm.SHA_384]: { name: 'sha384', bytes: 48 },
  [HashingAlgorithm.SHA_512]: { name: 'sha512', bytes: 64 },
  [HashingAlgorithm.SHA3_256]: { name: 'sha3-256', bytes: 32 },
  [HashingAlgorithm.SHA3_384]: { name: 'sha3-384', bytes: 48 },
  [HashingAlgorithm.SHA3_512]: { name: 'sha3-512', bytes: 64 },
});

export function hashName(hashing: number): string {
  const h = HASHES[hashing];
  if (h === undefined) throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Hashing Algorithm');
  return h.name;
}

/** What a request's Cryptographic Parameters say about signing (absent fields undefined). */
export interface SignatureParameters {
  readonly paddingMethod?: number | undefined;
  readonly hashingAlgorithm?: number | undefined;
  readonly cryptographicAlgorithm?: number | undefined;
  readonly digitalSignatureAlgorithm?: number | undefined;
  readonly saltLength?: number | undefined;
  readonly maskGeneratorHashingAlgorithm?: number | undefined;
}

export interface SignatureScheme {
  readonly kind: AsymmetricKind;
  readonly padding: 'pkcs1' | 'pss' | undefined;
  /** undefined for Ed25519 (pure EdDSA hashes internally). */
  readonly hash: string | undefined;
  /** PSS salt length; undefined: the digest length when signing, any when verifying. */
  readonly saltLength: number | undefined;
}

/** Digital Signature Algorithm (KMIP 2.1 §11.18) → padding and hash. */
const DSA_TABLE: Readonly<
  Record<number, { kind: AsymmetricKind; padding?: 'pkcs1' | 'pss'; hash?: number }>
> = Object.freeze({
  [DigitalSignatureAlgorithm.SHA_1WithRSAEncryption]: {
    kind: 'rsa',
    padding: 'pkcs1',
    hash: HashingAlgorithm.SHA_1,
  },
  [DigitalSignatureAlgorithm.SHA_224WithRSAEncryption]: {
    kind: 'rsa',
    padding: 'pkcs1',
    hash: HashingAlgorithm.SHA_224,
  },
  [DigitalSignatureAlgorithm.SHA_256WithRSAEncryption]: {
    kind: 'rsa',
    padding: 'pkcs1',
    hash: HashingAlgorithm.SHA_256,
  },
  [DigitalSignatureAlgorithm.SHA_384WithRSAEncryption]: {
    kind: 'rsa',
    padding: 'pkcs1',
    hash: HashingAlgorithm.SHA_384,
  },
  [DigitalSignatureAlgorithm.SHA_512WithRSAEncryption]: {
    kind: 'rsa',
    padding: 'pkcs1',
    hash: HashingAlgorithm.SHA_512,
  },
  [DigitalSignatureAlgorithm.RSASSA_PSS]: { kind: 'rsa', padding: 'pss' },
  [DigitalSignatureAlgorithm.ECDSAWithSHA_1]: { kind: 'ec', hash: HashingAlgorithm.SHA_1 },
  [DigitalSignatureAlgorithm.ECDSAWithSHA224]: { kind: 'ec', hash: HashingAlgorithm.SHA_224 },
  [DigitalSignatureAlgorithm.ECDSAWithSHA256]: { kind: 'ec', hash: HashingAlgorithm.SHA_256 },
  [DigitalSignatureAlgorithm.ECDSAWithSHA384]: { kind: 'ec', hash: HashingAlgorithm.SHA_384 },
  [DigitalSignatureAlgorithm.ECDSAWithSHA512]: { kind: 'ec', hash: HashingAlgorithm.SHA_512 },
});

/**
 * The scheme for `key` under `params`. A parameter that names another key kind is Invalid Field;
 * a scheme Krypton does not offer (DSA, X9.31, MD5 …) is Feature Not Supported.
 */
export function signatureScheme(key: KeyObject, params: SignatureParameters): SignatureScheme {
  const { kind } = keyProfile(key);
  let padding: 'pkcs1' | 'pss' | undefined;
  let hashing = params.hashingAlgorithm;
  if (params.digitalSignatureAlgorithm !== undefined) {
    const row = DSA_TABLE[params.digitalSignatureAlgorithm];
    if (row === undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Digital Signature Algorithm');
    if (row.kind !== kind)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'the Digital Signature Algorithm does not fit the key');
    padding = row.padding;
    hashing = row.hash ?? hashing;
  }
  const algorithm = params.cryptographicAlgorithm;
  if (algorithm !== undefined) {
    const fits =
      (kind === 'rsa' && algorithm === CryptographicAlgorithm.RSA) ||
      (kind === 'ec' &&
        (algorithm === CryptographicAlgorithm.ECDSA || algorithm === CryptographicAlgorithm.EC)) ||
      (kind === 'ed25519' && algorithm === CryptographicAlgorithm.Ed25519);
    if (!fits)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'the Cryptographic Algorithm does not fit the key');
  }
  if (kind === 'rsa') {
    if (padding === undefined) {
      const p = params.paddingMethod ?? PaddingMethod.PKCS1V1_5;
      if (p === PaddingMethod.PSS) padding = 'pss';
      else if (p === PaddingMethod.PKCS1V1_5) padding = 'pkcs1';
      else
        throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'RSA signatures: PKCS#1 v1.5 or PSS padding');
    }
    if (
      padding === 'pss' &&
      params.maskGeneratorHashingAlgorithm !== undefined &&
      params.maskGeneratorHashingAlgorithm !== (hashing ?? HashingAlgorithm.SHA_256)
    )
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'PSS with MGF1 over the signature hash only');
    if (params.saltLength !== undefined && (params.saltLength < 0 || padding !== 'pss'))
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Salt Length');
    return {
      kind,
      padding,
      hash: hashName(hashing ?? HashingAlgorithm.SHA_256),
      saltLength: params.saltLength,
    };
  }
  if (params.paddingMethod !== undefined && params.paddingMethod !== PaddingMethod.None)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Padding Method applies to RSA signatures');
  if (kind === 'ed25519') {
    if (hashing !== undefined && hashing !== HashingAlgorithm.SHA_512)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Ed25519 hashes with SHA-512 internally (RFC 8032)');
    return { kind, padding: undefined, hash: undefined, saltLength: undefined };
  }
  return {
    kind,
    padding: undefined,
    hash: hashName(hashing ?? HashingAlgorithm.SHA_256),
    saltLength: undefined,
  };
}

export function rsaOptions(scheme: SignatureScheme, verifying: boolean): Record<string, number> {
  if (scheme.padding === 'pss')
    return {
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength:
        scheme.saltLength ?? (verifying ? constants.RSA_PSS_SALTLEN_AUTO : constants.RSA_PSS_SALTLEN_DIGEST),
    };
  return { padding: constants.RSA_PKCS1_PADDING };
}

/** RFC 8017 §9.2 DigestInfo DER prefixes (Note 1), for PKCS#1 v1.5 over a digest given by the client. */
const DIGEST_INFO: Readonly<Record<string, string>> = Object.freeze({
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
});

/** Signs `data` (the message), or `digested` (its digest, RSA PKCS#1 v1.5 only). */
export function signWith(
  key: KeyObject,
  scheme: SignatureScheme,
  input: { data?: Uint8Array | undefined; digested?: Uint8Array | undefined },
): Buffer {
  try {
    if (input.digested !== undefined) {
      const prefix = scheme.hash === undefined ? undefined : DIGEST_INFO[scheme.hash];
      if (scheme.padding !== 'pkcs1' || prefix === undefined)
        throw new KryptonError(
          'KRY_OP_FEATURE_NOT_SUPPORTED',
          'Digested Data is signed with RSA PKCS#1 v1.5 only',
        );
      if (input.digested.length !== createHash(scheme.hash!).digest().length)
        throw new KryptonError('KRY_OP_INVALID_FIELD', 'Digested Data length does not match the hash');
      return privateEncrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([Buffer.from(prefix, 'hex'), input.digested]),
      );
    }
    const data = input.data ?? new Uint8Array();
    if (scheme.kind === 'rsa') return sign(scheme.hash!, data, { key, ...rsaOptions(scheme, false) });
    if (scheme.kind === 'ec') return sign(scheme.hash!, data, { key, dsaEncoding: 'der' });
    return sign(null, data, key);
  } catch (err) {
    if (err instanceof KryptonError) throw err;
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'signing failed (e.g. salt too long for the key)');
  }
}

/** True when `signature` is valid; a malformed signature is simply invalid (KMIP Validity Indicator). */
export function verifyWith(
  key: KeyObject,
  scheme: SignatureScheme,
  input: { data?: Uint8Array | undefined; digested?: Uint8Array | undefined },
  signature: Uint8Array,
): boolean {
  if (input.digested !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Signature Verify over Digested Data');
  const data = input.data ?? new Uint8Array();
  try {
    if (scheme.kind === 'rsa')
      return verify(scheme.hash!, data, { key, ...rsaOptions(scheme, true) }, signature);
    if (scheme.kind === 'ec') return verify(scheme.hash!, data, { key, dsaEncoding: 'der' }, signature);
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
