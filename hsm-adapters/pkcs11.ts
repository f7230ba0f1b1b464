/**
 * The `pkcs11` adapter on pkcs11js, proven against SoftHSM2; YubiHSM 2 is a preset of it
 * (yubihsm.ts).
 *
 * - The token is found by label: slot ids are assigned by the library and change.
 * - The PIN comes from an environment variable or a file and is never logged.
 * - Sessions come from a bounded pool; slow calls (key generation, wrap, unwrap, encrypt,
 *   decrypt) use pkcs11js's asynchronous forms, which run on libuv worker threads so the event
 *   loop stays free (SECURITY-CHECKLIST 34).
 * - The library is initialised once per process (pkcs11-module-registry.ts).
 * - L1 keys are generated inside the token: AES-256, sensitive, non-extractable, wrap/unwrap only.
 */
import { randomBytes as nodeRandomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { KryptonError, isKryptonError } from '../core/errors.js';
import {
  MAX_RANDOM_BYTES,
  silentLogger,
  type Hsm,
  type HsmKeyPurpose,
  type HsmKeyRef,
  type HsmMechanisms,
  type KryptonLogger,
} from './hsm.js';
import {
  acquirePkcs11Module,
  pkcs11js,
  releasePkcs11Module,
  type Pkcs11Js,
  type Pkcs11Library,
  type Pkcs11Module,
} from './pkcs11-module-registry.js';
import { standardPkcs11Profile, type Pkcs11MechanismProfile } from './pkcs11-profile.js';
import { Pkcs11SessionPool } from './pkcs11-session-pool.js';
import { describeSecretSource, readSecret, type SecretSource } from './secret-source.js';

type Handle = Buffer;

export interface Pkcs11HsmOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  /** Token label (CK_TOKEN_INFO.label, trailing blanks ignored). */
  readonly tokenLabel: string;
  /** Where the user PIN comes from. */
  readonly pin: SecretSource;
  readonly profile?: Pkcs11MechanismProfile;
  /** Sessions kept open on the token [4]. */
  readonly sessionPoolSize?: number;
  /** Longest wait for a free session [10 s]. */
  readonly acquireTimeoutMs?: number;
  /** Largest plaintext accepted by `encrypt` [1 MiB]. */
  readonly maxDataBytes?: number;
  /** Runs once before the library is first initialised (module configuration, environment). */
  readonly prepareModule?: () => void | Promise<void>;
  /** Turns the PIN read from `pin` into what C_Login expects (YubiHSM: key id + password). */
  readonly formatPin?: (secret: string) => string;
  readonly logger?: KryptonLogger;
}

const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const CCM_OVERHEAD = 13 + 16; // YubiHSM wrap-data: 13-byte nonce, 16-byte MAC
const AAD_DIGEST_BYTES = 32;

/** PKCS#11 return values and what they mean to Krypton. */
const KEY_GONE = new Set([
  'CKR_KEY_HANDLE_INVALID',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_WRAPPING_KEY_HANDLE_INVALID',
  'CKR_UNWRAPPING_KEY_HANDLE_INVALID',
]);
const REFUSED = new Set([
  'CKR_KEY_FUNCTION_NOT_PERMITTED',
  'CKR_FUNCTION_REJECTED',
  'CKR_KEY_NOT_WRAPPABLE',
  'CKR_KEY_UNEXTRACTABLE',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_PIN_INCORRECT',
  'CKR_PIN_LOCKED',
  'CKR_PIN_EXPIRED',
  'CKR_ACTION_PROHIBITED',
  'CKR_WRAPPING_KEY_TYPE_INCONSISTENT',
  'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT',
  'CKR_KEY_TYPE_INCONSISTENT',
]);
const CRYPTO = new Set([
  'CKR_ENCRYPTED_DATA_INVALID',
  'CKR_ENCRYPTED_DATA_LEN_RANGE',
  'CKR_WRAPPED_KEY_INVALID',
  'CKR_WRAPPED_KEY_LEN_RANGE',
  'CKR_DATA_LEN_RANGE',
  'CKR_DATA_INVALID',
]);
const UNAVAILABLE = new Set([
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_MEMORY',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_SESSION_COUNT',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);

/** Maps a pkcs11js error to a coded error; the CKR name is kept, nothing else. */
export function mapPkcs11Error(err: unknown, operation: string, cryptoOperation = false): KryptonError {
  if (isKryptonError(err)) return err;
  const ckr = err instanceof Error && /^CKR_[A-Z0-9_]+$/.test(err.message) ? err.message : undefined;
  const detail = `${operation}${ckr ? ` (${ckr})` : ''}`;
  if (ckr === undefined) return new KryptonError('KRY_HSM_UNAVAILABLE', detail);
  if (KEY_GONE.has(ckr)) return new KryptonError('KRY_HSM_KEY_NOT_FOUND', detail);
  if (REFUSED.has(ckr)) return new KryptonError('KRY_HSM_REFUSED', detail);
  if (CRYPTO.has(ckr)) return new KryptonError('KRY_CRYPTO_FAILURE', detail);
  if (UNAVAILABLE.has(ckr)) return new KryptonError('KRY_HSM_UNAVAILABLE', detail);
  if (ckr === 'CKR_MECHANISM_INVALID' || ckr === 'CKR_MECHANISM_PARAM_INVALID') {
    return new KryptonError('KRY_HSM_MECHANISM_UNSUPPORTED', detail);
  }
  // SoftHSM2 answers a failed GCM tag check with CKR_GENERAL_ERROR.
  if (cryptoOperation) return new KryptonError('KRY_CRYPTO_FAILURE', detail);
  return new KryptonError('KRY_HSM_UNAVAILABLE', detail);
}

export class Pkcs11Hsm implements Hsm {
  readonly #opts: Pkcs11HsmOptions;
  readonly #profile: Pkcs11MechanismProfile;
  readonly #log: KryptonLogger;
  readonly #maxData: number;
  /** label + purpose → object handle. Handles of token objects are valid in every session of this process. */
  readonly #handles = new Map<string, Handle>();
  readonly #creating = new Map<string, Promise<HsmKeyRef>>();
  #module: Pkcs11Module | undefined;
  #pool: Pkcs11SessionPool | undefined;
  #opening: Promise<void> | undefined;

  constructor(opts: Pkcs11HsmOptions) {
    if (!opts.modulePath) throw new KryptonError('KRY_HSM_CONFIG', 'modulePath is required');
    if (!opts.tokenLabel) throw new KryptonError('KRY_HSM_CONFIG', 'tokenLabel is required');
    this.#opts = opts;
    this.#profile = opts.profile ?? standardPkcs11Profile;
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
    await this.#opts.prepareModule?.();
    const module = acquirePkcs11Module(this.#opts.modulePath);
    try {
      const p11 = pkcs11js();
      const slot = findSlotByTokenLabel(module.library, this.#opts.tokenLabel);
      checkMechanisms(module.library, slot, this.#profile.requiredMechanisms(p11), this.#profile.name);
      const secret = await readSecret(this.#opts.pin, 'HSM PIN');
      const pin = this.#opts.formatPin ? this.#opts.formatPin(secret) : secret;
      const pool = new Pkcs11SessionPool({
        library: module.library,
        p11,
        slot,
        pin,
        size: this.#opts.sessionPoolSize ?? 4,
        acquireTimeoutMs: this.#opts.acquireTimeoutMs ?? 10_000,
      });
      // Log in now so a wrong PIN fails at start, not at the first request.
      await pool.use(() => undefined);
      this.#module = module;
      this.#pool = pool;
      this.#log.info(
        {
          hsm: this.mechanisms().adapter,
          token: this.#opts.tokenLabel,
          sessions: pool.size,
          pin: describeSecretSource(this.#opts.pin),
        },
        'HSM opened',
      );
    } catch (err) {
      releasePkcs11Module(module);
      throw mapPkcs11Error(err, 'open');
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
    this.#pool?.close();
    if (this.#module) releasePkcs11Module(this.#module);
    this.#pool = undefined;
    this.#module = undefined;
    this.#handles.clear();
  }

  mechanisms(): HsmMechanisms {
    return {
      adapter: `pkcs11/${this.#profile.name}`,
      keyWrap: this.#profile.keyWrap,
      dataEncryption: this.#profile.dataEncryption,
      wrapIsRfc5649: this.#profile.wrapIsRfc5649,
      hardwareRandom: true,
      production: true,
      maxWrapInputBytes: this.#profile.maxWrapInputBytes,
    };
  }

  async findKey(label: string, purpose: HsmKeyPurpose = 'wrap'): Promise<HsmKeyRef | undefined> {
    checkLabel(label);
    const handle = await this.#resolve(label, purpose, false);
    return handle === undefined ? undefined : { label, purpose };
  }

  findOrCreateRootKey(label: string, purpose: HsmKeyPurpose = 'wrap'): Promise<HsmKeyRef> {
    checkLabel(label);
    const key = `${purpose}:${label}`;
    let pending = this.#creating.get(key);
    if (pending === undefined) {
      pending = this.#findOrCreate(label, purpose).finally(() => this.#creating.delete(key));
      this.#creating.set(key, pending);
    }
    return pending;
  }

  async #findOrCreate(label: string, purpose: HsmKeyPurpose): Promise<HsmKeyRef> {
    const existing = await this.#resolve(label, purpose, false);
    if (existing !== undefined) return { label, purpose };
    const p11 = pkcs11js();
    const { mechanism, template } = this.#profile.generation(p11, purpose);
    const handle = await this.#session('generate key', async (lib, session) =>
      lib.C_GenerateKeyAsync(session, { mechanism }, [...template, { type: p11.CKA_LABEL, value: label }]),
    );
    this.#handles.set(`${purpose}:${label}`, handle);
    this.#log.info({ hsm: this.mechanisms().adapter, label, purpose }, 'HSM key generated');
    return { label, purpose };
  }

  async destroyKey(key: HsmKeyRef): Promise<void> {
    const handle = await this.#resolve(key.label, key.purpose, true);
    await this.#session('destroy key', (lib, session) => lib.C_DestroyObject(session, handle));
    this.#handles.delete(`${key.purpose}:${key.label}`);
    this.#log.warn({ hsm: this.mechanisms().adapter, label: key.label }, 'HSM key destroyed');
  }

  async wrapKey(key: HsmKeyRef, keyBytes: Uint8Array): Promise<Buffer> {
    checkWrapInput(keyBytes, this.#profile.maxWrapInputBytes);
    if (this.#profile.keyWrap === 'YUBICO_AES_CCM_WRAP') {
      return this.#ccmEncrypt(key, 'wrap', toBuffer(keyBytes), 'wrap key');
    }
    const p11 = pkcs11js();
    return this.#withKey(key, 'wrap', 'wrap key', async (lib, session, handle) => {
      // The key bytes enter the token as a session object that lives only for this call.
      const temporary = lib.C_CreateObject(session, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
        { type: p11.CKA_TOKEN, value: false },
        { type: p11.CKA_VALUE, value: toBuffer(keyBytes) },
        { type: p11.CKA_EXTRACTABLE, value: true },
        { type: p11.CKA_SENSITIVE, value: true },
      ]);
      try {
        const out = Buffer.alloc(keyBytes.length + 16);
        const wrapped = await lib.C_WrapKeyAsync(
          session,
          { mechanism: p11.CKM_AES_KEY_WRAP_PAD },
          handle,
          temporary,
          out,
        );
        return Buffer.from(wrapped);
      } finally {
        lib.C_DestroyObject(session, temporary);
      }
    });
  }

  async unwrapKey(key: HsmKeyRef, wrapped: Uint8Array): Promise<Buffer> {
    if (wrapped.length < 16 || wrapped.length > this.#profile.maxWrapInputBytes + CCM_OVERHEAD) {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'wrapped key length out of range');
    }
    if (this.#profile.keyWrap === 'YUBICO_AES_CCM_WRAP') {
      return this.#ccmDecrypt(key, 'wrap', toBuffer(wrapped), 'unwrap key');
    }
    const p11 = pkcs11js();
    return this.#withKey(key, 'wrap', 'unwrap key', async (lib, session, handle) => {
      // No CKA_VALUE_LEN: the length comes from the RFC 5649 integrity check value.
      const temporary = await lib.C_UnwrapKeyAsync(
        session,
        { mechanism: p11.CKM_AES_KEY_WRAP_PAD },
        handle,
        toBuffer(wrapped),
        [
          { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
          { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
          { type: p11.CKA_TOKEN, value: false },
          { type: p11.CKA_SENSITIVE, value: false },
          { type: p11.CKA_EXTRACTABLE, value: true },
        ],
      );
      try {
        const [attr] = lib.C_GetAttributeValue(session, temporary, [{ type: p11.CKA_VALUE }]);
        const value = attr?.value;
        if (!value) throw new KryptonError('KRY_CRYPTO_FAILURE', 'unwrap key: no value');
        const copy = Buffer.alloc(value.length);
        value.copy(copy);
        value.fill(0);
        return copy;
      } finally {
        lib.C_DestroyObject(session, temporary);
      }
    });
  }

  async encrypt(key: HsmKeyRef, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    if (plaintext.length > this.#maxData) throw new KryptonError('KRY_CRYPTO_FAILURE', 'data too large');
    if (this.#profile.dataEncryption === 'YUBICO_AES_CCM_WRAP') {
      // Wrap Data has no AAD: bind it by sealing its digest in front of the data.
      const sealed = Buffer.concat([aadDigest(aad), plaintext]);
      try {
        return await this.#ccmEncrypt(key, 'encrypt', sealed, 'encrypt');
      } finally {
        sealed.fill(0);
      }
    }
    const p11 = pkcs11js();
    const iv = nodeRandomBytes(GCM_IV_BYTES);
    return this.#withKey(key, 'encrypt', 'encrypt', async (lib, session, handle) => {
      lib.C_EncryptInit(session, gcm(p11, iv, aad), handle);
      const out = Buffer.alloc(plaintext.length + GCM_TAG_BYTES);
      // SoftHSM2 refuses a zero-length single-part input; C_EncryptFinal alone yields the tag.
      const sealed =
        plaintext.length === 0
          ? await lib.C_EncryptFinalAsync(session, out)
          : await lib.C_EncryptAsync(session, toBuffer(plaintext), out);
      return Buffer.concat([iv, sealed]);
    });
  }

  async decrypt(key: HsmKeyRef, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
    if (this.#profile.dataEncryption === 'YUBICO_AES_CCM_WRAP') {
      const opened = await this.#ccmDecrypt(key, 'encrypt', toBuffer(ciphertext), 'decrypt');
      const digest = aadDigest(aad);
      if (
        opened.length < AAD_DIGEST_BYTES ||
        !timingSafeEqual(opened.subarray(0, AAD_DIGEST_BYTES), digest)
      ) {
        opened.fill(0);
        throw new KryptonError('KRY_CRYPTO_FAILURE', 'decrypt: authentication failed');
      }
      const plain = Buffer.from(opened.subarray(AAD_DIGEST_BYTES));
      opened.fill(0);
      return plain;
    }
    if (ciphertext.length < GCM_IV_BYTES + GCM_TAG_BYTES) {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'ciphertext too short');
    }
    const p11 = pkcs11js();
    const input = toBuffer(ciphertext);
    const iv = input.subarray(0, GCM_IV_BYTES);
    return this.#withKey(key, 'encrypt', 'decrypt', async (lib, session, handle) => {
      lib.C_DecryptInit(session, gcm(p11, iv, aad), handle);
      const out = Buffer.alloc(input.length);
      const plain = await lib.C_DecryptAsync(session, input.subarray(GCM_IV_BYTES), out);
      return Buffer.from(plain);
    });
  }

  async randomBytes(length: number): Promise<Buffer> {
    if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'random length out of range');
    }
    return this.#session('generate random', (lib, session) =>
      Buffer.from(lib.C_GenerateRandom(session, Buffer.alloc(length))),
    );
  }

  // --- internals ---------------------------------------------------------------------------------

  #ccmEncrypt(key: HsmKeyRef, purpose: HsmKeyPurpose, data: Buffer, op: string): Promise<Buffer> {
    return this.#withKey(key, purpose, op, async (lib, session, handle) => {
      lib.C_EncryptInit(session, { mechanism: YUBICO_AES_CCM_WRAP }, handle);
      const out = Buffer.alloc(data.length + CCM_OVERHEAD + 16);
      return Buffer.from(await lib.C_EncryptAsync(session, data, out));
    });
  }

  #ccmDecrypt(key: HsmKeyRef, purpose: HsmKeyPurpose, data: Buffer, op: string): Promise<Buffer> {
    return this.#withKey(key, purpose, op, async (lib, session, handle) => {
      lib.C_DecryptInit(session, { mechanism: YUBICO_AES_CCM_WRAP }, handle);
      const out = Buffer.alloc(data.length);
      const plain = await lib.C_DecryptAsync(session, data, out);
      const copy = Buffer.from(plain);
      out.fill(0);
      return copy;
    });
  }

  /**
   * Runs an operation with the key's handle. When the token says the handle is invalid, the
   * handle is forgotten and looked up again by label once (handles may change across logins);
   * a key that is really gone then answers KRY_HSM_KEY_NOT_FOUND.
   */
  async #withKey<T>(
    key: HsmKeyRef,
    purpose: HsmKeyPurpose,
    op: string,
    fn: (lib: Pkcs11Library, session: Handle, handle: Handle) => Promise<T>,
  ): Promise<T> {
    if (key.purpose !== purpose) {
      throw new KryptonError('KRY_HSM_REFUSED', `key ${key.label} is not a ${purpose} key`);
    }
    for (let attempt = 0; ; attempt++) {
      const handle = await this.#resolve(key.label, key.purpose, true);
      try {
        return await this.#session(op, (lib, session) => fn(lib, session, handle), true);
      } catch (err) {
        if (!(isKryptonError(err) && err.code === 'KRY_HSM_KEY_NOT_FOUND')) throw err;
        this.#handles.delete(`${key.purpose}:${key.label}`);
        if (attempt > 0) throw err;
      }
    }
  }

  async #session<T>(
    op: string,
    fn: (lib: Pkcs11Library, session: Handle) => Promise<T> | T,
    cryptoOperation = false,
  ): Promise<T> {
    const pool = this.#pool;
    const module = this.#module;
    if (pool === undefined || module === undefined) {
      throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the HSM adapter is not open');
    }
    try {
      return await pool.use((session) => fn(module.library, session));
    } catch (err) {
      throw mapPkcs11Error(err, op, cryptoOperation);
    }
  }

  async #resolve(label: string, purpose: HsmKeyPurpose, required: true): Promise<Handle>;
  async #resolve(label: string, purpose: HsmKeyPurpose, required: false): Promise<Handle | undefined>;
  async #resolve(label: string, purpose: HsmKeyPurpose, required: boolean): Promise<Handle | undefined> {
    const cacheKey = `${purpose}:${label}`;
    const cached = this.#handles.get(cacheKey);
    if (cached !== undefined) return cached;
    const p11 = pkcs11js();
    const handle = await this.#session('find key', (lib, session) => {
      lib.C_FindObjectsInit(session, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_LABEL, value: label },
      ]);
      let found: Handle[];
      try {
        found = lib.C_FindObjects(session, 2);
      } finally {
        lib.C_FindObjectsFinal(session);
      }
      if (found.length > 1) throw new KryptonError('KRY_HSM_CONFIG', `several HSM keys carry label ${label}`);
      const handle = found[0];
      if (handle === undefined) return undefined;
      const expected = this.#profile.expectedFlags(p11, purpose);
      const values = lib.C_GetAttributeValue(
        session,
        handle,
        expected.map(([type]) => ({ type })),
      );
      for (const [i, [, want]] of expected.entries()) {
        const value = values[i]?.value;
        const actual = value !== undefined && value.length > 0 && value[0] !== 0;
        if (actual !== want) {
          throw new KryptonError(
            'KRY_HSM_CONFIG',
            `HSM key ${label} does not have the attributes of a ${purpose} key`,
          );
        }
      }
      return handle;
    });
    if (handle === undefined) {
      if (required) throw new KryptonError('KRY_HSM_KEY_NOT_FOUND', `no HSM key labelled ${label}`);
      return undefined;
    }
    this.#handles.set(cacheKey, handle);
    return handle;
  }
}

/** CKM_YUBICO_AES_CCM_WRAP = CKM_VENDOR_DEFINED | YUBICO_BASE_VENDOR | YH_WRAP_KEY (pkcs11y.h). */
export const YUBICO_AES_CCM_WRAP = 0x80000000 + 0x59554200 + 0x04;

function gcm(p11: Pkcs11Js, iv: Buffer, aad: Uint8Array | undefined) {
  return {
    mechanism: p11.CKM_AES_GCM,
    parameter: {
      type: p11.CK_PARAMS_AES_GCM,
      iv,
      ivBits: GCM_IV_BYTES * 8,
      ...(aad !== undefined && aad.length > 0 ? { aad: toBuffer(aad) } : {}),
      tagBits: GCM_TAG_BYTES * 8,
    },
  };
}

function aadDigest(aad: Uint8Array | undefined): Buffer {
  return createHash('sha256')
    .update(aad ?? new Uint8Array(0))
    .digest();
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Key bytes to wrap: 16..max bytes, a multiple of 8 (every AES/HMAC key size). SoftHSM2 2.6
 * leaves RFC 5649 padding on keys it unwraps, so other lengths could not round-trip there; the
 * rule is the same for every adapter so development and production agree.
 */
export function checkWrapInput(keyBytes: Uint8Array, max: number): void {
  if (keyBytes.length < 16 || keyBytes.length > max || keyBytes.length % 8 !== 0) {
    throw new KryptonError('KRY_CRYPTO_FAILURE', 'key to wrap must be 16 to 512 bytes, a multiple of 8');
  }
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || label.length === 0 || label.length > 128) {
    throw new KryptonError('KRY_HSM_CONFIG', 'HSM key label must be 1 to 128 characters');
  }
}

function findSlotByTokenLabel(library: Pkcs11Library, tokenLabel: string): Handle {
  const matches: Handle[] = [];
  for (const slot of library.C_GetSlotList(true)) {
    try {
      if (library.C_GetTokenInfo(slot).label.trim() === tokenLabel) matches.push(slot);
    } catch {
      // A slot whose token vanished while listing is not ours.
    }
  }
  if (matches.length > 1)
    throw new KryptonError('KRY_HSM_CONFIG', `several tokens are labelled ${tokenLabel}`);
  const slot = matches[0];
  if (slot === undefined) throw new KryptonError('KRY_HSM_UNAVAILABLE', `no token labelled ${tokenLabel}`);
  return slot;
}

function checkMechanisms(
  library: Pkcs11Library,
  slot: Handle,
  required: readonly number[],
  preset: string,
): void {
  const offered = new Set(library.C_GetMechanismList(slot));
  const missing = required.filter((m) => !offered.has(m));
  if (missing.length > 0) {
    throw new KryptonError(
      'KRY_HSM_MECHANISM_UNSUPPORTED',
      `token lacks mechanisms ${missing.map((m) => `0x${m.toString(16)}`).join(', ')} of preset ${preset}`,
    );
  }
}
