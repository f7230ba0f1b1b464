/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: a Symmetric Key and a Private Key registered wrapped (kmip.pie objects with
 * key_wrapping_data: NIST key wrap and key wrap with padding under a key-encryption key PyKMIP
 * registered), used and read back; a tampered one refused. Skipped visibly where PyKMIP is
 * absent, never in CI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pykmipMissing, runPykmipDriver, startKryptonServe, type KryptonProcess } from './support.js';

const missing = await pykmipMissing();
let server: KryptonProcess | undefined;

before(async () => {
  if (!missing) server = await startKryptonServe('core', 'pykmip-wrapped');
});

after(() => server?.stop());

test(
  'pykmip-client-registers-a-symmetric-and-a-private-key-wrapped-under-a-key-it-registered',
  { skip: missing },
  async () => {
    const result = await runPykmipDriver('pykmip-wrapped.py', server!);
    assert.equal(result.symmetric_matches, true, 'the unwrapped AES key encrypts as the original');
    assert.equal(result.private_matches, true, 'the unwrapped private key is returned as registered');
    assert.equal(result.tampered, 'CRYPTOGRAPHIC_FAILURE');
  },
);
