/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: create_key_pair, get, sign and signature_verify (RSA-PSS), register of every object type
 * and get of each, mac (HMAC-SHA-256), over mutual TLS 1.2 with the development PKI. Skipped
 * visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pykmipMissing, runPykmipDriver, startKryptonServe, type KryptonProcess } from './support.js';

const missing = await pykmipMissing();
let server: KryptonProcess | undefined;

before(async () => {
  if (!missing) server = await startKryptonServe('core', 'pykmip-asym');
});

after(() => server?.stop());

test(
  'pykmip-client-creates-a-key-pair-signs-verifies-registers-every-object-type-and-macs',
  { skip: missing },
  async () => {
    const result = await runPykmipDriver('pykmip-asymmetric.py', server!, [join(server!.pki, 'ca.pem')]);
    assert.equal(result.public_type, 'PublicKey');
    assert.equal(result.public_length, 2048);
    assert.equal(result.signature_length, 256);
    assert.equal(result.locally_verified, true);
    assert.equal(result.verify_valid, 'VALID');
    assert.equal(result.verify_tampered, 'INVALID');
    for (const what of ['private', 'public', 'certificate', 'secret', 'opaque', 'hmac'])
      assert.equal(result[`${what}_roundtrip`], true, what);
    assert.equal(result.mac_matches, true);
    assert.equal(result.destroyed, true);
  },
);
