/**
 * A core and a gateway as two real `krypton serve` processes of this compiled tree, on loopback
 * ephemeral ports, with one development PKI; clients talk to the gateway only. The core can be
 * stopped and restarted on its port; a wire tap can sit between gateway and core.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevPkiFiles } from '../../core/auth/pki.js';
import { KmipClient } from '../../core/client/client.js';
import type { KmipClientOptions } from '../../core/client/client.js';
import { splitPki, writeCoreProfile, writeGatewayProfile } from '../../core/gateway/split.js';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process.js';

const compiledRoot = fileURLToPath(new URL('../../', import.meta.url));
const READY = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)[\s\S]*?admin\s+http:\/\/127\.0\.0\.1:(\d+)/;

export interface Running {
  readonly process: ServerProcess;
  readonly ttlvPort: number;
  readonly adminPort: number;
}

export async function serve(name: string, profile: string): Promise<Running> {
  const proc = await startServerProcess({
    name,
    command: process.execPath,
    args: [join(compiledRoot, 'core', 'cli', 'main.js'), 'serve', '--profile', profile],
    readyPattern: READY,
    timeoutMs: 60_000,
  });
  const m = proc.match as RegExpExecArray;
  return { process: proc, ttlvPort: Number(m[1]), adminPort: Number(m[2]) };
}

export interface SplitOptions {
  /** Merged into the gateway's `upstream` section. */
  readonly upstream?: Record<string, unknown>;
  /** Where the gateway connects instead of the core (a wire tap in front of it). */
  readonly via?: (corePort: number, pki: DevPkiFiles) => Promise<number>;
  readonly logLevel?: string;
  /** Top-level settings merged into the gateway's profile (e.g. `workers`). */
  readonly gateway?: Record<string, unknown>;
  /** Top-level settings merged into the core's profile (e.g. `workers` with a PostgreSQL `storage`). */
  readonly core?: Record<string, unknown>;
}

export interface Split {
  readonly dir: string;
  readonly pki: DevPkiFiles;
  readonly core: Running;
  readonly gateway: Running;
  /** A client of the gateway (the dev PKI's `client` certificate), or of the core directly. */
  client(
    opts?: Partial<KmipClientOptions> & { to?: 'gateway' | 'core'; as?: 'client' | 'gateway' },
  ): Promise<KmipClient>;
  stopCore(): Promise<void>;
  /** Starts the core again on the same port, with the same state. */
  restartCore(): Promise<void>;
  close(): Promise<void>;
}

export async function startSplit(opts: SplitOptions = {}): Promise<Split> {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-split-'));
  const pki = await splitPki(dir);
  const logLevel = opts.logLevel ?? 'info';
  const coreProfileAt = (ttlv: number) =>
    writeCoreProfile(dir, pki, {
      ports: { ttlv, https: 0, admin: 0 },
      logLevel,
      ...(opts.core && { patch: opts.core }),
    });
  const coreProfile = coreProfileAt(0);
  let core = await serve('core', coreProfile);
  const corePort = core.ttlvPort;
  const target = opts.via ? await opts.via(corePort, pki) : corePort;
  const gatewayProfile = writeGatewayProfile(dir, pki, target, {
    ports: { ttlv: 0, https: 0, admin: 0 },
    logLevel,
    ...((opts.upstream || opts.gateway) && {
      patch: { ...opts.gateway, ...(opts.upstream && { upstream: opts.upstream }) },
    }),
  });
  let gateway: Running;
  try {
    gateway = await serve('gateway', gatewayProfile);
  } catch (err) {
    await core.process.stop();
    throw err;
  }
  const clients: KmipClient[] = [];
  const split: Split = {
    dir,
    pki,
    get core() {
      return core;
    },
    gateway,
    async client(o = {}) {
      const { to, as, ...rest } = o;
      const c = await KmipClient.connect({
        host: '127.0.0.1',
        port: to === 'core' ? core.ttlvPort : gateway.ttlvPort,
        ca: readFileSync(pki.ca),
        cert: readFileSync(as === 'gateway' ? pki.gateway : pki.client),
        key: readFileSync(as === 'gateway' ? pki.gatewayKey : pki.clientKey),
        ...rest,
      });
      clients.push(c);
      return c;
    },
    async stopCore() {
      await core.process.stop();
    },
    async restartCore() {
      core = await serve('core', coreProfileAt(corePort));
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await gateway.process.stop();
      await core.process.stop();
    },
  };
  return split;
}
