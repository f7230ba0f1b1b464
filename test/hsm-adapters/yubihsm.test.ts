/**
 * YubiHSM 2 preset: what can be checked without a device (configuration, PIN format, mechanism
 * choice). What needs a device is listed in docs/hsm.md with the steps to test it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pkcs11js } from '../../hsm-adapters/pkcs11-module-registry.js';
import { standardPkcs11Profile } from '../../hsm-adapters/pkcs11-profile.js';
import { Pkcs11Hsm, YUBICO_AES_CCM_WRAP } from '../../hsm-adapters/pkcs11.js';
import {
  DEFAULT_YUBIHSM_MODULE,
  YUBICO_AES256_CCM_WRAP_KEY_TYPE,
  createYubiHsm,
  formatYubiHsmPin,
  yubiHsm2Options,
  yubiHsm2Profile,
  yubiHsmModuleConfig,
} from '../../hsm-adapters/yubihsm.js';
import { hsmContractSuite, rejectsWith } from './contract.js';

test('yubihsm-pin-is-four-hex-digit-auth-key-id-then-password', () => {
  assert.equal(formatYubiHsmPin(1, 'password'), '0001password');
  assert.equal(formatYubiHsmPin(0x2a, 'pw'), '002apw');
  assert.equal(formatYubiHsmPin(0xffff, 'x'), 'ffffx');
  for (const bad of [0, -1, 0x10000, 1.5, Number.NaN]) {
    assert.throws(() => formatYubiHsmPin(bad, 'pw'), /KRY|authentication key id/);
  }
  assert.throws(() => formatYubiHsmPin(1, ''), /empty/);
});

test('yubihsm-module-config-carries-the-connector-url-and-refuses-injection', () => {
  assert.equal(
    yubiHsmModuleConfig({ connectorUrl: 'http://127.0.0.1:12345' }),
    'connector = http://127.0.0.1:12345\ntimeout = 5\n',
  );
  assert.match(yubiHsmModuleConfig({ connectorUrl: 'yhusb://' }), /^connector = yhusb:\/\/\n/);
  assert.match(
    yubiHsmModuleConfig({
      connectorUrl: 'https://hsm.internal:8443',
      connectorCaCert: '/etc/ca.pem',
      timeoutSeconds: 10,
    }),
    /cacert = \/etc\/ca\.pem\ntimeout = 10\n$/,
  );
  for (const url of ['http://h:1\nlibdebug', 'ftp://h', 'http://h:1 debug', '', 'file:///etc/passwd']) {
    assert.throws(() => yubiHsmModuleConfig({ connectorUrl: url }), /connector URL/);
  }
  assert.throws(
    () => yubiHsmModuleConfig({ connectorUrl: 'http://h', connectorCaCert: 'a\ndebug' }),
    /CA certificate/,
  );
  assert.throws(() => yubiHsmModuleConfig({ connectorUrl: 'http://h', timeoutSeconds: 0 }), /timeout/);
});

test('yubihsm-preset-uses-ccm-wrap-data-because-the-device-lacks-aes-key-wrap-pad-and-gcm', () => {
  const p11 = pkcs11js();
  assert.equal(yubiHsm2Profile.keyWrap, 'YUBICO_AES_CCM_WRAP');
  assert.equal(yubiHsm2Profile.dataEncryption, 'YUBICO_AES_CCM_WRAP');
  assert.equal(yubiHsm2Profile.wrapIsRfc5649, false);
  const required = yubiHsm2Profile.requiredMechanisms(p11);
  assert.ok(!required.includes(p11.CKM_AES_KEY_WRAP_PAD) && !required.includes(p11.CKM_AES_GCM));
  assert.deepEqual(required, [YUBICO_AES_CCM_WRAP, p11.CKM_GENERIC_SECRET_KEY_GEN]);
  // pkcs11y.h: CKM_VENDOR_DEFINED | 0x59554200 | YH_WRAP_KEY (4); CKK_... | YH_ALGO_AES256_CCM_WRAP (42).
  assert.equal(YUBICO_AES_CCM_WRAP, 0xd9554204);
  assert.equal(YUBICO_AES256_CCM_WRAP_KEY_TYPE, 0xd955422a);
  assert.ok(standardPkcs11Profile.requiredMechanisms(p11).includes(p11.CKM_AES_KEY_WRAP_PAD));
});

test('yubihsm-root-key-template-is-a-non-exportable-aes256-ccm-wrap-key-for-wrap-data-only', () => {
  const p11 = pkcs11js();
  const { mechanism, template } = yubiHsm2Profile.generation(p11, 'wrap');
  assert.equal(mechanism, p11.CKM_GENERIC_SECRET_KEY_GEN);
  const attr = (type: number) => template.find((a) => a.type === type)?.value;
  assert.equal(attr(p11.CKA_KEY_TYPE), YUBICO_AES256_CCM_WRAP_KEY_TYPE);
  assert.equal(attr(p11.CKA_VALUE_LEN), 32);
  assert.equal(attr(p11.CKA_EXTRACTABLE), false);
  assert.equal(attr(p11.CKA_SENSITIVE), true);
  assert.equal(attr(p11.CKA_TOKEN), true);
  assert.equal(attr(p11.CKA_ENCRYPT), true, 'wrap-data');
  assert.equal(attr(p11.CKA_DECRYPT), true, 'unwrap-data');
  assert.equal(attr(p11.CKA_WRAP), false, 'no export-wrapped of other objects');
  assert.equal(attr(p11.CKA_UNWRAP), false, 'no import-wrapped');
});

test('yubihsm-options-write-the-module-config-before-initialisation-and-format-the-pin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'krypton-yhsm-'));
  const saved = process.env.YUBIHSM_PKCS11_CONF;
  try {
    const opts = yubiHsm2Options({
      modulePath: join(dir, 'absent-yubihsm_pkcs11.so'),
      connectorUrl: 'http://127.0.0.1:12345',
      authKeyId: 1,
      password: { env: 'KRYPTON_TEST_YHSM_PASSWORD' },
      configDir: dir,
    });
    assert.equal(opts.tokenLabel, 'YubiHSM');
    assert.equal(opts.profile, yubiHsm2Profile);
    assert.equal(opts.formatPin?.('password'), '0001password');
    await opts.prepareModule?.();
    const conf = join(dir, 'yubihsm_pkcs11.conf');
    assert.equal(process.env.YUBIHSM_PKCS11_CONF, conf);
    assert.equal(await readFile(conf, 'utf8'), 'connector = http://127.0.0.1:12345\ntimeout = 5\n');
    assert.equal((await stat(conf)).mode & 0o777, 0o600);
    assert.throws(
      () => yubiHsm2Options({ connectorUrl: 'http://h', authKeyId: 0, password: { env: 'X' } }),
      /authentication key id/,
    );
  } finally {
    if (saved === undefined) delete process.env.YUBIHSM_PKCS11_CONF;
    else process.env.YUBIHSM_PKCS11_CONF = saved;
    await rm(dir, { recursive: true, force: true });
  }
});

test('yubihsm-adapter-without-its-module-fails-to-open-with-a-config-error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'krypton-yhsm-'));
  try {
    const hsm = createYubiHsm({
      modulePath: join(dir, 'no-such-module.so'),
      connectorUrl: 'http://127.0.0.1:12345',
      authKeyId: 1,
      password: { value: 'password' },
      configDir: dir,
    });
    assert.ok(hsm instanceof Pkcs11Hsm);
    assert.equal(hsm.mechanisms().adapter, 'pkcs11/yubihsm2');
    assert.equal(hsm.mechanisms().wrapIsRfc5649, false);
    await rejectsWith(hsm.open(), 'KRY_HSM_CONFIG');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// With a device: KRYPTON_TEST_YUBIHSM_CONNECTOR=http://127.0.0.1:12345 KRYPTON_TEST_YUBIHSM_PASSWORD=...
// [KRYPTON_TEST_YUBIHSM_AUTH_KEY=1] [KRYPTON_TEST_YUBIHSM_MODULE=path] (docs/hsm.md).
const connector = process.env.KRYPTON_TEST_YUBIHSM_CONNECTOR;
hsmContractSuite(
  'pkcs11 on YubiHSM 2',
  async () => ({
    hsm: createYubiHsm({
      modulePath: process.env.KRYPTON_TEST_YUBIHSM_MODULE ?? DEFAULT_YUBIHSM_MODULE,
      connectorUrl: connector ?? 'http://127.0.0.1:12345',
      authKeyId: Number(process.env.KRYPTON_TEST_YUBIHSM_AUTH_KEY ?? '1'),
      password: { env: 'KRYPTON_TEST_YUBIHSM_PASSWORD' },
    }),
  }),
  { skip: connector ? false : 'no YubiHSM 2: set KRYPTON_TEST_YUBIHSM_CONNECTOR (docs/hsm.md)' },
);
