/**
 * The gateway's transport key: an RSA key pair generated once in the state directory (PKCS#8
 * PEM, 0600, in a 0700 folder). Its public half is registered at the core in each tenant the
 * gateway serves; the core wraps an L3 under it (Get with a Key Wrapping Specification, RSA-OAEP
 * with SHA-256, KMIP 2.1 §2.1.5) and only this process can unwrap it — the L3 never crosses the
 * wire in plaintext, not even inside TLS. The private half never leaves the gateway.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { KryptonError } from '../errors.js';

const generate = promisify(generateKeyPair);

export class TransportKey {
  private constructor(
    private readonly privateKey: KeyObject,
    /** SubjectPublicKeyInfo DER of the public half (what is registered at the core). */
    readonly spki: Buffer,
    readonly bits: number,
  ) {}

  /** Loads the key pair from `file`, generating it on first start. */
  static async loadOrCreate(file: string, bits: number): Promise<TransportKey> {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const { privateKey } = await generate('rsa', { modulusLength: bits });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
      try {
        writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      } catch {
        // Another process of the same state directory won the race: use its key.
      }
    }
    chmodSync(file, 0o600);
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(file));
    } catch {
      throw new KryptonError('KRY_CFG_INVALID', 'the gateway transport key file is not an RSA private key');
    }
    if (key.asymmetricKeyType !== 'rsa')
      throw new KryptonError('KRY_CFG_INVALID', 'the gateway transport key must be RSA');
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return new TransportKey(key, Buffer.from(spki), key.asymmetricKeyDetails?.modulusLength ?? 0);
  }

  /** Short fingerprint (SHA-256 of the SubjectPublicKeyInfo) naming the key at the core. */
  get fingerprint(): string {
    return createHash('sha256').update(this.spki).digest('hex').slice(0, 32);
  }

  /** RSA-OAEP/SHA-256 unwrap; the caller zeroes the result after use. */
  unwrap(wrapped: Uint8Array): Buffer {
    try {
      return privateDecrypt(
        { key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        wrapped,
      );
    } catch {
      throw new KryptonError(
        'KRY_CRYPTO_FAILURE',
        'the core answered a key the transport key does not unwrap',
      );
    }
  }
}
