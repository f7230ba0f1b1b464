/**
 * The PyKMIP client (Debian python3-pykmip, run with /usr/bin/python3) against `krypton serve`:
 * mutual TLS over TLS 1.2 with the development PKI, DiscoverVersions and Query.
 * Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pykmipMissing, runPykmipDriver, startKryptonServe, type KryptonProcess } from './support.js';

const missing = await pykmipMissing();
let server: KryptonProcess | undefined;

before(async () => {
  if (!missing) server = await startKryptonServe('standalone', 'pykmip');
});

after(() => server?.stop());

const STANDALONE_OPERATIONS_IN_1_2 = [
  'ACTIVATE',
  'ADD_ATTRIBUTE',
  'ARCHIVE',
  'CANCEL',
  'CHECK',
  'CREATE',
  'CREATE_KEY_PAIR',
  'DECRYPT',
  'DELETE_ATTRIBUTE',
  'DESTROY',
  'DISCOVER_VERSIONS',
  'ENCRYPT',
  'GET',
  'GET_ATTRIBUTES',
  'GET_ATTRIBUTE_LIST',
  'HASH',
  'LOCATE',
  'MAC',
  'MAC_VERIFY',
  'MODIFY_ATTRIBUTE',
  'POLL',
  'QUERY',
  'RECOVER',
  'REGISTER',
  'REKEY',
  'REKEY_KEY_PAIR',
  'REVOKE',
  'RNG_RETRIEVE',
  'RNG_SEED',
  'SIGN',
  'SIGNATURE_VERIFY',
];

test('pykmip-client-runs-discover-versions-and-query-over-mutual-tls', { skip: missing }, async () => {
  const result = (await runPykmipDriver('pykmip_discover_query.py', server!)) as unknown as {
    discover: { status: string; versions: string[] };
    query: { status: string; operations: string[]; vendor: string | null };
  };
  assert.equal(result.discover.status, 'SUCCESS');
  assert.deepEqual(result.discover.versions.slice(0, 1), ['2.1']);
  assert.ok(result.discover.versions.includes('1.2'));
  assert.equal(result.query.status, 'SUCCESS');
  // Exactly the standalone profile's operations that KMIP 1.2 (PyKMIP's default) defines: Set
  // Attribute, Interop and Log are 2.x operations and are not listed in a 1.2 answer.
  assert.deepEqual([...result.query.operations].sort(), STANDALONE_OPERATIONS_IN_1_2);
  assert.equal(result.query.vendor, 'Krypton');
});

test('krypton-serve-stops-on-sigterm', { skip: missing }, async () => {
  assert.ok(server);
  assert.equal(await server.stop(), 0);
});
