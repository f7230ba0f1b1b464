import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SOFTWARE_HSM_WARNING, SoftwareHsm } from '../../hsm-adapters/software.js';
import { hsmContractSuite, rejectsWith } from './contract.js';
import { captureLogger } from './log-capture.js';

const FAST_SCRYPT = { log2N: 12 };
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krypton-swhsm-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

hsmContractSuite('software', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'krypton-swhsm-contract-')), 'root-keys.bin');
  return {
    hsm: new SoftwareHsm({ path, passphrase: { value: 'contract passphrase' }, scrypt: FAST_SCRYPT }),
    cleanup: () => rm(join(path, '..'), { recursive: true, force: true }),
  };
});

test('software-hsm-warns-loudly-at-open-that-it-is-not-for-production', async () => {
  const { logger, text } = captureLogger();
  const hsm = new SoftwareHsm({
    path: join(dir, 'warn.bin'),
    passphrase: { value: 'pw' },
    scrypt: FAST_SCRYPT,
    logger,
  });
  await hsm.open();
  await hsm.close();
  const warning = text()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .find((line) => line.msg === SOFTWARE_HSM_WARNING);
  assert.ok(warning, 'the warning is logged');
  assert.equal(warning.level, 40, 'at warn level');
  assert.match(warning.msg, /NOT FOR PRODUCTION/);
  assert.equal(hsm.mechanisms().production, false);
});

test('software-hsm-root-keys-persist-encrypted-across-reopen', async () => {
  const path = join(dir, 'persist.bin');
  const label = 'persisted-root-label';
  const first = new SoftwareHsm({ path, passphrase: { value: 'correct horse' }, scrypt: FAST_SCRYPT });
  await first.open();
  const root = await first.findOrCreateRootKey(label);
  const wrapped = await first.wrapKey(root, Buffer.alloc(32, 3));
  await first.close();

  const file = await readFile(path);
  assert.ok(!file.includes(Buffer.from(label)), 'labels and keys are inside the ciphertext');
  assert.equal((await stat(path)).mode & 0o777, 0o600);

  const second = new SoftwareHsm({ path, passphrase: { value: 'correct horse' } });
  await second.open();
  assert.deepEqual(await second.unwrapKey(root, wrapped), Buffer.alloc(32, 3));
  await second.close();
});

test('software-hsm-refuses-a-wrong-passphrase', async () => {
  const path = join(dir, 'wrong.bin');
  const hsm = new SoftwareHsm({ path, passphrase: { value: 'right' }, scrypt: FAST_SCRYPT });
  await hsm.open();
  await hsm.findOrCreateRootKey('k');
  await hsm.close();
  await rejectsWith(new SoftwareHsm({ path, passphrase: { value: 'wrong' } }).open(), 'KRY_HSM_REFUSED');
});

test('software-hsm-refuses-a-modified-key-file', async () => {
  const path = join(dir, 'modified.bin');
  const hsm = new SoftwareHsm({ path, passphrase: { value: 'pw' }, scrypt: FAST_SCRYPT });
  await hsm.open();
  await hsm.findOrCreateRootKey('k');
  await hsm.close();
  const file = await readFile(path);
  file[file.length - 1]! ^= 1;
  await writeFile(path, file);
  await rejectsWith(new SoftwareHsm({ path, passphrase: { value: 'pw' } }).open(), 'KRY_HSM_REFUSED');
  await writeFile(path, Buffer.from('not a key file at all'));
  await rejectsWith(new SoftwareHsm({ path, passphrase: { value: 'pw' } }).open(), 'KRY_HSM_CONFIG');
});

test('software-hsm-refuses-a-key-file-asking-for-huge-scrypt-memory', async () => {
  const path = join(dir, 'scrypt.bin');
  const hsm = new SoftwareHsm({ path, passphrase: { value: 'pw' }, scrypt: FAST_SCRYPT });
  await hsm.open();
  await hsm.close();
  const file = await readFile(path);
  file[9] = 30; // log2(N) = 30: 128 GiB
  await writeFile(path, file);
  await rejectsWith(new SoftwareHsm({ path, passphrase: { value: 'pw' } }).open(), 'KRY_HSM_CONFIG');
});

test('software-hsm-is-refused-under-node-env-production-unless-acknowledged', async () => {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    const path = join(dir, 'prod.bin');
    await rejectsWith(
      new SoftwareHsm({ path, passphrase: { value: 'pw' }, scrypt: FAST_SCRYPT }).open(),
      'KRY_HSM_CONFIG',
    );
    const acknowledged = new SoftwareHsm({
      path,
      passphrase: { value: 'pw' },
      scrypt: FAST_SCRYPT,
      acknowledgeNotForProduction: true,
    });
    await acknowledged.open();
    await acknowledged.close();
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
});

test('software-hsm-reads-the-passphrase-from-env-or-file-and-never-logs-it', async () => {
  const sentinel = 'SENTINEL-PASSPHRASE-7f3a9c';
  const { logger, text } = captureLogger();
  process.env.KRYPTON_TEST_SW_PASSPHRASE = sentinel;
  const path = join(dir, 'sentinel.bin');
  const viaEnv = new SoftwareHsm({
    path,
    passphrase: { env: 'KRYPTON_TEST_SW_PASSPHRASE' },
    scrypt: FAST_SCRYPT,
    logger,
  });
  await viaEnv.open();
  const root = await viaEnv.findOrCreateRootKey('sentinel-root');
  const wrapped = await viaEnv.wrapKey(root, Buffer.alloc(32, 5));
  await viaEnv.close();
  await writeFile(join(dir, 'pass.txt'), `${sentinel}\n`);
  const viaFile = new SoftwareHsm({ path, passphrase: { file: join(dir, 'pass.txt') }, logger });
  await viaFile.open();
  await rejectsWith(
    viaFile.unwrapKey(root, Buffer.concat([wrapped.subarray(1), Buffer.alloc(1)])),
    'KRY_CRYPTO_FAILURE',
  );
  await viaFile.close();
  delete process.env.KRYPTON_TEST_SW_PASSPHRASE;
  assert.ok(text().length > 0);
  assert.ok(!text().includes(sentinel), 'the passphrase never reaches the log');
  await rejectsWith(
    new SoftwareHsm({ path, passphrase: { env: 'KRYPTON_TEST_UNSET_VAR' } }).open(),
    'KRY_HSM_CONFIG',
  );
});
