/**
 * The `Hsm` port: what Krypton asks of a hardware security module.
 *
 * L1 root keys live in the HSM and never leave it (DESIGN §5). Everything above L1 reaches the
 * HSM only through this interface, so the key hierarchy (core/keys) never knows which adapter
 * is behind it. Every adapter runs the same contract suite (test/hsm-adapters/contract.ts).
 */
import type { Logger } from 'pino';

/** What an HSM key may do. A root key (`wrap`) only wraps and unwraps; an `encrypt` key only encrypts data. */
export type HsmKeyPurpose = 'wrap' | 'encrypt';

/** A key inside the HSM, named by its label. Holds no key material and no handle. */
export interface HsmKeyRef {
  readonly label: string;
  readonly purpose: HsmKeyPurpose;
}

/** Key-wrapping mechanisms an adapter may use for `wrapKey`/`unwrapKey`. */
export type HsmKeyWrapMechanism =
  /** RFC 5649 AES key wrap with padding (PKCS#11 CKM_AES_KEY_WRAP_PAD; node:crypto `id-aes256-wrap-pad`). */
  | 'AES_KEY_WRAP_PAD'
  /** YubiHSM 2 "Wrap Data": AES-256-CCM under a wrap key (CKM_YUBICO_AES_CCM_WRAP through C_Encrypt). */
  | 'YUBICO_AES_CCM_WRAP';

/** Data-encryption mechanisms an adapter may use for `encrypt`/`decrypt`. */
export type HsmDataMechanism = 'AES_GCM' | 'YUBICO_AES_CCM_WRAP';

/** The statement of supported mechanisms every adapter makes. */
export interface HsmMechanisms {
  /** Adapter and preset, e.g. `pkcs11/softhsm2`, `pkcs11/yubihsm2`, `software`. */
  readonly adapter: string;
  readonly keyWrap: HsmKeyWrapMechanism;
  readonly dataEncryption: HsmDataMechanism;
  /** Whether the key bytes wrapped by `wrapKey` are RFC 5649 and so unwrap with any AES-KWP implementation. */
  readonly wrapIsRfc5649: boolean;
  /** True when random bytes come from the HSM's own generator. */
  readonly hardwareRandom: boolean;
  /** False for the software adapter: never for production. */
  readonly production: boolean;
  /** Largest key accepted by `wrapKey`, in bytes. */
  readonly maxWrapInputBytes: number;
}

export interface Hsm {
  /** Connects, authenticates and checks the mechanisms. Idempotent. */
  open(): Promise<void>;
  /** Releases sessions and zeroes any key material held in process memory. Idempotent. */
  close(): Promise<void>;
  /**
   * Returns the key with this label, generating it inside the HSM when absent. A root key is
   * AES-256, sensitive, non-extractable and allowed only to wrap and unwrap (`purpose: 'wrap'`).
   * An existing key with this label that is weaker (extractable, or allowed more) is refused.
   */
  findOrCreateRootKey(label: string, purpose?: HsmKeyPurpose): Promise<HsmKeyRef>;
  /** Returns the key with this label, or undefined; never creates one. */
  findKey(label: string, purpose?: HsmKeyPurpose): Promise<HsmKeyRef | undefined>;
  /** Destroys the key inside the HSM: everything wrapped under it becomes unrecoverable. */
  destroyKey(key: HsmKeyRef): Promise<void>;
  /** Wraps key bytes (16..maxWrapInputBytes, a multiple of 8) under an HSM `wrap` key. */
  wrapKey(key: HsmKeyRef, keyBytes: Uint8Array): Promise<Buffer>;
  /** Unwraps bytes produced by `wrapKey`. The caller zeroes the result after use. */
  unwrapKey(key: HsmKeyRef, wrapped: Uint8Array): Promise<Buffer>;
  /** Authenticated encryption of data under an HSM `encrypt` key; the output is self-contained. */
  encrypt(key: HsmKeyRef, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer>;
  decrypt(key: HsmKeyRef, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Buffer>;
  randomBytes(length: number): Promise<Buffer>;
  mechanisms(): HsmMechanisms;
}

/** The slice of a pino logger that adapters and the key service use. */
export type KryptonLogger = Pick<Logger, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>;

const noop = (): void => {};

/** A logger that drops everything: the default when none is given. */
export const silentLogger: KryptonLogger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
}) as unknown as KryptonLogger;

/** Largest random request served at once; guards against an unbounded allocation from a caller's number. */
export const MAX_RANDOM_BYTES = 4096;
