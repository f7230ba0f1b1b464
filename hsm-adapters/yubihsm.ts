/**
 * YubiHSM 2 preset of the pkcs11 adapter.
 *
 * - Module: yubihsm_pkcs11.so (package yubihsm-shell), configured by a file named in
 *   YUBIHSM_PKCS11_CONF that carries the connector URL; written here before the module is loaded.
 * - PIN: the 16-bit authentication key id in four hex digits, then its password ("0001password").
 * - Mechanisms: the YubiHSM 2 has no CKM_AES_KEY_WRAP_PAD and no CKM_AES_GCM. Of what it offers
 *   (AES-ECB, AES-CBC[-PAD] from firmware 2.3, and the AES-CCM wrap keys), only the wrap keys give
 *   authenticated encryption: "Wrap Data" (CKM_YUBICO_AES_CCM_WRAP through C_Encrypt) seals
 *   arbitrary bytes under a wrap key as nonce(13) ‖ ciphertext ‖ MAC(16). L2 keys are wrapped
 *   that way, so they never become objects in the device; data encryption uses it as well, with
 *   AAD bound by a SHA-256 digest sealed in front of the data. Wrapped L2 keys are therefore not
 *   RFC 5649 and unwrap only in a YubiHSM holding the same wrap key. Untested without a device:
 *   see docs/hsm.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KryptonError } from '../core/errors.js';
import type { KryptonLogger } from './hsm.js';
import { isPkcs11ModuleLoaded, type Pkcs11Js } from './pkcs11-module-registry.js';
import type { Pkcs11MechanismProfile } from './pkcs11-profile.js';
import { Pkcs11Hsm, YUBICO_AES_CCM_WRAP, type Pkcs11HsmOptions } from './pkcs11.js';
import type { SecretSource } from './secret-source.js';

/** Where Debian/Ubuntu's yubihsm-shell package installs the module. */
export const DEFAULT_YUBIHSM_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so';
/** Label of the token yubihsm_pkcs11 presents for a connector. */
export const DEFAULT_YUBIHSM_TOKEN_LABEL = 'YubiHSM';

/** CKK_YUBICO_AES256_CCM_WRAP = CKK_VENDOR_DEFINED | YUBICO_BASE_VENDOR | YH_ALGO_AES256_CCM_WRAP (42). */
export const YUBICO_AES256_CCM_WRAP_KEY_TYPE = 0x80000000 + 0x59554200 + 42;

export interface YubiHsmOptions {
  readonly modulePath?: string;
  /** yubihsm-connector URL (http:// or https://) or yhusb:// for direct USB. */
  readonly connectorUrl: string;
  /** Authentication key id, 1..0xffff (the factory default key is 1). */
  readonly authKeyId: number;
  /** Password of that authentication key: environment variable or file. */
  readonly password: SecretSource;
  /** Folder for the generated yubihsm_pkcs11.conf [os.tmpdir()/krypton-yubihsm]. */
  readonly configDir?: string;
  /** CA certificate for an https:// connector. */
  readonly connectorCaCert?: string;
  /** Connector timeout in seconds [5]. */
  readonly timeoutSeconds?: number;
  readonly tokenLabel?: string;
  readonly sessionPoolSize?: number;
  readonly logger?: KryptonLogger;
}

/** The YubiHSM PKCS#11 PIN: auth key id as four hex digits, then the password. */
export function formatYubiHsmPin(authKeyId: number, password: string): string {
  if (!Number.isInteger(authKeyId) || authKeyId < 1 || authKeyId > 0xffff) {
    throw new KryptonError('KRY_HSM_CONFIG', 'YubiHSM authentication key id must be 1..65535');
  }
  if (password.length === 0) throw new KryptonError('KRY_HSM_CONFIG', 'YubiHSM password is empty');
  return authKeyId.toString(16).padStart(4, '0') + password;
}

const CONNECTOR_URL = /^(https?:\/\/[A-Za-z0-9.\-[\]:]+(\/[A-Za-z0-9._~\-/]*)?|yhusb:\/\/([A-Za-z0-9=&]*)?)$/;

/** Text of yubihsm_pkcs11.conf. Values are checked so nothing can inject another directive. */
export function yubiHsmModuleConfig(opts: {
  connectorUrl: string;
  connectorCaCert?: string;
  timeoutSeconds?: number;
}): string {
  if (!CONNECTOR_URL.test(opts.connectorUrl)) {
    throw new KryptonError(
      'KRY_HSM_CONFIG',
      'YubiHSM connector URL must be http(s)://host[:port] or yhusb://',
    );
  }
  const lines = [`connector = ${opts.connectorUrl}`];
  if (opts.connectorCaCert !== undefined) {
    if (/[\r\n]/.test(opts.connectorCaCert) || opts.connectorCaCert.length === 0) {
      throw new KryptonError('KRY_HSM_CONFIG', 'YubiHSM connector CA certificate path is invalid');
    }
    lines.push(`cacert = ${opts.connectorCaCert}`);
  }
  const timeout = opts.timeoutSeconds ?? 5;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300) {
    throw new KryptonError('KRY_HSM_CONFIG', 'YubiHSM connector timeout must be 1..300 seconds');
  }
  lines.push(`timeout = ${timeout}`);
  return lines.join('\n') + '\n';
}

/** Wrap Data under AES-256-CCM wrap keys: the mechanisms a YubiHSM 2 offers that authenticate. */
export const yubiHsm2Profile: Pkcs11MechanismProfile = Object.freeze({
  name: 'yubihsm2',
  keyWrap: 'YUBICO_AES_CCM_WRAP',
  dataEncryption: 'YUBICO_AES_CCM_WRAP',
  wrapIsRfc5649: false,
  maxWrapInputBytes: 512,
  requiredMechanisms: (p11: Pkcs11Js) => [YUBICO_AES_CCM_WRAP, p11.CKM_GENERIC_SECRET_KEY_GEN],
  generation(p11: Pkcs11Js) {
    // CKA_ENCRYPT/DECRYPT map to the wrap-data/unwrap-data capabilities; CKA_WRAP/UNWRAP
    // (export-wrapped/import-wrapped) stay off so no object can be exported under an L1.
    return {
      mechanism: p11.CKM_GENERIC_SECRET_KEY_GEN,
      template: [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: YUBICO_AES256_CCM_WRAP_KEY_TYPE },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_SENSITIVE, value: true },
        { type: p11.CKA_EXTRACTABLE, value: false },
        { type: p11.CKA_ENCRYPT, value: true },
        { type: p11.CKA_DECRYPT, value: true },
        { type: p11.CKA_WRAP, value: false },
        { type: p11.CKA_UNWRAP, value: false },
      ],
    };
  },
  expectedFlags(p11: Pkcs11Js) {
    return [
      [p11.CKA_EXTRACTABLE, false],
      [p11.CKA_ENCRYPT, true],
      [p11.CKA_DECRYPT, true],
    ] as const;
  },
});

let appliedConfig: string | undefined;

/** The pkcs11 adapter options of the YubiHSM 2 preset. */
export function yubiHsm2Options(opts: YubiHsmOptions): Pkcs11HsmOptions {
  const modulePath = opts.modulePath ?? DEFAULT_YUBIHSM_MODULE;
  const config = yubiHsmModuleConfig({
    connectorUrl: opts.connectorUrl,
    ...(opts.connectorCaCert !== undefined ? { connectorCaCert: opts.connectorCaCert } : {}),
    ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
  });
  const authKeyId = opts.authKeyId;
  formatYubiHsmPin(authKeyId, 'x'); // validate the id now, at boot
  return {
    modulePath,
    tokenLabel: opts.tokenLabel ?? DEFAULT_YUBIHSM_TOKEN_LABEL,
    pin: opts.password,
    profile: yubiHsm2Profile,
    ...(opts.sessionPoolSize !== undefined ? { sessionPoolSize: opts.sessionPoolSize } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    formatPin: (password) => formatYubiHsmPin(authKeyId, password),
    prepareModule: () => {
      // The module reads its configuration once, at C_Initialize.
      if (isPkcs11ModuleLoaded(modulePath)) {
        if (appliedConfig !== config) {
          throw new KryptonError(
            'KRY_HSM_CONFIG',
            'the YubiHSM module is already initialised with another connector',
          );
        }
        return;
      }
      const dir = opts.configDir ?? join(tmpdir(), 'krypton-yubihsm');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, 'yubihsm_pkcs11.conf');
      writeFileSync(file, config, { mode: 0o600 });
      process.env.YUBIHSM_PKCS11_CONF = file;
      appliedConfig = config;
    },
  };
}

export function createYubiHsm(opts: YubiHsmOptions): Pkcs11Hsm {
  return new Pkcs11Hsm(yubiHsm2Options(opts));
}
