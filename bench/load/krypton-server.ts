/**
 * Runs `krypton serve` from the same compiled tree as the benchmark (dist/ or a private
 * outDir), on ephemeral loopback ports, with a given state directory whose development PKI
 * the benchmark created. `nodeArgs` passes e.g. `--cpu-prof` to profile the server.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

/** The compiled tree this file belongs to: <root>/bench/load/krypton-server.js. */
const compiledRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface KryptonServerOptions {
  stateDir: string;
  profile?: string;
  /** `--set PATH=VALUE` overrides, e.g. limits.maxConnections. */
  settings?: Record<string, string | number>;
  nodeArgs?: string[];
  logLevel?: string;
}

export interface KryptonServer {
  readonly process: ServerProcess;
  readonly ttlvPort: number;
  readonly httpsPort: number | undefined;
  readonly operations: string[];
  stop(): Promise<number | null>;
}

export async function startKryptonServer(opts: KryptonServerOptions): Promise<KryptonServer> {
  const sets = Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const proc = await startServerProcess({
    name: `krypton serve --profile ${opts.profile ?? 'standalone'}`,
    command: process.execPath,
    args: [
      ...(opts.nodeArgs ?? []),
      join(compiledRoot, 'core', 'cli', 'main.js'),
      'serve',
      '--profile',
      opts.profile ?? 'standalone',
      '--state-dir',
      opts.stateDir,
      '--host',
      '127.0.0.1',
      '--ttlv-port',
      '0',
      '--https-port',
      '0',
      '--admin-port',
      '0',
      '--log-level',
      opts.logLevel ?? 'warn',
      ...sets,
    ],
    readyPattern:
      /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)[\s\S]*?(?:https:\/\/127\.0\.0\.1:(\d+)\/kmip[\s\S]*?)?Connect with/,
  });
  const m = proc.match as RegExpExecArray;
  const operations = /operations: ([^\n]*)/.exec(proc.output())?.[1]?.split(', ') ?? [];
  return {
    process: proc,
    ttlvPort: Number(m[1]),
    httpsPort: m[2] !== undefined ? Number(m[2]) : undefined,
    operations,
    stop: () => proc.stop(),
  };
}
