/**
 * Asymmetric key material in the Key Format Types of KMIP 2.1 §11.26 / 1.4 §9.1.3.2.3, to and
 * from node:crypto KeyObjects: PKCS#1 (RSA), PKCS#8, ECPrivateKey (SEC 1), X.509
 * SubjectPublicKeyInfo, Transparent RSA and EC keys (KMIP 2.1 §2.1.7, 1.4 §2.1.7: the 1.x
 * Transparent ECDSA/ECDH forms carry the same Recommended Curve + D / Q String), and Raw for
 * Ed25519 (RFC 8032 32-byte seed / public key). Everything is normalised on arrival: private keys
 * to PKCS#8, public keys to SubjectPublicKeyInfo, and converted back on the way out.
 *
 * Parsing is node:crypto's (OpenSSL's DER decoders); a malformed key is Invalid Field, a format
 * that does not fit the key is Key Format Type Not Supported.
 */
import {
  ECDH,
  createECDH,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { KryptonError } from '../errors.js';
import { CryptographicAlgorithm, KeyFormatType, RecommendedCurve, Tag } from '../spec/index.js';
import { byteString, child, enumeration, structure } from '../ttlv/tree.js';
import type { TtlvItem } from '../ttlv/types.js';

export type AsymmetricKind = 'rsa' | 'ec' | 'ed25519';

/** Curves Krypton serves (FIPS 186-4 P-256/384/521, and SEC 2 secp256k1), KMIP Recommended Curve ↔ OpenSSL/JWK names. */
const CURVES: readonly { kmip: number; jwk: string; openssl: string; bits: number }[] = [
  { kmip: RecommendedCurve.P_256, jwk: 'P-256', openssl: 'prime256v1', bits: 256 },
  { kmip: RecommendedCurve.P_384, jwk: 'P-384', openssl: 'secp384r1', bits: 384 },
  { kmip: RecommendedCurve.P_521, jwk: 'P-521', openssl: 'secp521r1', bits: 521 },
  // Registered keys only (CS-AC-M-3-ECC registers one); generation stays on the NIST curves.
  { kmip: RecommendedCurve.SECP256K1, jwk: 'secp256k1', openssl: 'secp256k1', bits: 256 },
];

export function curveByKmip(curve: number | undefined): (typeof CURVES)[number] | undefined {
  return CURVES.find((c) => c.kmip === curve);
}

export function curveByBits(bits: number | undefined): (typeof CURVES)[number] | undefined {
  return CURVES.find((c) => c.bits === bits && c.kmip !== RecommendedCurve.SECP256K1);
}

/** What a key is, in KMIP terms: algorithm, Cryptographic Length, curve. */
export interface KeyProfile {
  readonly kind: AsymmetricKind;
  /** RSA, EC or Ed25519 (KMIP 2.1 §11.13). */
  readonly algorithm: number;
  /** Modulus bits (RSA), field size (EC), 256 (Ed25519). */
  readonly length: number;
  readonly curve: number | undefined;
}

export function keyProfile(key: KeyObject): KeyProfile {
  const type = key.asymmetricKeyType;
  if (type === 'rsa')
    return {
      kind: 'rsa',
      algorithm: CryptographicAlgorithm.RSA,
      length: key.asymmetricKeyDetails?.modulusLength ?? 0,
      curve: undefined,
    };
  if (type === 'ec') {
    const curve = CURVES.find((c) => c.openssl === key.asymmetricKeyDetails?.namedCurve);
    if (curve === undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'EC curves: P-256, P-384, P-521');
    return { kind: 'ec', algorithm: CryptographicAlgorithm.EC, length: curve.bits, curve: curve.kmip };
  }
  if (type === 'ed25519')
    return { kind: 'ed25519', algorithm: CryptographicAlgorithm.Ed25519, length: 256, curve: undefined };
  throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'asymmetric keys: RSA, EC P-256/384/521, Ed25519');
}

/** KMIP algorithms that name an EC key (EC, ECDSA; 1.x registers EC keys as ECDSA). */
export function isEcAlgorithm(algorithm: number | undefined): boolean {
  return (
    algorithm === CryptographicAlgorithm.EC ||
    algorithm === CryptographicAlgorithm.ECDSA ||
    algorithm === CryptographicAlgorithm.ECDH
  );
}

// --- Big Integers and JWK -----------------------------------------------------------------------

function bigIntOf(item: TtlvItem | undefined, field: string): bigint {
  const c = item;
  if (c?.type !== 'BigInteger' || c.value <= 0n) throw new KryptonError('KRY_OP_INVALID_FIELD', field);
  return c.value;
}

function bigIntToBytes(value: bigint, size?: number): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const raw = Buffer.from(hex, 'hex');
  if (size === undefined || raw.length >= size) return raw;
  return Buffer.concat([Buffer.alloc(size - raw.length), raw]);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

const b64u = (value: bigint, size?: number): string => bigIntToBytes(value, size).toString('base64url');
const fromB64u = (value: string | undefined): bigint => bytesToBigInt(Buffer.from(value ?? '', 'base64url'));

function jwkOf(key: KeyObject): JsonWebKey {
  return key.export({ format: 'jwk' });
}

// --- Ed25519 raw keys (RFC 8410 DER prefixes) ---------------------------------------------------

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// --- import -------------------------------------------------------------------------------------

function derOf(material: TtlvItem | undefined): Buffer {
  if (material?.type !== 'ByteString') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
  return Buffer.from(material.value);
}

function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof KryptonError) throw err;
    throw new KryptonError('KRY_OP_INVALID_FIELD', `Key Material is not a valid ${what}`);
  }
}

/**
 * A private key from a Key Block's Key Format Type and Key Material. `algorithm` (from the Key
 * Block or the request) selects the Raw interpretation (Ed25519 seed).
 */
export function importPrivateKey(
  format: number,
  material: TtlvItem | undefined,
  algorithm?: number,
): KeyObject {
  switch (format) {
    case KeyFormatType.PKCS_1:
      return parse('PKCS#1 RSA private key', () =>
        createPrivateKey({ key: derOf(material), format: 'der', type: 'pkcs1' }),
      );
    case KeyFormatType.PKCS_8:
      return parse('PKCS#8 private key', () =>
        createPrivateKey({ key: derOf(material), format: 'der', type: 'pkcs8' }),
      );
    case KeyFormatType.ECPrivateKey:
      return parse('SEC 1 EC private key', () =>
        createPrivateKey({ key: derOf(material), format: 'der', type: 'sec1' }),
      );
    case KeyFormatType.Raw: {
      if (algorithm !== CryptographicAlgorithm.Ed25519) throw new KryptonError('KRY_OP_KEY_FORMAT');
      const seed = derOf(material);
      if (seed.length !== 32) throw new KryptonError('KRY_OP_INVALID_FIELD', 'an Ed25519 seed is 32 bytes');
      return parse('Ed25519 seed', () =>
        createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
      );
    }
    case KeyFormatType.TransparentRSAPrivateKey: {
      if (material?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
      const n = bigIntOf(child(material, Tag.Modulus), 'Modulus');
      const get = (tag: number, field: string): bigint => bigIntOf(child(material, tag), field);
      return parse('Transparent RSA private key', () =>
        createPrivateKey({
          key: {
            kty: 'RSA',
            n: b64u(n),
            e: b64u(get(Tag.PublicExponent, 'Public Exponent')),
            d: b64u(get(Tag.PrivateExponent, 'Private Exponent')),
            p: b64u(get(Tag.P, 'P')),
            q: b64u(get(Tag.Q, 'Q')),
            dp: b64u(get(Tag.PrimeExponentP, 'Prime Exponent P')),
            dq: b64u(get(Tag.PrimeExponentQ, 'Prime Exponent Q')),
            qi: b64u(get(Tag.CRTCoefficient, 'CRT Coefficient')),
          },
          format: 'jwk',
        }),
      );
    }
    case KeyFormatType.TransparentECPrivateKey:
    case KeyFormatType.TransparentECDSAPrivateKey:
    case KeyFormatType.TransparentECDHPrivateKey: {
      if (material?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
      const curveItem = child(material, Tag.RecommendedCurve);
      const curve = curveByKmip(curveItem?.type === 'Enumeration' ? curveItem.value : undefined);
      if (curve === undefined)
        throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'EC curves: P-256, P-384, P-521');
      const d = bigIntOf(child(material, Tag.D), 'D');
      const size = Math.ceil(curve.bits / 8);
      return parse('Transparent EC private key', () => {
        const ecdh = createECDH(curve.openssl);
        ecdh.setPrivateKey(bigIntToBytes(d, size));
        const point = ecdh.getPublicKey();
        return createPrivateKey({
          key: {
            kty: 'EC',
            crv: curve.jwk,
            d: b64u(d, size),
            x: point.subarray(1, 1 + size).toString('base64url'),
            y: point.subarray(1 + size).toString('base64url'),
          },
          format: 'jwk',
        });
      });
    }
    default:
      throw new KryptonError('KRY_OP_KEY_FORMAT');
  }
}

export function importPublicKey(
  format: number,
  material: TtlvItem | undefined,
  algorithm?: number,
): KeyObject {
  switch (format) {
    case KeyFormatType.X_509:
      return parse('SubjectPublicKeyInfo', () =>
        createPublicKey({ key: derOf(material), format: 'der', type: 'spki' }),
      );
    case KeyFormatType.PKCS_1:
      return parse('PKCS#1 RSA public key', () =>
        createPublicKey({ key: derOf(material), format: 'der', type: 'pkcs1' }),
      );
    case KeyFormatType.Raw: {
      if (algorithm !== CryptographicAlgorithm.Ed25519) throw new KryptonError('KRY_OP_KEY_FORMAT');
      const raw = derOf(material);
      if (raw.length !== 32)
        throw new KryptonError('KRY_OP_INVALID_FIELD', 'an Ed25519 public key is 32 bytes');
      return parse('Ed25519 public key', () =>
        createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
      );
    }
    case KeyFormatType.TransparentRSAPublicKey: {
      if (material?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
      const n = bigIntOf(child(material, Tag.Modulus), 'Modulus');
      const e = bigIntOf(child(material, Tag.PublicExponent), 'Public Exponent');
      return parse('Transparent RSA public key', () =>
        createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' }),
      );
    }
    case KeyFormatType.TransparentECPublicKey:
    case KeyFormatType.TransparentECDSAPublicKey:
    case KeyFormatType.TransparentECDHPublicKey: {
      if (material?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
      const curveItem = child(material, Tag.RecommendedCurve);
      const curve = curveByKmip(curveItem?.type === 'Enumeration' ? curveItem.value : undefined);
      if (curve === undefined)
        throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'EC curves: P-256, P-384, P-521');
      const q = child(material, Tag.QString);
      if (q?.type !== 'ByteString') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Q String');
      return parse('EC point', () => {
        // X9.62 point, compressed or not → uncompressed (SEC 1 §2.3.3), through OpenSSL.
        const size = Math.ceil(curve.bits / 8);
        const full = Buffer.from(
          ECDH.convertKey(
            Buffer.from(q.value),
            curve.openssl,
            undefined,
            undefined,
            'uncompressed',
          ) as Buffer,
        );
        if (full.length !== 1 + 2 * size || full[0] !== 4) throw new Error('bad point');
        return createPublicKey({
          key: {
            kty: 'EC',
            crv: curve.jwk,
            x: full.subarray(1, 1 + size).toString('base64url'),
            y: full.subarray(1 + size).toString('base64url'),
          },
          format: 'jwk',
        });
      });
    }
    default:
      throw new KryptonError('KRY_OP_KEY_FORMAT');
  }
}

// --- export -------------------------------------------------------------------------------------

/** Key Format Types a private key of this kind can be returned in. */
export function privateKeyFormats(kind: AsymmetricKind): readonly number[] {
  if (kind === 'rsa')
    return [KeyFormatType.PKCS_1, KeyFormatType.PKCS_8, KeyFormatType.TransparentRSAPrivateKey];
  if (kind === 'ec')
    return [
      KeyFormatType.PKCS_8,
      KeyFormatType.ECPrivateKey,
      KeyFormatType.TransparentECPrivateKey,
      KeyFormatType.TransparentECDSAPrivateKey,
      KeyFormatType.TransparentECDHPrivateKey,
    ];
  return [KeyFormatType.PKCS_8, KeyFormatType.Raw];
}

export function publicKeyFormats(kind: AsymmetricKind): readonly number[] {
  if (kind === 'rsa')
    return [KeyFormatType.X_509, KeyFormatType.PKCS_1, KeyFormatType.TransparentRSAPublicKey];
  if (kind === 'ec')
    return [
      KeyFormatType.X_509,
      KeyFormatType.TransparentECPublicKey,
      KeyFormatType.TransparentECDSAPublicKey,
      KeyFormatType.TransparentECDHPublicKey,
    ];
  return [KeyFormatType.X_509, KeyFormatType.Raw];
}

/** The Key Material item of a private key in `format` (checked against privateKeyFormats first). */
export function exportPrivateKey(key: KeyObject, format: number): TtlvItem {
  const { kind } = keyProfile(key);
  if (!privateKeyFormats(kind).includes(format)) throw new KryptonError('KRY_OP_KEY_FORMAT');
  switch (format) {
    case KeyFormatType.PKCS_1:
      return byteString(Tag.KeyMaterial, key.export({ format: 'der', type: 'pkcs1' }));
    case KeyFormatType.PKCS_8:
      return byteString(Tag.KeyMaterial, key.export({ format: 'der', type: 'pkcs8' }));
    case KeyFormatType.ECPrivateKey:
      return byteString(Tag.KeyMaterial, key.export({ format: 'der', type: 'sec1' }));
    case KeyFormatType.Raw: {
      const der = key.export({ format: 'der', type: 'pkcs8' });
      return byteString(Tag.KeyMaterial, der.subarray(der.length - 32));
    }
    case KeyFormatType.TransparentRSAPrivateKey: {
      const j = jwkOf(key);
      const big = (tag: number, v: string | undefined): TtlvItem => ({
        tag,
        type: 'BigInteger',
        value: fromB64u(v),
      });
      return structure(Tag.KeyMaterial, [
        big(Tag.Modulus, j.n),
        big(Tag.PrivateExponent, j.d),
        big(Tag.PublicExponent, j.e),
        big(Tag.P, j.p),
        big(Tag.Q, j.q),
        big(Tag.PrimeExponentP, j.dp),
        big(Tag.PrimeExponentQ, j.dq),
        big(Tag.CRTCoefficient, j.qi),
      ]);
    }
    default: {
      const j = jwkOf(key);
      const curve = CURVES.find((c) => c.jwk === j.crv)!;
      return structure(Tag.KeyMaterial, [
        enumeration(Tag.RecommendedCurve, curve.kmip),
        { tag: Tag.D, type: 'BigInteger', value: fromB64u(j.d) },
      ]);
    }
  }
}

export function exportPublicKey(key: KeyObject, format: number): TtlvItem {
  const { kind } = keyProfile(key);
  if (!publicKeyFormats(kind).includes(format)) throw new KryptonError('KRY_OP_KEY_FORMAT');
  switch (format) {
    case KeyFormatType.X_509:
      return byteString(Tag.KeyMaterial, key.export({ format: 'der', type: 'spki' }));
    case KeyFormatType.PKCS_1:
      return byteString(Tag.KeyMaterial, key.export({ format: 'der', type: 'pkcs1' }));
    case KeyFormatType.Raw: {
      const der = key.export({ format: 'der', type: 'spki' });
      return byteString(Tag.KeyMaterial, der.subarray(der.length - 32));
    }
    case KeyFormatType.TransparentRSAPublicKey: {
      const j = jwkOf(key);
      return structure(Tag.KeyMaterial, [
        { tag: Tag.Modulus, type: 'BigInteger', value: fromB64u(j.n) },
        { tag: Tag.PublicExponent, type: 'BigInteger', value: fromB64u(j.e) },
      ]);
    }
    default: {
      const j = jwkOf(key);
      const curve = CURVES.find((c) => c.jwk === j.crv)!;
      const size = Math.ceil(curve.bits / 8);
      const point = Buffer.concat([
        Buffer.from([4]),
        bigIntToBytes(fromB64u(j.x), size),
        bigIntToBytes(fromB64u(j.y), size),
      ]);
      return structure(Tag.KeyMaterial, [
        enumeration(Tag.RecommendedCurve, curve.kmip),
        byteString(Tag.QString, point),
      ]);
    }
  }
}

/** A private key's normalised storage form (PKCS#8 DER). The caller zeroes it after sealing. */
export function privateKeyDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' });
}

export function privateKeyFromDer(der: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

export function publicKeyDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

export function publicKeyFromDer(der: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
}
