/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: create, get_attributes, locate, activate, encrypt, decrypt, rekey, revoke, destroy over
 * mutual TLS 1.2 with the development PKI. Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pykmipMissing, runPykmipDriver, startKryptonServe, type KryptonProcess } from './support.js';

const missing = await pykmipMissing();
let server: KryptonProcess | undefined;

before(async () => {
  if (!missing) server = await startKryptonServe('core', 'pykmip-core');
});

after(() => server?.stop());

test('pykmip-client-runs-the-key-lifecycle-against-the-core-profile', { skip: missing }, async () => {
  const result = await runPykmipDriver('pykmip-core.py', server!);
  const attributes = result.attributes as Record<string, string>;
  assert.equal(typeof result.created, 'string');
  assert.match(attributes.State ?? '', /PRE_ACTIVE/);
  assert.equal(attributes['Cryptographic Length'], '256');
  assert.equal(attributes['x-krypton-level'], 'L3');
  assert.deepEqual(result.located, [result.created]);
  assert.equal(result.decrypted, 'krypton core via pykmip');
  assert.notEqual(result.rekeyed, result.created);
  assert.equal(result.old_decrypts, 'krypton core via pykmip');
  assert.match(String(result.final_state), /DESTROYED/);
});
