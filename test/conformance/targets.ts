/**
 * Replay targets of the conformance harness. Each entry is one way of standing up Krypton, with
 * its expectations file in ./expectations/: the standalone profile, and a gateway in front of a
 * core (the two shipped role profiles, each its own server, talking mutual TLS over loopback).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { KmipClient } from '../../core/client/client.js';
import type { ReplayTarget } from '../../core/client/conformance-run.js';
import { validateProfileObject } from '../../core/config/load.js';
import { TransportKey } from '../../core/gateway/transport-key.js';
import { startServer, type RunningServer } from '../../core/server/server.js';
import { startTestServer, testPki } from '../e2e/support.js';
import { repoRoot } from '../support/shared.js';

export interface TargetDefinition {
  readonly name: string;
  /** Why the target cannot run yet, shown as the skip reason. */
  readonly pending?: string;
  create?(): ReplayTarget;
}

/**
 * The standalone profile (core and gateway roles in one process) as shipped in
 * profiles/standalone.json, started in-process on ephemeral ports. Every file gets a new server
 * with an empty state directory (fresh store and HSM file), sharing only the test PKI.
 */
export function standaloneTarget(): ReplayTarget {
  return {
    name: 'standalone',
    async open() {
      const { files } = await testPki();
      const stateDir = mkdtempSync(join(tmpdir(), 'krypton-conformance-'));
      const server = await startTestServer({
        stateDir,
        tls: { cert: files.server, key: files.serverKey, ca: files.ca, requireClientCert: true },
      });
      const client = await KmipClient.connect({
        host: '127.0.0.1',
        port: server.addresses.ttlv?.port ?? 0,
        ca: readFileSync(files.ca),
        cert: readFileSync(files.client),
        key: readFileSync(files.clientKey),
      });
      return {
        client,
        fresh: true,
        async release() {
          await client.close();
          await server.close();
          rmSync(stateDir, { recursive: true, force: true });
        },
      };
    },
  };
}

function shippedProfile(name: 'core' | 'gateway'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repoRoot, 'profiles', `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
}

const QUIET = { level: 'silent', pretty: false };
const LOOPBACK = {
  ttlv: { host: '127.0.0.1', port: 0 },
  https: { enabled: false },
  admin: { enabled: false },
};

/**
 * A gateway in front of a core: profiles/core.json and profiles/gateway.json as shipped (the
 * gateway's L3 residency `cached`, its vault on SQLite), each started in-process on ephemeral
 * loopback ports with its own state directory; the gateway reaches the core over its mutual-TLS
 * upstream pool with the PKI's gateway certificate, and the client talks to the gateway only.
 * Every file gets a new pair. The gateways share one transport key file, generated once: an RSA
 * key per file would only slow the run, and each new core still registers its public half.
 */
export function gatewayCoreTarget(): ReplayTarget {
  let transportKeyFile: Promise<string> | undefined;
  const transportKey = (dir: string) =>
    (transportKeyFile ??= (async () => {
      const file = join(dir, 'transport-key.pem');
      await TransportKey.loadOrCreate(file, 2048);
      return file;
    })());
  return {
    name: 'gateway-core',
    async open() {
      const { stateDir: pkiDir, files } = await testPki();
      const keyFile = await transportKey(pkiDir);
      const stateDir = mkdtempSync(join(tmpdir(), 'krypton-conformance-gw-'));
      const tls = { cert: files.server, key: files.serverKey, ca: files.ca, requireClientCert: true };
      const log = pino({ level: 'silent' });
      const servers: RunningServer[] = [];
      let client: KmipClient | undefined;
      const release = async () => {
        await client?.close();
        for (const server of servers.reverse()) await server.close();
        rmSync(stateDir, { recursive: true, force: true });
      };
      try {
        const coreProfile = shippedProfile('core');
        mkdirSync(join(stateDir, 'core'));
        const core = await startServer(
          validateProfileObject(
            {
              ...coreProfile,
              stateDir: join(stateDir, 'core'),
              listeners: LOOPBACK,
              tls: { ...(coreProfile.tls as object), ...tls },
              keys: { rootCheckIntervalMs: 0 },
              logging: QUIET,
            },
            join(repoRoot, 'profiles', 'conformance-core.json'),
            { env: {} },
          ),
          { log, audit: () => undefined },
        );
        servers.push(core);
        const gatewayProfile = shippedProfile('gateway');
        mkdirSync(join(stateDir, 'gateway'));
        const gateway = await startServer(
          validateProfileObject(
            {
              ...gatewayProfile,
              stateDir: join(stateDir, 'gateway'),
              listeners: LOOPBACK,
              tls: { ...(gatewayProfile.tls as object), ...tls },
              upstream: {
                ...(gatewayProfile.upstream as object),
                core: `127.0.0.1:${core.addresses.ttlv?.port ?? 0}`,
                tls: { cert: files.gateway, key: files.gatewayKey, ca: files.ca },
                transportKeyFile: keyFile,
              },
              logging: QUIET,
            },
            join(repoRoot, 'profiles', 'conformance-gateway.json'),
            { env: {} },
          ),
          { log, audit: () => undefined },
        );
        servers.push(gateway);
        client = await KmipClient.connect({
          host: '127.0.0.1',
          port: gateway.addresses.ttlv?.port ?? 0,
          ca: readFileSync(files.ca),
          cert: readFileSync(files.client),
          key: readFileSync(files.clientKey),
        });
      } catch (err) {
        await release();
        throw err;
      }
      return { client, fresh: true, release };
    },
  };
}

export const TARGETS: readonly TargetDefinition[] = Object.freeze([
  { name: 'standalone', create: standaloneTarget },
  { name: 'gateway-core', create: gatewayCoreTarget },
]);
