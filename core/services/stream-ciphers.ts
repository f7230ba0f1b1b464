/**
 * What a multi-part operation keeps between its parts (core/services/crypto-streams.ts): AES
 * encryption and decryption in GCM, CBC and ECB (the modes of core/services/cipher.ts that are
 * incremental; the key wrap modes and RSA are single-part), signatures (RSA PKCS#1 v1.5 and PSS,
 * ECDSA hash as they go; Ed25519, one-shot in node:crypto, buffers up to a bound) and MACs (HMAC
 * through node:crypto Hmac; CMAC-AES, RFC 4493, with the last block held back until the end).
 *
 * GCM decryption holds its plaintext until the final part has checked the tag: no unauthenticated
 * plaintext leaves the server. The tag comes on the first part (KMIP 2.1 §6.1.11: "MUST be
 * supplied on the initial Decrypt request") or, failing that, on the final one.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSign,
  createVerify,
  sign,
  verify,
  type Cipher,
  type CipherGCM,
  type CipherGCMTypes,
  type Decipher,
  type DecipherGCM,
  type Hmac,
  type KeyObject,
  type Sign,
  type Verify,
} from 'node:crypto';
import { KryptonError } from '../errors.js';
import { BlockCipherMode, CryptographicAlgorithm } from '../spec/index.js';
import { cmacSubkeys } from '../crypto/cmac.js';
import { hmacHashOf, macMatches } from '../crypto/mac.js';
import { rsaOptions, type SignatureScheme } from '../crypto/signatures.js';
import { aesName, blockCipher, ivFor, noIv, paddingOf, tagBytes, type CipherParameters } from './cipher.js';
import { PartBuffer, type StreamState } from './crypto-streams.js';

function singlePart(mode: number): KryptonError {
  return mode === BlockCipherMode.NISTKeyWrap || mode === BlockCipherMode.AESKeyWrapPadding
    ? new KryptonError('KRY_OP_STREAMING', 'the key wrap modes are single-part')
    : new KryptonError(
        'KRY_OP_FEATURE_NOT_SUPPORTED',
        'Block Cipher Mode: GCM, CBC, ECB (multi-part), NIST key wrap, key wrap with padding',
      );
}

export class EncryptStream implements StreamState {
  constructor(
    private cipher: Cipher | undefined,
    /** Set when the server generated the IV: returned on the first answer. */
    readonly generatedIv: Buffer | undefined,
    private readonly gcm: boolean,
  ) {}

  update(data: Uint8Array): Buffer {
    const cipher = this.cipher as Cipher;
    return blockCipher(() => cipher.update(data));
  }

  finish(): { data: Buffer; tag: Buffer | undefined } {
    const cipher = this.cipher as Cipher;
    const data = blockCipher(() => cipher.final());
    const tag = this.gcm ? (cipher as CipherGCM).getAuthTag() : undefined;
    this.cipher = undefined;
    return { data, tag };
  }

  dispose(): void {
    this.cipher = undefined;
  }
}

/** An AES encryption stream; `key` may be zeroed once this returns (OpenSSL holds its copy). */
export function startEncryptStream(
  key: Buffer,
  p: CipherParameters,
  input: { iv: Uint8Array | undefined; aad: Uint8Array | undefined },
): EncryptStream {
  switch (p.mode) {
    case BlockCipherMode.GCM: {
      const { iv, generated } = ivFor(p, input.iv, 12, (n) => n >= 1 && n <= 128);
      const cipher = createCipheriv(aesName(key, 'gcm') as CipherGCMTypes, key, iv, {
        authTagLength: tagBytes(p),
      });
      if (input.aad) cipher.setAAD(input.aad);
      return new EncryptStream(cipher, generated ? Buffer.from(iv) : undefined, true);
    }
    case BlockCipherMode.CBC: {
      const { iv, generated } = ivFor(p, input.iv, 16, (n) => n === 16);
      const cipher = createCipheriv(aesName(key, 'cbc'), key, iv);
      cipher.setAutoPadding(paddingOf(p));
      return new EncryptStream(cipher, generated ? Buffer.from(iv) : undefined, false);
    }
    case BlockCipherMode.ECB: {
      noIv(p, input.iv, 'ECB');
      const cipher = createCipheriv(aesName(key, 'ecb'), key, null);
      cipher.setAutoPadding(paddingOf(p));
      return new EncryptStream(cipher, undefined, false);
    }
    default:
      throw singlePart(p.mode);
  }
}

export class DecryptStream implements StreamState {
  constructor(
    private decipher: Decipher | undefined,
    private tagSet: boolean,
    /** GCM: the plaintext, held until the tag is checked. */
    private readonly held: PartBuffer | undefined,
  ) {}

  update(data: Uint8Array): Buffer | undefined {
    const decipher = this.decipher as Decipher;
    const out = blockCipher(() => decipher.update(data));
    if (this.held === undefined) return out;
    this.held.add(out);
    out.fill(0);
    return undefined;
  }

  finish(tag: Uint8Array | undefined): Buffer {
    const decipher = this.decipher as Decipher;
    if (this.held !== undefined) {
      if (tag !== undefined && this.tagSet)
        throw new KryptonError(
          'KRY_OP_INVALID_FIELD',
          'the Authenticated Encryption Tag came on the first part',
        );
      if (!this.tagSet) {
        if (tag === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Authenticated Encryption Tag');
        checkTagLength(tag);
        (decipher as DecipherGCM).setAuthTag(tag);
        this.tagSet = true;
      }
    }
    const last = blockCipher(() => decipher.final());
    this.decipher = undefined;
    if (this.held === undefined) return last;
    this.held.add(last);
    last.fill(0);
    return this.held.take();
  }

  dispose(): void {
    this.decipher = undefined;
    this.held?.dispose();
  }
}

function checkTagLength(tag: Uint8Array): void {
  if (tag.length < 4 || tag.length > 16)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Authenticated Encryption Tag length');
}

/** An AES decryption stream; GCM plaintext is held (at most `maxBuffered` bytes) until the tag checks. */
export function startDecryptStream(
  key: Buffer,
  p: CipherParameters,
  input: { iv: Uint8Array | undefined; aad: Uint8Array | undefined; tag: Uint8Array | undefined },
  maxBuffered: number,
): DecryptStream {
  switch (p.mode) {
    case BlockCipherMode.GCM: {
      if (input.iv === undefined) throw new KryptonError('KRY_OP_MISSING_IV');
      if (input.iv.length < 1 || input.iv.length > 128)
        throw new KryptonError('KRY_OP_INVALID_FIELD', 'IV/Counter/Nonce length');
      if (input.tag !== undefined) checkTagLength(input.tag);
      const decipher = createDecipheriv(
        aesName(key, 'gcm') as CipherGCMTypes,
        key,
        input.iv,
        input.tag !== undefined ? { authTagLength: input.tag.length } : {},
      );
      if (input.tag !== undefined) decipher.setAuthTag(input.tag);
      if (input.aad) decipher.setAAD(input.aad);
      return new DecryptStream(decipher, input.tag !== undefined, new PartBuffer(maxBuffered));
    }
    case BlockCipherMode.CBC: {
      if (input.iv === undefined) throw new KryptonError('KRY_OP_MISSING_IV');
      if (input.iv.length !== 16) throw new KryptonError('KRY_OP_INVALID_FIELD', 'IV/Counter/Nonce length');
      const decipher = createDecipheriv(aesName(key, 'cbc'), key, input.iv);
      decipher.setAutoPadding(paddingOf(p));
      return new DecryptStream(decipher, false, undefined);
    }
    case BlockCipherMode.ECB: {
      if (input.iv !== undefined) throw new KryptonError('KRY_OP_INVALID_FIELD', 'ECB takes no IV');
      const decipher = createDecipheriv(aesName(key, 'ecb'), key, null);
      decipher.setAutoPadding(paddingOf(p));
      return new DecryptStream(decipher, false, undefined);
    }
    default:
      throw singlePart(p.mode);
  }
}

/**
 * A signature over a message given in parts: RSA and ECDSA hash as the parts come (node:crypto
 * Sign / Verify); Ed25519 (one-shot) buffers the message, at most `maxBuffered` bytes.
 */
export class SignatureStream implements StreamState {
  private hashing: Sign | Verify | undefined;
  private readonly held: PartBuffer | undefined;
  /** Signature Verify: the Signature Data of the first part, when it came there. */
  presented: Uint8Array | undefined;

  constructor(
    private readonly scheme: SignatureScheme,
    mode: 'sign' | 'verify',
    maxBuffered: number,
  ) {
    if (scheme.kind === 'ed25519') this.held = new PartBuffer(maxBuffered);
    else this.hashing = mode === 'sign' ? createSign(scheme.hash!) : createVerify(scheme.hash!);
  }

  update(data: Uint8Array): undefined {
    if (this.held) this.held.add(data);
    else this.hashing!.update(data);
    return undefined;
  }

  private options(key: KeyObject, verifying: boolean) {
    return this.scheme.kind === 'rsa'
      ? { key, ...rsaOptions(this.scheme, verifying) }
      : { key, dsaEncoding: 'der' as const };
  }

  sign(key: KeyObject): Buffer {
    try {
      if (this.held) {
        const message = this.held.take();
        try {
          return sign(null, message, key);
        } finally {
          message.fill(0);
        }
      }
      return (this.hashing as Sign).sign(this.options(key, false));
    } catch {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'signing failed (e.g. salt too long for the key)');
    }
  }

  /** True when `signature` is valid; a malformed one is simply invalid. */
  verify(key: KeyObject, signature: Uint8Array): boolean {
    try {
      if (this.held) return verify(null, this.held.take(), key, signature);
      return (this.hashing as Verify).verify(this.options(key, true), signature);
    } catch {
      return false;
    }
  }

  dispose(): void {
    this.hashing = undefined;
    this.held?.dispose();
  }
}

const BLOCK = 16;

/** CMAC-AES (RFC 4493 §2.4) over parts: every block but the last goes through AES-CBC at once. */
class CmacState {
  private readonly cbc: Cipher;
  private readonly k1: Buffer;
  private readonly k2: Buffer;
  private readonly pending = Buffer.alloc(BLOCK);
  private pendingLength = 0;

  constructor(key: Uint8Array) {
    ({ k1: this.k1, k2: this.k2 } = cmacSubkeys(key));
    this.cbc = createCipheriv(aesName(key, 'cbc'), key, Buffer.alloc(BLOCK));
    this.cbc.setAutoPadding(false);
  }

  update(data: Uint8Array): void {
    let offset = Math.min(BLOCK - this.pendingLength, data.length);
    this.pending.set(data.subarray(0, offset), this.pendingLength);
    this.pendingLength += offset;
    if (offset === data.length) return;
    // More data follows a full block: it is not the last one.
    this.cbc.update(this.pending);
    const whole = Math.floor((data.length - offset - 1) / BLOCK) * BLOCK;
    if (whole > 0) this.cbc.update(data.subarray(offset, offset + whole));
    offset += whole;
    this.pending.set(data.subarray(offset), 0);
    this.pendingLength = data.length - offset;
  }

  digest(): Buffer {
    const complete = this.pendingLength === BLOCK;
    const last = Buffer.alloc(BLOCK);
    last.set(this.pending.subarray(0, this.pendingLength));
    if (!complete) last[this.pendingLength] = 0x80;
    const sub = complete ? this.k1 : this.k2;
    for (let i = 0; i < BLOCK; i++) last[i]! ^= sub[i]!;
    const mac = this.cbc.update(last);
    last.fill(0);
    return mac;
  }

  dispose(): void {
    this.k1.fill(0);
    this.k2.fill(0);
    this.pending.fill(0);
  }
}

/** A MAC over parts: HMAC-SHA-1/224/256/384/512 or CMAC-AES (`algorithm` AES). */
export class MacStream implements StreamState {
  private hmac: Hmac | undefined;
  private readonly cmac: CmacState | undefined;
  /** MAC Verify: the MAC Data of the first part, when it came there. */
  presented: Uint8Array | undefined;

  constructor(algorithm: number, key: Uint8Array) {
    if (algorithm === CryptographicAlgorithm.AES) {
      this.cmac = new CmacState(key);
      return;
    }
    const hash = hmacHashOf(algorithm);
    if (hash === undefined)
      throw new KryptonError(
        'KRY_OP_FEATURE_NOT_SUPPORTED',
        'MAC algorithms: HMAC-SHA-1/224/256/384/512, CMAC-AES',
      );
    if (key.length === 0) throw new KryptonError('KRY_OP_INVALID_FIELD', 'an HMAC key is not empty');
    this.hmac = createHmac(hash, key);
  }

  update(data: Uint8Array): undefined {
    if (this.cmac) this.cmac.update(data);
    else this.hmac!.update(data);
    return undefined;
  }

  digest(): Buffer {
    if (this.cmac) return this.cmac.digest();
    const mac = this.hmac!.digest();
    this.hmac = undefined;
    return mac;
  }

  /** Constant-time check of a presented MAC (truncated down to half its length). */
  matches(presented: Uint8Array): boolean {
    return macMatches(this.digest(), presented);
  }

  dispose(): void {
    this.hmac = undefined;
    this.cmac?.dispose();
  }
}
