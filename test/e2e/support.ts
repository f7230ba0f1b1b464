import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createDevPki, issueClientCertificate } from '../../core/auth/pki.js';
import type { DevPkiFiles } from '../../core/auth/pki.js';
import { KmipClient } from '../../core/client/client.js';
import type { KmipClientOptions } from '../../core/client/client.js';
import { validateProfileObject } from '../../core/config/load.js';
import { startServer } from '../../core/server/server.js';
import type { RunningServer, StartServerOptions } from '../../core/server/server.js';
import { repoRoot } from '../support/shared.js';

let pki: Promise<{ stateDir: string; files: DevPkiFiles }> | undefined;

/** One development PKI per test process (RSA key generation is the slow part). */
export function testPki(): Promise<{ stateDir: string; files: DevPkiFiles }> {
  pki ??= (async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'krypton-e2e-'));
    const files = await createDevPki(join(stateDir, 'pki'));
    return { stateDir, files };
  })();
  return pki;
}

/** Starts a real server on ephemeral loopback ports with the standalone profile, patched. */
export async function startTestServer(
  patch: Record<string, unknown> = {},
  opts: StartServerOptions = {},
): Promise<RunningServer> {
  const { stateDir } = await testPki();
  const base = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'standalone.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const doc = {
    ...base,
    stateDir,
    listeners: {
      ttlv: { host: '127.0.0.1', port: 0 },
      https: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
    },
    logging: { level: 'silent', pretty: false },
    ...patch,
  };
  const config = validateProfileObject(doc, join(repoRoot, 'profiles', 'test.json'), { env: {} });
  return startServer(config, { log: pino({ level: 'silent' }), ...opts });
}

export async function clientFor(
  server: RunningServer,
  who: 'client' | 'gateway' = 'client',
  extra: Partial<KmipClientOptions> = {},
): Promise<KmipClient> {
  const { files } = await testPki();
  return KmipClient.connect({
    host: '127.0.0.1',
    port: server.addresses.ttlv?.port ?? 0,
    ca: readFileSync(files.ca),
    cert: readFileSync(who === 'client' ? files.client : files.gateway),
    key: readFileSync(who === 'client' ? files.clientKey : files.gatewayKey),
    ...extra,
  });
}

/** A client of `server` as another identity of the development PKI (a certificate issued for `principal`). */
export async function clientAs(server: RunningServer, principal: string): Promise<KmipClient> {
  const { files } = await testPki();
  const other = await issueClientCertificate(dirname(files.ca), principal);
  return KmipClient.connect({
    host: '127.0.0.1',
    port: server.addresses.ttlv?.port ?? 0,
    ca: readFileSync(files.ca),
    cert: readFileSync(other.cert),
    key: readFileSync(other.key),
  });
}

/** A server with two clients of different identities: the dev PKI's `client` and `mallory`. */
export interface TwoIdentities {
  readonly server: RunningServer;
  readonly alice: KmipClient;
  readonly mallory: KmipClient;
  close(): Promise<void>;
}

/** Starts a server with `patch` and connects two identities to it (see TwoIdentities). */
export async function startTwoIdentities(patch: Record<string, unknown> = {}): Promise<TwoIdentities> {
  const server = await startTestServer(patch);
  const alice = await clientFor(server);
  const mallory = await clientAs(server, 'mallory');
  return {
    server,
    alice,
    mallory,
    async close() {
      await alice.close();
      await mallory.close();
      await server.close();
    },
  };
}
