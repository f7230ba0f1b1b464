/**
 * Symmetric Encrypt / Decrypt at the core (KMIP 2.1 §6.1.18, §6.1.13; 1.4 §4.29, §4.30) with an
 * AES key: GCM (IV generated when absent and returned, Tag Length, AAD), CBC and ECB with PKCS5
 * or no padding, NIST key wrap (SP 800-38F KW, RFC 3394) and key wrap with padding (KWP, RFC 5649).
 * Cryptographic Parameters are validated with the spec's errors: an unknown combination is
 * Invalid Field, a mode Krypton does not implement is Feature Not Supported. The reasons the
 * OASIS cases fix are theirs: a Decrypt without the IV of CBC or GCM is Invalid Message
 * (CS-BC-M-11, -12, -13), a GCM Tag Length outside 4..16 bytes is General Failure (CS-BC-M-GCM-1).
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { randomKeyBytes } from '../crypto/random.js';
import { KryptonError } from '../errors.js';
import { BlockCipherMode, PaddingMethod, Tag } from '../spec/index.js';
import type { TtlvItem } from '../ttlv/types.js';
import { child } from '../ttlv/tree.js';
import type { AttributeValue } from '../attributes/index.js';
import { AES } from './key-material.js';
import { runKeyWrap } from '../keys/aes-key-wrap.js';

export interface CipherParameters {
  readonly mode: number;
  readonly padding: number | undefined;
  readonly randomIv: boolean | undefined;
  readonly ivLength: number | undefined;
  readonly tagLength: number | undefined;
}

const KEY_WRAP_MODES: ReadonlySet<number> = new Set([
  BlockCipherMode.NISTKeyWrap,
  BlockCipherMode.AESKeyWrapPadding,
]);

export function isKeyWrapMode(mode: number): boolean {
  return KEY_WRAP_MODES.has(mode);
}

function invalid(detail: string): KryptonError {
  return new KryptonError('KRY_OP_INVALID_FIELD', detail);
}

function numberField(item: TtlvItem | undefined, tag: number, name: string): number | undefined {
  const c = child(item, tag);
  if (c === undefined) return undefined;
  if (c.type !== 'Enumeration' && c.type !== 'Integer') throw invalid(`Cryptographic Parameters/${name}`);
  return c.value;
}

/** Cryptographic Parameters from a request item, or from the key's stored attribute value. */
export function cipherParameters(
  requested: TtlvItem | undefined,
  stored: AttributeValue | undefined,
): CipherParameters {
  let mode: number | undefined;
  let padding: number | undefined;
  let randomIv: boolean | undefined;
  let ivLength: number | undefined;
  let tagLength: number | undefined;
  let algorithm: number | undefined;
  if (requested !== undefined) {
    if (requested.type !== 'Structure') throw invalid('Cryptographic Parameters');
    mode = numberField(requested, Tag.BlockCipherMode, 'Block Cipher Mode');
    padding = numberField(requested, Tag.PaddingMethod, 'Padding Method');
    algorithm = numberField(requested, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm');
    ivLength = numberField(requested, Tag.IVLength, 'IV Length');
    tagLength = numberField(requested, Tag.TagLength, 'Tag Length');
    const r = child(requested, Tag.RandomIV);
    if (r !== undefined) {
      if (r.type !== 'Boolean') throw invalid('Cryptographic Parameters/Random IV');
      randomIv = r.value;
    }
  } else if (
    stored !== undefined &&
    typeof stored === 'object' &&
    !(stored instanceof Uint8Array) &&
    !(stored instanceof Date)
  ) {
    const s = stored as Record<string, AttributeValue>;
    const num = (v: AttributeValue | undefined) => (typeof v === 'number' ? v : undefined);
    mode = num(s.BlockCipherMode);
    padding = num(s.PaddingMethod);
    algorithm = num(s.CryptographicAlgorithm);
    ivLength = num(s.IVLength);
    tagLength = num(s.TagLength);
    randomIv = typeof s.RandomIV === 'boolean' ? s.RandomIV : undefined;
  }
  if (algorithm !== undefined && algorithm !== AES)
    throw invalid('Cryptographic Algorithm does not match the key (AES)');
  return { mode: mode ?? BlockCipherMode.GCM, padding, randomIv, ivLength, tagLength };
}

export function aesName(key: Uint8Array, suffix: string): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new KryptonError('KRY_CRYPTO_FAILURE');
  return `aes-${key.length * 8}-${suffix}`;
}

export function paddingOf(p: CipherParameters): boolean {
  if (p.padding === undefined || p.padding === PaddingMethod.PKCS5) return p.padding !== undefined;
  if (p.padding === PaddingMethod.None) return false;
  throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Padding Method: PKCS5 or None');
}

export interface EncryptInput {
  readonly data: Uint8Array;
  readonly iv: Uint8Array | undefined;
  readonly aad: Uint8Array | undefined;
}

export interface EncryptOutput {
  readonly data: Buffer;
  /** Set when the server generated the IV: returned to the client (IV/Counter/Nonce). */
  readonly generatedIv?: Buffer;
  readonly tag?: Buffer;
}

export function ivFor(
  p: CipherParameters,
  given: Uint8Array | undefined,
  defaultLength: number,
  allowed: (n: number) => boolean,
): { iv: Uint8Array; generated: boolean } {
  if (given !== undefined) {
    if (p.randomIv === true) throw invalid('IV/Counter/Nonce given with Random IV true');
    if (!allowed(given.length)) throw invalid('IV/Counter/Nonce length');
    return { iv: given, generated: false };
  }
  const bits = p.ivLength;
  const length = bits === undefined ? defaultLength : bits / 8;
  if (!Number.isInteger(length) || !allowed(length)) throw invalid('IV Length');
  return { iv: randomKeyBytes(length), generated: true };
}

export function tagBytes(p: CipherParameters): number {
  const t = p.tagLength ?? 16;
  if (!Number.isInteger(t) || t < 4 || t > 16) throw new KryptonError('KRY_OP_TAG_LENGTH');
  return t;
}

export function noIv(p: CipherParameters, iv: Uint8Array | undefined, mode: string): void {
  if (iv !== undefined || p.randomIv === true) throw invalid(`${mode} takes no IV`);
}

export function encryptWith(key: Buffer, p: CipherParameters, input: EncryptInput): EncryptOutput {
  switch (p.mode) {
    case BlockCipherMode.GCM: {
      const { iv, generated } = ivFor(p, input.iv, 12, (n) => n >= 1 && n <= 128);
      const cipher = createCipheriv(aesName(key, 'gcm') as CipherGCMTypes, key, iv, {
        authTagLength: tagBytes(p),
      });
      if (input.aad) cipher.setAAD(input.aad);
      const data = Buffer.concat([cipher.update(input.data), cipher.final()]);
      return { data, tag: cipher.getAuthTag(), ...(generated && { generatedIv: Buffer.from(iv) }) };
    }
    case BlockCipherMode.CBC: {
      const { iv, generated } = ivFor(p, input.iv, 16, (n) => n === 16);
      const cipher = createCipheriv(aesName(key, 'cbc'), key, iv);
      cipher.setAutoPadding(paddingOf(p));
      const data = blockCipher(() => Buffer.concat([cipher.update(input.data), cipher.final()]));
      return { data, ...(generated && { generatedIv: Buffer.from(iv) }) };
    }
    case BlockCipherMode.ECB: {
      noIv(p, input.iv, 'ECB');
      const cipher = createCipheriv(aesName(key, 'ecb'), key, null);
      cipher.setAutoPadding(paddingOf(p));
      return { data: blockCipher(() => Buffer.concat([cipher.update(input.data), cipher.final()])) };
    }
    case BlockCipherMode.NISTKeyWrap: {
      noIv(p, input.iv, 'NIST key wrap');
      if (input.data.length < 16 || input.data.length % 8 !== 0)
        throw invalid('NIST key wrap needs at least 16 bytes, a multiple of 8');
      return { data: runKeyWrap(key, false, false, input.data) };
    }
    case BlockCipherMode.AESKeyWrapPadding: {
      noIv(p, input.iv, 'key wrap with padding');
      if (input.data.length < 1) throw invalid('key wrap with padding needs data');
      return { data: runKeyWrap(key, true, false, input.data) };
    }
    default:
      throw new KryptonError(
        'KRY_OP_FEATURE_NOT_SUPPORTED',
        'Block Cipher Mode: GCM, CBC, ECB, NIST key wrap, key wrap with padding',
      );
  }
}

export interface DecryptInput {
  readonly data: Uint8Array;
  readonly iv: Uint8Array | undefined;
  readonly aad: Uint8Array | undefined;
  readonly tag: Uint8Array | undefined;
}

/** Data-dependent failures (bad padding, wrong tag, data not a block multiple) are Cryptographic Failure. */
export function blockCipher(run: () => Buffer): Buffer {
  try {
    return run();
  } catch {
    throw new KryptonError(
      'KRY_CRYPTO_FAILURE',
      'data length or padding does not fit the mode, or the check failed',
    );
  }
}

export function decryptWith(key: Buffer, p: CipherParameters, input: DecryptInput): Buffer {
  switch (p.mode) {
    case BlockCipherMode.GCM: {
      if (input.iv === undefined) throw new KryptonError('KRY_OP_MISSING_IV');
      if (input.tag === undefined)
        throw new KryptonError('KRY_OP_MISSING_DATA', 'Authenticated Encryption Tag');
      if (input.tag.length < 4 || input.tag.length > 16) throw invalid('Authenticated Encryption Tag length');
      if (input.iv.length < 1 || input.iv.length > 128) throw invalid('IV/Counter/Nonce length');
      const decipher = createDecipheriv(aesName(key, 'gcm') as CipherGCMTypes, key, input.iv, {
        authTagLength: input.tag.length,
      });
      decipher.setAuthTag(input.tag);
      if (input.aad) decipher.setAAD(input.aad);
      return blockCipher(() => Buffer.concat([decipher.update(input.data), decipher.final()]));
    }
    case BlockCipherMode.CBC: {
      if (input.iv === undefined) throw new KryptonError('KRY_OP_MISSING_IV');
      if (input.iv.length !== 16) throw invalid('IV/Counter/Nonce length');
      const decipher = createDecipheriv(aesName(key, 'cbc'), key, input.iv);
      decipher.setAutoPadding(paddingOf(p));
      return blockCipher(() => Buffer.concat([decipher.update(input.data), decipher.final()]));
    }
    case BlockCipherMode.ECB: {
      if (input.iv !== undefined) throw invalid('ECB takes no IV');
      const decipher = createDecipheriv(aesName(key, 'ecb'), key, null);
      decipher.setAutoPadding(paddingOf(p));
      return blockCipher(() => Buffer.concat([decipher.update(input.data), decipher.final()]));
    }
    case BlockCipherMode.NISTKeyWrap: {
      if (input.data.length < 24 || input.data.length % 8 !== 0)
        throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped data length');
      return blockCipher(() => runKeyWrap(key, false, true, input.data));
    }
    case BlockCipherMode.AESKeyWrapPadding: {
      if (input.data.length < 16 || input.data.length % 8 !== 0)
        throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped data length');
      return blockCipher(() => runKeyWrap(key, true, true, input.data));
    }
    default:
      throw new KryptonError(
        'KRY_OP_FEATURE_NOT_SUPPORTED',
        'Block Cipher Mode: GCM, CBC, ECB, NIST key wrap, key wrap with padding',
      );
  }
}
