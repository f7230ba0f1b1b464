/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: get_attribute_list, modify_attribute and delete_attribute (KMIP 1.2), set_attribute and
 * get_attribute_list (KMIP 2.0) over mutual TLS 1.2 with the development PKI. PyKMIP 0.10's
 * ProxyKmipClient has no add_attribute. Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pykmipMissing, runPykmipDriver, startKryptonServe, type KryptonProcess } from './support.js';

const missing = await pykmipMissing();
let server: KryptonProcess | undefined;

before(async () => {
  if (!missing) server = await startKryptonServe('core', 'pykmip-attrs');
});

after(() => server?.stop());

test('pykmip-client-lists-modifies-deletes-and-sets-attributes', { skip: missing }, async () => {
  const result = await runPykmipDriver('pykmip-attributes.py', server!);
  const list12 = result.list_v12 as string[];
  for (const name of ['Unique Identifier', 'Object Type', 'State', 'Name', 'Cryptographic Usage Mask'])
    assert.ok(list12.includes(name), `${name} in ${list12.join(', ')}`);
  assert.deepEqual(result.modified, ['pykmip-attr-renamed']);
  assert.deepEqual(result.names_after_modify, ['pykmip-attr-renamed']);
  assert.match(String(result.read_only_refused), /PERMISSION_DENIED/);
  assert.deepEqual(result.deleted, ['pykmip-attr-renamed']);
  assert.deepEqual(result.names_after_delete, []);
  assert.deepEqual(result.sensitive, [true]);
  assert.ok((result.list_v20 as string[]).length > 0);
});
