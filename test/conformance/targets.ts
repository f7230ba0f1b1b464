/**
 * Replay targets of the conformance harness. Each entry is one way of standing up Krypton; a
 * further deployment (the gateway in front of a core) is one more entry here and one more
 * expectations file in ./expectations/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmipClient } from '../../core/client/client.js';
import type { ReplayTarget } from '../../core/client/conformance-run.js';
import { startTestServer, testPki } from '../e2e/support.js';

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

export const TARGETS: readonly TargetDefinition[] = Object.freeze([
  { name: 'standalone', create: standaloneTarget },
  {
    name: 'gateway-core',
    pending: 'gateway in front of a core: pending until the gateway role proxies to an upstream core',
  },
]);
