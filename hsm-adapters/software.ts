/**
 * The `software` adapter: development and `npm start` only — NOT FOR PRODUCTION.
 *
 * Root keys live in one file, encrypted under a passphrase (scrypt → AES-256-GCM); while the
 * adapter is open they are in process memory, which is exactly what an HSM exists to avoid.
 * It speaks the same contract as the pkcs11 adapter and wraps with RFC 5649 like SoftHSM2, so
 * development data has the same shape as production data.
 *
 * File layout (all integers big-endian):
 *   magic "KRYSWHSM" | version u8 (1) | log2(N) u8 | r u8 | p u8 | salt[16] | iv[12] | tag[16] | ciphertext
 * The header up to the IV is the GCM additional data. Plaintext: entries of
 *   purpose u8 (0 wrap, 1 encrypt) | label length u16 | label (UTF-8) | key[32]
 */
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes, scrypt } from 'node:crypto';
import { open as openFile, readFile, rename, unlink } from 'node:fs/promises';
import { KryptonError } from '../core/errors.js';
import { unwrapKeyRfc5649, wrapKeyRfc5649 } from '../core/keys/aes-key-wrap.js';
import {
  MAX_RANDOM_BYTES,
  silentLogger,
  type Hsm,
  type HsmKeyPurpose,
  type HsmKeyRef,
  type HsmMechanisms,
  type KryptonLogger,
} from './hsm.js';
import { checkWrapInput } from './pkcs11.js';
import { describeSecretSource, readSecret, type SecretSource } from './secret-source.js';

export interface SoftwareHsmOptions {
  /** The encrypted root-key file; created on first open. */
  readonly path: string;
  readonly passphrase: SecretSource;
  /** scrypt cost: log2(N) [15], r [8], p [1]. Tests lower N; the file records what it used. */
  readonly scrypt?: { readonly log2N?: number; readonly r?: number; readonly p?: number };
  /** Needed to open when NODE_ENV is "production": this adapter is not for production. */
  readonly acknowledgeNotForProduction?: boolean;
  readonly maxDataBytes?: number;
  readonly logger?: KryptonLogger;
}

const MAGIC = Buffer.from('KRYSWHSM', 'ascii');
const VERSION = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 4 + SALT_BYTES + IV_BYTES; // GCM AAD
const KEY_BYTES = 32;

interface StoredKey {
  readonly purpose: HsmKeyPurpose;
  readonly key: Buffer;
}

interface KdfParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
}

export const SOFTWARE_HSM_WARNING =
  'SOFTWARE HSM IN USE: root keys are held in process memory and in a passphrase-encrypted file. ' +
  'NOT FOR PRODUCTION — configure the pkcs11 adapter (SoftHSM2 for tests, a real HSM in production).';

export class SoftwareHsm implements Hsm {
  readonly #opts: SoftwareHsmOptions;
  readonly #log: KryptonLogger;
  readonly #maxData: number;
  #keys: Map<string, StoredKey> | undefined;
  #fileKey: Buffer | undefined;
  #kdf: KdfParams | undefined;
  #opening: Promise<void> | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(opts: SoftwareHsmOptions) {
    if (!opts.path) throw new KryptonError('KRY_HSM_CONFIG', 'path is required');
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#maxData = opts.maxDataBytes ?? 1024 * 1024;
  }

  open(): Promise<void> {
    this.#opening ??= this.#open().catch((err: unknown) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    if (process.env.NODE_ENV === 'production' && this.#opts.acknowledgeNotForProduction !== true) {
      throw new KryptonError(
        'KRY_HSM_CONFIG',
        'the software HSM adapter is refused when NODE_ENV=production',
      );
    }
    // Loudly, every time: this must never go unnoticed in a deployment.
    this.#log.warn({ hsm: 'software', production: false }, SOFTWARE_HSM_WARNING);
    const passphrase = await readSecret(this.#opts.passphrase, 'software HSM passphrase');
    let file: Buffer | undefined;
    try {
      file = await readFile(this.#opts.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the software HSM key file cannot be read');
      }
    }
    if (file === undefined) {
      const kdf: KdfParams = {
        log2N: this.#opts.scrypt?.log2N ?? 15,
        r: this.#opts.scrypt?.r ?? 8,
        p: this.#opts.scrypt?.p ?? 1,
        salt: nodeRandomBytes(SALT_BYTES),
      };
      checkKdf(kdf);
      this.#kdf = kdf;
      this.#fileKey = await deriveFileKey(passphrase, kdf);
      this.#keys = new Map();
      await this.#save();
      this.#log.info(
        { hsm: 'software', passphrase: describeSecretSource(this.#opts.passphrase) },
        'software HSM key file created',
      );
    } else {
      const { kdf, keys, fileKey } = await decodeFile(file, passphrase);
      this.#kdf = kdf;
      this.#fileKey = fileKey;
      this.#keys = keys;
      this.#log.info({ hsm: 'software', keys: keys.size }, 'software HSM opened');
    }
  }

  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    try {
      await opening;
    } catch {
      return;
    }
    await this.#saving;
    for (const { key } of this.#keys?.values() ?? []) key.fill(0);
    this.#keys = undefined;
    this.#fileKey?.fill(0);
    this.#fileKey = undefined;
  }

  mechanisms(): HsmMechanisms {
    return {
      adapter: 'software',
      keyWrap: 'AES_KEY_WRAP_PAD',
      dataEncryption: 'AES_GCM',
      wrapIsRfc5649: true,
      hardwareRandom: false,
      production: false,
      maxWrapInputBytes: 512,
    };
  }

  async findKey(label: string, purpose: HsmKeyPurpose = 'wrap'): Promise<HsmKeyRef | undefined> {
    checkLabel(label);
    const stored = this.#store().get(label);
    if (stored === undefined) return undefined;
    if (stored.purpose !== purpose) {
      throw new KryptonError('KRY_HSM_CONFIG', `HSM key ${label} is not a ${purpose} key`);
    }
    return { label, purpose };
  }

  async findOrCreateRootKey(label: string, purpose: HsmKeyPurpose = 'wrap'): Promise<HsmKeyRef> {
    const found = await this.findKey(label, purpose);
    if (found !== undefined) return found;
    this.#store().set(label, { purpose, key: nodeRandomBytes(KEY_BYTES) });
    await this.#save();
    this.#log.info({ hsm: 'software', label, purpose }, 'HSM key generated');
    return { label, purpose };
  }

  async destroyKey(key: HsmKeyRef): Promise<void> {
    const stored = this.#usable(key, key.purpose);
    this.#store().delete(key.label);
    stored.key.fill(0);
    await this.#save();
    this.#log.warn({ hsm: 'software', label: key.label }, 'HSM key destroyed');
  }

  async wrapKey(key: HsmKeyRef, keyBytes: Uint8Array): Promise<Buffer> {
    checkWrapInput(keyBytes, this.mechanisms().maxWrapInputBytes);
    return wrapKeyRfc5649(this.#usable(key, 'wrap').key, keyBytes);
  }

  async unwrapKey(key: HsmKeyRef, wrapped: Uint8Array): Promise<Buffer> {
    return unwrapKeyRfc5649(this.#usable(key, 'wrap').key, wrapped);
  }

  async encrypt(key: HsmKeyRef, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    if (plaintext.length > this.#maxData) throw new KryptonError('KRY_CRYPTO_FAILURE', 'data too large');
    const iv = nodeRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#usable(key, 'encrypt').key, iv);
    if (aad !== undefined) cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  async decrypt(key: HsmKeyRef, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    const stored = this.#usable(key, 'encrypt');
    if (ciphertext.length < IV_BYTES + TAG_BYTES)
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'ciphertext too short');
    const input = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', stored.key, input.subarray(0, IV_BYTES));
      if (aad !== undefined) decipher.setAAD(aad);
      decipher.setAuthTag(input.subarray(input.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(input.subarray(IV_BYTES, input.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'decrypt: authentication failed');
    }
  }

  async randomBytes(length: number): Promise<Buffer> {
    if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'random length out of range');
    }
    this.#store();
    return nodeRandomBytes(length);
  }

  #store(): Map<string, StoredKey> {
    if (this.#keys === undefined)
      throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the HSM adapter is not open');
    return this.#keys;
  }

  #usable(key: HsmKeyRef, purpose: HsmKeyPurpose): StoredKey {
    const stored = this.#store().get(key.label);
    if (stored === undefined)
      throw new KryptonError('KRY_HSM_KEY_NOT_FOUND', `no HSM key labelled ${key.label}`);
    if (stored.purpose !== purpose || key.purpose !== purpose) {
      throw new KryptonError('KRY_HSM_REFUSED', `key ${key.label} is not a ${purpose} key`);
    }
    return stored;
  }

  /** Re-encrypts the whole file (new IV) and replaces it atomically; saves run one at a time. */
  #save(): Promise<void> {
    const run = this.#saving.then(() => this.#write());
    this.#saving = run.catch(() => undefined);
    return run;
  }

  async #write(): Promise<void> {
    const keys = this.#store();
    const kdf = this.#kdf;
    const fileKey = this.#fileKey;
    if (kdf === undefined || fileKey === undefined) throw new KryptonError('KRY_HSM_UNAVAILABLE', 'not open');
    const plain = encodeEntries(keys);
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    let o = MAGIC.length;
    header[o++] = VERSION;
    header[o++] = kdf.log2N;
    header[o++] = kdf.r;
    header[o++] = kdf.p;
    kdf.salt.copy(header, o);
    o += SALT_BYTES;
    nodeRandomBytes(IV_BYTES).copy(header, o);
    const cipher = createCipheriv('aes-256-gcm', fileKey, header.subarray(o, o + IV_BYTES));
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    plain.fill(0);
    const tmp = `${this.#opts.path}.${process.pid}.tmp`;
    try {
      const handle = await openFile(tmp, 'w', 0o600);
      try {
        await handle.writeFile(Buffer.concat([header, cipher.getAuthTag(), body]));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.#opts.path);
    } catch {
      await unlink(tmp).catch(() => undefined);
      throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the software HSM key file cannot be written');
    }
  }
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || label.length === 0 || Buffer.byteLength(label) > 1024) {
    throw new KryptonError('KRY_HSM_CONFIG', 'HSM key label must be 1 to 1024 bytes');
  }
}

function checkKdf(kdf: Omit<KdfParams, 'salt'>): void {
  // Bounds keep a crafted file from asking for gigabytes of scrypt memory.
  if (kdf.log2N < 10 || kdf.log2N > 20 || kdf.r < 1 || kdf.r > 16 || kdf.p < 1 || kdf.p > 4) {
    throw new KryptonError('KRY_HSM_CONFIG', 'software HSM scrypt parameters out of range');
  }
}

function deriveFileKey(passphrase: string, kdf: KdfParams): Promise<Buffer> {
  const N = 2 ** kdf.log2N;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase,
      kdf.salt,
      KEY_BYTES,
      { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r + 1024 * 1024 },
      (err, key) => (err ? reject(new KryptonError('KRY_HSM_CONFIG', 'scrypt failed')) : resolve(key)),
    );
  });
}

async function decodeFile(
  file: Buffer,
  passphrase: string,
): Promise<{ kdf: KdfParams; keys: Map<string, StoredKey>; fileKey: Buffer }> {
  if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KryptonError('KRY_HSM_CONFIG', 'the software HSM key file is not recognised');
  }
  let o = MAGIC.length;
  if (file[o++] !== VERSION)
    throw new KryptonError('KRY_HSM_CONFIG', 'software HSM key file version unsupported');
  const kdfHead = { log2N: file[o++] ?? 0, r: file[o++] ?? 0, p: file[o++] ?? 0 };
  checkKdf(kdfHead);
  const kdf: KdfParams = { ...kdfHead, salt: Buffer.from(file.subarray(o, o + SALT_BYTES)) };
  o += SALT_BYTES;
  const iv = file.subarray(o, o + IV_BYTES);
  o += IV_BYTES;
  const tag = file.subarray(o, o + TAG_BYTES);
  const body = file.subarray(o + TAG_BYTES);
  const fileKey = await deriveFileKey(passphrase, kdf);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', fileKey, iv);
    decipher.setAAD(file.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    fileKey.fill(0);
    // Same answer for a wrong passphrase and a modified file.
    throw new KryptonError(
      'KRY_HSM_REFUSED',
      'the software HSM passphrase is wrong or the key file was modified',
    );
  }
  try {
    return { kdf, keys: decodeEntries(plain), fileKey };
  } finally {
    plain.fill(0);
  }
}

function encodeEntries(keys: Map<string, StoredKey>): Buffer {
  const parts: Buffer[] = [];
  for (const [label, { purpose, key }] of keys) {
    const name = Buffer.from(label, 'utf8');
    const head = Buffer.alloc(3);
    head[0] = purpose === 'wrap' ? 0 : 1;
    head.writeUInt16BE(name.length, 1);
    parts.push(head, name, key);
  }
  return Buffer.concat(parts);
}

function decodeEntries(plain: Buffer): Map<string, StoredKey> {
  const keys = new Map<string, StoredKey>();
  let o = 0;
  while (o < plain.length) {
    if (o + 3 > plain.length) throw new KryptonError('KRY_HSM_CONFIG', 'software HSM key file is corrupt');
    const purpose: HsmKeyPurpose = plain[o] === 0 ? 'wrap' : 'encrypt';
    const nameLength = plain.readUInt16BE(o + 1);
    o += 3;
    if (o + nameLength + KEY_BYTES > plain.length) {
      throw new KryptonError('KRY_HSM_CONFIG', 'software HSM key file is corrupt');
    }
    const label = plain.toString('utf8', o, o + nameLength);
    o += nameLength;
    const key = Buffer.alloc(KEY_BYTES);
    plain.copy(key, 0, o, o + KEY_BYTES);
    o += KEY_BYTES;
    keys.set(label, { purpose, key });
  }
  return keys;
}
