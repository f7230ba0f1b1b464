/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: get_attribute_list, modify_attribute and delete_attribute (KMIP 1.2), set_attribute and
 * get_attribute_list (KMIP 2.0) over mutual TLS 1.2 with the development PKI. PyKMIP 0.10's
 * ProxyKmipClient has no add_attribute. Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

const compiledRoot = new URL('../../', import.meta.url).pathname;
const driver = join(repoRoot, 'test', 'interop', 'pykmip-attributes.py');
let serverProcess: ChildProcess | undefined;
let stateDir = '';
let port = 0;

before(async () => {
  if (missing) return;
  stateDir = mkdtempSync(join(tmpdir(), 'krypton-pykmip-attrs-'));
  serverProcess = spawn(
    process.execPath,
    [
      join(compiledRoot, 'core', 'cli', 'main.js'),
      'serve',
      '--profile',
      'core',
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
    serverProcess?.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    serverProcess?.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    serverProcess?.once('exit', (code) => reject(new Error(`krypton serve exited with ${code}:\n${out}`)));
  });
});

after(async () => {
  if (serverProcess && serverProcess.exitCode === null) {
    const exited = new Promise((resolve) => serverProcess?.once('exit', resolve));
    serverProcess.kill('SIGTERM');
    await exited;
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('pykmip-client-lists-modifies-deletes-and-sets-attributes', { skip: missing }, async () => {
  const pki = join(stateDir, 'pki');
  const { stdout } = await run(PYTHON, [
    driver,
    '127.0.0.1',
    String(port),
    join(pki, 'client.pem'),
    join(pki, 'client-key.pem'),
    join(pki, 'ca.pem'),
  ]);
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
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
