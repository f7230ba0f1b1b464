/**
 * The PyKMIP client (Debian python3-pykmip, run with /usr/bin/python3) against `krypton serve`:
 * mutual TLS over TLS 1.2 with the development PKI, DiscoverVersions and Query.
 * Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { inCI, repoRoot } from '../support/shared.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

async function pykmipAvailable(): Promise<string | false> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    await run(PYTHON, ['-c', 'import kmip']);
    return false;
  } catch {
    return 'PyKMIP is not installed for /usr/bin/python3 (apt install python3-pykmip)';
  }
}

const missing = await pykmipAvailable();
if (missing && inCI) throw new Error(`PyKMIP interop test needs PyKMIP in CI: ${missing}`);

const compiledRoot = new URL('../../', import.meta.url).pathname; // dist/ or .build/server/
const driver = join(repoRoot, 'test', 'interop', 'pykmip_discover_query.py');
let serverProcess: ChildProcess | undefined;
let stateDir = '';
let port = 0;

before(async () => {
  if (missing) return;
  stateDir = mkdtempSync(join(tmpdir(), 'krypton-pykmip-'));
  serverProcess = spawn(
    process.execPath,
    [
      join(compiledRoot, 'core', 'cli', 'main.js'),
      'serve',
      '--profile',
      'standalone',
      '--state-dir',
      stateDir,
      '--ttlv-port',
      '0',
      '--https-port',
      '0',
      '--admin-port',
      '0',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`krypton serve did not start:\n${out}`)), 30_000);
    serverProcess?.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    serverProcess?.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    serverProcess?.once('exit', (code) => reject(new Error(`krypton serve exited with ${code}:\n${out}`)));
  });
});

after(async () => {
  if (!serverProcess || serverProcess.exitCode !== null) return;
  const exited = new Promise((resolve) => serverProcess?.once('exit', resolve));
  serverProcess.kill('SIGTERM');
  await exited;
});

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
  const pki = join(stateDir, 'pki');
  const { stdout } = await run(PYTHON, [
    driver,
    '127.0.0.1',
    String(port),
    join(pki, 'client.pem'),
    join(pki, 'client-key.pem'),
    join(pki, 'ca.pem'),
  ]);
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
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
  assert.ok(serverProcess);
  const exited = new Promise<number | null>((resolve) =>
    serverProcess?.once('exit', (code) => resolve(code)),
  );
  serverProcess.kill('SIGTERM');
  assert.equal(await exited, 0);
});
