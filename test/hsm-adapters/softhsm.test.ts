/**
 * The pkcs11 adapter against a real SoftHSM2. One token folder for this file: SoftHSM2 reads
 * SOFTHSM2_CONF once, when the library is initialised, and that happens once per process.
 * In CI a missing SoftHSM2 fails; elsewhere the suite is skipped with a message.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KeyHierarchy } from '../../core/keys/key-hierarchy.js';
import { unwrapKeyRfc5649, wrapKeyRfc5649 } from '../../core/keys/aes-key-wrap.js';
import { acquirePkcs11Module, pkcs11js } from '../../hsm-adapters/pkcs11-module-registry.js';
import { Pkcs11Hsm } from '../../hsm-adapters/pkcs11.js';
import {
  provisionSoftHsmToken,
  softHsmAvailable,
  type SoftHsmToken,
} from '../../hsm-adapters/softhsm-token.js';
import { MemoryKeyRecords } from '../core/keys/memory-key-records.js';
import { hsmContractSuite, rejectsWith } from './contract.js';
import { captureLogger } from './log-capture.js';

const inCI = process.env.CI === 'true';
const PIN_SENTINEL = 'SENTINEL-PIN-4d2b81';
const TOKEN_LABEL = 'krypton-test';

const available = await softHsmAvailable();
let token: SoftHsmToken | undefined;
if (available) {
  token = await provisionSoftHsmToken({
    tokenLabel: TOKEN_LABEL,
    userPin: PIN_SENTINEL,
    soPin: 'so-pin-8472',
  });
  process.env.KRYPTON_TEST_SOFTHSM_PIN = PIN_SENTINEL;
}
const skip = available
  ? false
  : 'SoftHSM2 is not installed: apt-get install softhsm2 (Debian package softhsm2)';

test('softhsm2-is-installed-when-running-in-ci', { skip: !inCI }, () => {
  assert.ok(available, 'CI must install softhsm2 (.ci/run): the SoftHSM suite may not be skipped in CI');
});

after(async () => {
  await token?.remove();
});

function adapter(extra: Partial<ConstructorParameters<typeof Pkcs11Hsm>[0]> = {}): Pkcs11Hsm {
  if (token === undefined) throw new Error('no token');
  return new Pkcs11Hsm({
    modulePath: token.modulePath,
    tokenLabel: token.tokenLabel,
    pin: { env: 'KRYPTON_TEST_SOFTHSM_PIN' },
    sessionPoolSize: 4,
    ...extra,
  });
}

hsmContractSuite('pkcs11 on SoftHSM2', async () => ({ hsm: adapter() }), { skip });

/** A raw session beside the adapter, for what the adapter deliberately cannot do (import a known KEK, read attributes). */
function rawSession() {
  const p11 = pkcs11js();
  const { library } = acquirePkcs11Module(token!.modulePath);
  const slot = library
    .C_GetSlotList(true)
    .find((s) => library.C_GetTokenInfo(s).label.trim() === TOKEN_LABEL)!;
  const session = library.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
  try {
    library.C_Login(session, p11.CKU_USER, PIN_SENTINEL);
  } catch (err) {
    if ((err as Error).message !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
  }
  return { p11, library, session, close: () => library.C_CloseSession(session) };
}

function importKek(label: string, kek: Buffer, extractable = false): void {
  const { p11, library, session, close } = rawSession();
  try {
    library.C_CreateObject(session, [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_PRIVATE, value: true },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_VALUE, value: kek },
      { type: p11.CKA_SENSITIVE, value: true },
      { type: p11.CKA_EXTRACTABLE, value: extractable },
      { type: p11.CKA_WRAP, value: true },
      { type: p11.CKA_UNWRAP, value: true },
      { type: p11.CKA_ENCRYPT, value: false },
      { type: p11.CKA_DECRYPT, value: false },
    ]);
  } finally {
    close();
  }
}

describe('pkcs11 adapter on SoftHSM2', { skip }, () => {
  const hsm = token ? adapter() : undefined!;
  after(() => hsm.close());

  test('key-wrapped-by-softhsm-kwp-unwraps-with-node-id-aes256-wrap-pad-and-back', async () => {
    await hsm.open();
    const kek = randomBytes(32);
    importKek('interop-kek', kek);
    const ref = await hsm.findOrCreateRootKey('interop-kek');
    for (const n of [16, 24, 32, 64]) {
      const key = randomBytes(n);
      const byHsm = await hsm.wrapKey(ref, key);
      assert.deepEqual(unwrapKeyRfc5649(kek, byHsm), key, `SoftHSM → node, ${n} bytes`);
      const byNode = wrapKeyRfc5649(kek, key);
      assert.deepEqual(byNode, byHsm, 'RFC 5649 is deterministic: both sides produce the same bytes');
      assert.deepEqual(await hsm.unwrapKey(ref, byNode), key, `node → SoftHSM, ${n} bytes`);
    }
  });

  test('root-key-is-generated-aes256-sensitive-never-extractable-and-wrap-only', async () => {
    await hsm.open();
    await hsm.findOrCreateRootKey('attr-root');
    const { p11, library, session, close } = rawSession();
    try {
      library.C_FindObjectsInit(session, [{ type: p11.CKA_LABEL, value: 'attr-root' }]);
      const [handle] = library.C_FindObjects(session, 2);
      library.C_FindObjectsFinal(session);
      const flags = [
        p11.CKA_SENSITIVE,
        p11.CKA_EXTRACTABLE,
        p11.CKA_NEVER_EXTRACTABLE,
        p11.CKA_LOCAL,
        p11.CKA_TOKEN,
        p11.CKA_WRAP,
        p11.CKA_UNWRAP,
        p11.CKA_ENCRYPT,
        p11.CKA_DECRYPT,
        p11.CKA_SIGN,
        p11.CKA_DERIVE,
      ];
      const values = library
        .C_GetAttributeValue(
          session,
          handle!,
          flags.map((type) => ({ type })),
        )
        .map((a) => a.value[0] === 1);
      assert.deepEqual(values, [true, false, true, true, true, true, true, false, false, false, false]);
      const [len, type] = library.C_GetAttributeValue(session, handle!, [
        { type: p11.CKA_VALUE_LEN },
        { type: p11.CKA_KEY_TYPE },
      ]);
      assert.equal(len!.value.readUInt32LE(0), 32);
      assert.equal(type!.value.readUInt32LE(0), p11.CKK_AES);
      assert.throws(
        () => library.C_GetAttributeValue(session, handle!, [{ type: p11.CKA_VALUE }]),
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
    } finally {
      close();
    }
  });

  test('existing-key-with-the-label-but-extractable-is-refused-as-root', async () => {
    await hsm.open();
    importKek('weak-root', randomBytes(32), true);
    await rejectsWith(hsm.findOrCreateRootKey('weak-root'), 'KRY_HSM_CONFIG');
  });

  test('library-is-initialised-once-and-shared-by-adapters-of-one-module', async () => {
    await hsm.open();
    const other = adapter({ sessionPoolSize: 1 });
    await other.open();
    assert.equal(
      acquirePkcs11Module(token!.modulePath).library,
      acquirePkcs11Module(token!.modulePath).library,
    );
    const root = await hsm.findOrCreateRootKey('shared-root');
    const wrapped = await hsm.wrapKey(root, Buffer.alloc(32, 4));
    assert.deepEqual(await other.unwrapKey(root, wrapped), Buffer.alloc(32, 4));
    await other.close();
    assert.deepEqual(
      await hsm.unwrapKey(root, wrapped),
      Buffer.alloc(32, 4),
      'closing one adapter leaves the other working',
    );
  });

  test('token-is-found-by-label-and-an-unknown-label-fails-clearly', async () => {
    await rejectsWith(adapter({ tokenLabel: 'no-such-token' }).open(), 'KRY_HSM_UNAVAILABLE');
  });

  test('wrong-pin-is-refused-and-pins-never-reach-logs-or-errors', async () => {
    // Login is per process and token: close every session so the wrong PIN is really checked.
    await hsm.close();
    const { logger, text } = captureLogger();
    const wrong = adapter({ pin: { value: 'SENTINEL-WRONG-PIN-99' }, logger });
    await assert.rejects(wrong.open(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'KRY_HSM_REFUSED');
      assert.ok(!err.message.includes('SENTINEL'));
      return true;
    });
    const dir = token!.dir;
    await writeFile(join(dir, 'pin.txt'), `${PIN_SENTINEL}\n`, { mode: 0o600 });
    const viaFile = adapter({ pin: { file: join(dir, 'pin.txt') }, logger });
    await viaFile.open();
    const root = await viaFile.findOrCreateRootKey('log-root');
    await viaFile.unwrapKey(root, await viaFile.wrapKey(root, randomBytes(32)));
    await viaFile.close();
    assert.match(text(), /HSM opened/);
    assert.ok(!text().includes(PIN_SENTINEL) && !text().includes('SENTINEL-WRONG-PIN'), 'no PIN in the log');
  });

  test('hsm-calls-leave-the-event-loop-free', async () => {
    await hsm.open();
    const root = await hsm.findOrCreateRootKey('loop-root');
    const wrapped = await hsm.wrapKey(root, randomBytes(32));
    let ticks = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      ticks += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    for (let i = 0; i < 50; i++) await hsm.unwrapKey(root, wrapped);
    done = true;
    // Synchronous PKCS#11 calls would finish all 50 inside microtasks: zero ticks.
    assert.ok(ticks >= 25, `event loop turned ${ticks} times during 50 unwraps`);
  });

  test('key-hierarchy-on-softhsm-says-root-unavailable-once-l1-is-cut', async () => {
    await hsm.open();
    const records = new MemoryKeyRecords();
    const keys = new KeyHierarchy({ hsm, rootKeyLabel: 'hierarchy-l1', records, rootCheckIntervalMs: 0 });
    await keys.open();
    const l3 = await keys.createServiceKey('tenant-a');
    const { wrapped } = await keys.wrapUnderL3(l3, Buffer.alloc(32, 2));
    keys.invalidate(l3);
    const l2 = [...records.records.values()].find((r) => r.level === 'L2')!;
    keys.invalidate(l2.id);
    assert.deepEqual(
      (await keys.unwrapUnderL3(l3, wrapped)).key,
      Buffer.alloc(32, 2),
      'cold chain L1→L2→L3 through SoftHSM',
    );

    await hsm.destroyKey({ label: 'hierarchy-l1', purpose: 'wrap' });
    assert.equal(await keys.checkRoot(), false);
    await rejectsWith(keys.wrapUnderL3(l3, Buffer.alloc(32)), 'KRY_KEY_ROOT_UNAVAILABLE');
    await rejectsWith(keys.unwrapUnderL3(l3, wrapped), 'KRY_KEY_ROOT_UNAVAILABLE');
    await rejectsWith(keys.createServiceKey('tenant-b'), 'KRY_KEY_ROOT_UNAVAILABLE');
    assert.equal(keys.cachedKeys, 0);
    keys.close();
  });
});
