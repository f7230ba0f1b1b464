/**
 * The PyKMIP client (Debian python3-pykmip, /usr/bin/python3) against `krypton serve --profile
 * core`: create_key_pair, get, sign and signature_verify (RSA-PSS), register of every object type
 * and get of each, mac (HMAC-SHA-256), over mutual TLS 1.2 with the development PKI. Skipped
 * visibly where PyKMIP is absent, never in CI.
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
const driver = join(repoRoot, 'test', 'interop', 'pykmip-asymmetric.py');
let serverProcess: ChildProcess | undefined;
let stateDir = '';
let port = 0;

before(async () => {
  if (missing) return;
  stateDir = mkdtempSync(join(tmpdir(), 'krypton-pykmip-asym-'));
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

test(
  'pykmip-client-creates-a-key-pair-signs-verifies-registers-every-object-type-and-macs',
  { skip: missing },
  async () => {
    const pki = join(stateDir, 'pki');
    const { stdout } = await run(PYTHON, [
      driver,
      '127.0.0.1',
      String(port),
      join(pki, 'client.pem'),
      join(pki, 'client-key.pem'),
      join(pki, 'ca.pem'),
      join(pki, 'ca.pem'),
    ]);
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
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
