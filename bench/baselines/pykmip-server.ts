/**
 * The PyKMIP server (Debian python3-pykmip 0.10, run with /usr/bin/python3) as a baseline:
 * the benchmark writes its configuration (TLS 1.2 auth suite, mutual TLS with the benchmark's
 * development PKI — server certificate with SAN IP:127.0.0.1 and serverAuth, client
 * certificate with clientAuth), an empty policy directory and a fresh SQLite database, starts
 * it on a free loopback port, waits until it accepts connections, and stops it.
 *
 * PyKMIP serves KMIP 1.0-2.0 (not 2.1) and answers one request at a time per connection
 * (a thread per session), so its scenarios speak 1.4 and do not pipeline.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServerProcess } from '../load/server-process.js';
import type { ServerProcess } from '../load/server-process.js';

export const PYKMIP_PYTHON = '/usr/bin/python3';

/** The operations both PyKMIP and Krypton serve (what the baseline may be compared on). */
export const PYKMIP_OPERATIONS: readonly string[] = Object.freeze([
  'DiscoverVersions',
  'Query',
  'Create',
  'Get',
  'Destroy',
  'Locate',
  'Encrypt',
  'Decrypt',
  'GetAttributes',
]);

/** Why the baseline cannot run here, or false when it can. */
export async function pykmipMissing(): Promise<string | false> {
  if (!existsSync(PYKMIP_PYTHON)) return `${PYKMIP_PYTHON} not found`;
  try {
    await promisify(execFile)(PYKMIP_PYTHON, ['-c', 'import kmip.services.server']);
    return false;
  } catch {
    return `PyKMIP is not installed for ${PYKMIP_PYTHON} (apt install python3-pykmip)`;
  }
}

/** A free loopback port (PyKMIP has no "port 0 and tell me"). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface PykmipServer {
  readonly process: ServerProcess;
  readonly port: number;
  stop(): Promise<number | null>;
}

/** Writes `server.conf` into workDir and starts the server; pkiDir holds the dev PKI files. */
export async function startPykmipServer(workDir: string, pkiDir: string): Promise<PykmipServer> {
  mkdirSync(join(workDir, 'policies'), { recursive: true });
  const port = await freePort();
  const conf = join(workDir, 'server.conf');
  writeFileSync(
    conf,
    [
      '[server]',
      'hostname=127.0.0.1',
      `port=${port}`,
      `certificate_path=${join(pkiDir, 'server.pem')}`,
      `key_path=${join(pkiDir, 'server-key.pem')}`,
      `ca_path=${join(pkiDir, 'ca.pem')}`,
      'auth_suite=TLS1.2',
      `policy_path=${join(workDir, 'policies')}`,
      'enable_tls_client_auth=True',
      // Per-request INFO lines would cost PyKMIP time Krypton does not spend (it logs at warn).
      'logging_level=WARNING',
      `database_path=${join(workDir, 'pykmip.sqlite')}`,
      '',
    ].join('\n'),
  );
  const proc = await startServerProcess({
    name: 'PyKMIP server',
    command: PYKMIP_PYTHON,
    args: ['-m', 'kmip.services.server.server', '-f', conf, '-l', join(workDir, 'server.log')],
    readyPort: port,
    timeoutMs: 60_000,
    cwd: workDir,
  });
  return {
    process: proc,
    port,
    // Its accept loop wakes every 10 s (socket timeout) to notice SIGTERM; SIGKILL after 12 s.
    stop: () => proc.stop(12_000),
  };
}
