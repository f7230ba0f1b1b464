/**
 * What the PyKMIP interop tests share: finding PyKMIP (Debian python3-pykmip, run with
 * /usr/bin/python3), starting `krypton serve` as a child process on ephemeral ports with its
 * development PKI, and running a PyKMIP driver script that prints its result as the last JSON line.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inCI, repoRoot } from '../support/shared.js';

const run = promisify(execFile);
export const PYTHON = '/usr/bin/python3';

/** Why PyKMIP cannot run here, or false. In CI its absence is an error, never a skip. */
export async function pykmipMissing(): Promise<string | false> {
  let missing: string | false = false;
  if (!existsSync(PYTHON)) missing = `${PYTHON} not found`;
  else {
    try {
      await run(PYTHON, ['-c', 'import kmip']);
    } catch {
      missing = 'PyKMIP is not installed for /usr/bin/python3 (apt install python3-pykmip)';
    }
  }
  if (missing && inCI) throw new Error(`PyKMIP interop test needs PyKMIP in CI: ${missing}`);
  return missing;
}

export interface KryptonProcess {
  readonly port: number;
  readonly stateDir: string;
  /** The development PKI of this server: client.pem, client-key.pem, ca.pem … */
  readonly pki: string;
  /** SIGTERM, wait for the exit, remove the state; resolves to the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

const cli = join(new URL('../../', import.meta.url).pathname, 'core', 'cli', 'main.js');

/** `krypton serve --profile <profile>` in a fresh state directory; resolves once it listens. */
export async function startKryptonServe(profile: string, prefix: string): Promise<KryptonProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), `krypton-${prefix}-`));
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--profile',
      profile,
      '--state-dir',
      stateDir,
      '--ttlv-port',
      '0',
      '--https-port',
      '0',
    ].concat(['--admin-port', '0', '--log-level', 'warn']),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`krypton serve did not start within 30 s:\n${out}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`krypton serve exited with ${code}:\n${out}`)));
  });
  return {
    port,
    stateDir,
    pki: join(stateDir, 'pki'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(stateDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/** Runs test/interop/<script> against a server with the client PKI; returns its last JSON line. */
export async function runPykmipDriver(
  script: string,
  server: KryptonProcess,
  extra: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const { pki, port } = server;
  const { stdout } = await run(PYTHON, [
    join(repoRoot, 'test', 'interop', script),
    '127.0.0.1',
    String(port),
    join(pki, 'client.pem'),
    join(pki, 'client-key.pem'),
    join(pki, 'ca.pem'),
    ...extra,
  ]);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}
