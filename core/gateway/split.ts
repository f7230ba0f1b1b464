/**
 * A split deployment on one machine: a core and a gateway as two processes sharing one
 * development PKI (the gateway presents `gateway.pem`, a `gateway: true` principal at the core).
 * Writes the two profile files — the shipped core.json and gateway.json with absolute paths, a
 * state directory each, and the ports asked — for `krypton dev --split`, the tests and the benchmark.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevPki, devPkiFiles, hasDevPki, type DevPkiFiles } from '../auth/pki.js';
import { profilesDir } from '../config/load.js';

export interface SplitPorts {
  readonly ttlv: number;
  readonly https: number;
  readonly admin: number;
}

export interface SplitProfileOptions {
  readonly ports: SplitPorts;
  readonly logLevel?: string;
  /** Merged over the shipped profile (top-level sections replaced, `upstream` merged). */
  readonly patch?: Record<string, unknown>;
}

/** The folder's development PKI, created on first use. */
export async function splitPki(dir: string): Promise<DevPkiFiles> {
  const pkiDir = join(dir, 'pki');
  if (!hasDevPki(pkiDir)) return createDevPki(pkiDir);
  return devPkiFiles(pkiDir);
}

function shipped(name: 'core' | 'gateway'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(profilesDir, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function listeners(p: SplitPorts) {
  return {
    ttlv: { host: '127.0.0.1', port: p.ttlv },
    https: { host: '127.0.0.1', port: p.https },
    admin: { host: '127.0.0.1', port: p.admin },
  };
}

/** Writes `<dir>/core.json` (state in `<dir>/core`); returns its path. */
export function writeCoreProfile(dir: string, pki: DevPkiFiles, opts: SplitProfileOptions): string {
  const base = shipped('core');
  const stateDir = join(dir, 'core');
  mkdirSync(stateDir, { recursive: true });
  const doc = {
    ...base,
    stateDir,
    listeners: listeners(opts.ports),
    tls: { ...(base.tls as object), cert: pki.server, key: pki.serverKey, ca: pki.ca },
    logging: { level: opts.logLevel ?? 'info', pretty: false },
    ...opts.patch,
  };
  const file = join(dir, 'core.json');
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

/** Writes `<dir>/gateway.json` (state in `<dir>/gateway`) pointing at the core's TTLV port. */
export function writeGatewayProfile(
  dir: string,
  pki: DevPkiFiles,
  corePort: number,
  opts: SplitProfileOptions,
): string {
  const base = shipped('gateway');
  const stateDir = join(dir, 'gateway');
  mkdirSync(stateDir, { recursive: true });
  const { upstream: patchUpstream, ...patch } = opts.patch ?? {};
  const doc = {
    ...base,
    stateDir,
    listeners: listeners(opts.ports),
    tls: { ...(base.tls as object), cert: pki.server, key: pki.serverKey, ca: pki.ca },
    logging: { level: opts.logLevel ?? 'info', pretty: false },
    ...patch,
    upstream: {
      ...(base.upstream as object),
      core: `127.0.0.1:${corePort}`,
      tls: { cert: pki.gateway, key: pki.gatewayKey, ca: pki.ca },
      ...(patchUpstream as object | undefined),
    },
  };
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}
