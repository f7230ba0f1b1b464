/**
 * RSA encryption of Encrypt and Decrypt with a Public or Private Key (KMIP 2.1 §6.1.18, §6.1.13;
 * 1.4 §4.29, §4.30; KMIP Cryptographic Services Profile, CS-AC-M-OAEP): RSAES-OAEP (RFC 8017
 * §7.1) with the Hashing Algorithm for the label hash, MGF1 with the Mask Generator Hashing
 * Algorithm (the Hashing Algorithm when absent) and the P Source as the label.
 *
 * When both hashes are the same, OpenSSL does the padding; when they differ (which node:crypto
 * cannot ask OpenSSL for) the EME-OAEP encoding is done here around a raw RSA operation, and its
 * decoding checks every byte before it decides, with one error for every failure, so that no
 * padding oracle (Manger, CRYPTO 2001) is offered.
 *
 * RSAES-PKCS1-v1_5 is not offered: its decryption is a padding oracle (Bleichenbacher 1998, the
 * Marvin attack 2023) that node:crypto itself disables.
 */
import {
  constants,
  createHash,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { KryptonError } from '../errors.js';
import { CryptographicAlgorithm, HashingAlgorithm, PaddingMethod } from '../spec/index.js';
import { hashName } from './signatures.js';

/** KMIP 2.1 §11.29 Mask Generator MGF1. */
const MGF1 = 1;

/** What Cryptographic Parameters say about RSA encryption (absent fields undefined). */
export interface RsaEncryptionParameters {
  readonly paddingMethod?: number | undefined;
  readonly hashingAlgorithm?: number | undefined;
  readonly maskGenerator?: number | undefined;
  readonly maskGeneratorHashingAlgorithm?: number | undefined;
  readonly pSource?: Uint8Array | undefined;
  readonly cryptographicAlgorithm?: number | undefined;
}

export interface OaepScheme {
  readonly hash: string;
  readonly mgf1Hash: string;
  readonly label: Buffer;
}

/**
 * The OAEP scheme of the parameters. Without a Padding Method, OAEP; without a Hashing Algorithm,
 * SHA-256 (SHA-1 is named, not assumed).
 */
export function oaepScheme(p: RsaEncryptionParameters): OaepScheme {
  if (p.cryptographicAlgorithm !== undefined && p.cryptographicAlgorithm !== CryptographicAlgorithm.RSA)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Algorithm does not fit the key (RSA)');
  const padding = p.paddingMethod ?? PaddingMethod.OAEP;
  if (padding === PaddingMethod.PKCS1V1_5)
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'RSA encryption with PKCS#1 v1.5 padding: use OAEP',
    );
  if (padding !== PaddingMethod.OAEP)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Padding Method for RSA encryption: OAEP');
  if (p.maskGenerator !== undefined && p.maskGenerator !== MGF1)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Mask Generator: MGF1');
  const hash = hashName(p.hashingAlgorithm ?? HashingAlgorithm.SHA_256);
  const mgf1Hash =
    p.maskGeneratorHashingAlgorithm === undefined ? hash : hashName(p.maskGeneratorHashingAlgorithm);
  return { hash, mgf1Hash, label: Buffer.from(p.pSource ?? new Uint8Array(0)) };
}

function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'RSA encryption needs an RSA key');
  return Math.ceil(bits / 8);
}

function digestLength(hash: string): number {
  return createHash(hash).digest().length;
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const out = Buffer.alloc(length);
  let filled = 0;
  for (let counter = 0; filled < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    filled += block.copy(out, filled);
  }
  return out;
}

function xorInto(target: Buffer, mask: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= mask[i]!;
}

/** Encrypts `data` to an RSA public key with OAEP. */
export function rsaEncrypt(key: KeyObject, p: RsaEncryptionParameters, data: Uint8Array): Buffer {
  const scheme = oaepScheme(p);
  const k = modulusBytes(key);
  const hLen = digestLength(scheme.hash);
  if (data.length > k - 2 * hLen - 2)
    throw new KryptonError('KRY_OP_INVALID_FIELD', `Data: at most ${k - 2 * hLen - 2} bytes for this key`);
  if (scheme.hash === scheme.mgf1Hash) {
    return publicEncrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: scheme.hash, oaepLabel: scheme.label },
      data,
    );
  }
  // EME-OAEP encoding (RFC 8017 §7.1.1 step 2).
  const db = Buffer.alloc(k - hLen - 1);
  createHash(scheme.hash).update(scheme.label).digest().copy(db, 0);
  db[db.length - data.length - 1] = 0x01;
  Buffer.from(data).copy(db, db.length - data.length);
  const seed = randomBytes(hLen);
  xorInto(db, mgf1(seed, db.length, scheme.mgf1Hash));
  xorInto(seed, mgf1(db, hLen, scheme.mgf1Hash));
  const em = Buffer.concat([Buffer.alloc(1), seed, db]);
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

function decryptionError(): KryptonError {
  return new KryptonError('KRY_CRYPTO_FAILURE', 'RSA decryption error');
}

/** Decrypts OAEP ciphertext with an RSA private key; every failure is the same error. */
export function rsaDecrypt(key: KeyObject, p: RsaEncryptionParameters, data: Uint8Array): Buffer {
  const scheme = oaepScheme(p);
  const k = modulusBytes(key);
  const hLen = digestLength(scheme.hash);
  if (data.length !== k || k < 2 * hLen + 2) throw decryptionError();
  if (scheme.hash === scheme.mgf1Hash) {
    try {
      return privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: scheme.hash, oaepLabel: scheme.label },
        data,
      );
    } catch {
      throw decryptionError();
    }
  }
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, data);
  } catch {
    throw decryptionError();
  }
  if (em.length !== k) throw decryptionError();
  // EME-OAEP decoding (RFC 8017 §7.1.2 step 3): look at every byte, decide once.
  const seed = Buffer.from(em.subarray(1, 1 + hLen));
  const db = Buffer.from(em.subarray(1 + hLen));
  xorInto(seed, mgf1(db, hLen, scheme.mgf1Hash));
  xorInto(db, mgf1(seed, db.length, scheme.mgf1Hash));
  const lHash = createHash(scheme.hash).update(scheme.label).digest();
  let bad = em[0]! !== 0 ? 1 : 0;
  bad |= timingSafeEqual(db.subarray(0, hLen), lHash) ? 0 : 1;
  let found = 0;
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const b = db[i]!;
    const isOne = b === 0x01 ? 1 : 0;
    const isZero = b === 0x00 ? 1 : 0;
    const first = isOne & (found ^ 1);
    index = first ? i : index;
    // Before the 0x01 separator, only zero bytes (PS) may appear.
    bad |= (found ^ 1) & ((isOne | isZero) ^ 1);
    found |= isOne;
  }
  bad |= found ^ 1;
  em.fill(0);
  seed.fill(0);
  if (bad !== 0) {
    db.fill(0);
    throw decryptionError();
  }
  const out = Buffer.from(db.subarray(index + 1));
  db.fill(0);
  return out;
}
