/**
 * The OASIS profile test cases that use only the core's operations (symmetric key lifecycle
 * SKLC, the symmetric parts of CS-BC) replayed with the conformance harness against a server
 * started from profiles/core.json over mutual TLS. Every file in the manifest whose operations
 * the core serves is replayed; the files listed in EXPECTED_GREEN must pass (a regression
 * fails the test), the others are reported with their first difference.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { KmipClient } from '../../core/client/client.js';
import { readTestCase, replayTestCase } from '../../core/client/oasis-replay.js';
import { validateProfileObject } from '../../core/config/load.js';
import { startServer, type RunningServer } from '../../core/server/server.js';
import { testPki } from '../e2e/support.js';
import { repoRoot, sharedPath } from '../support/shared.js';

const vectors = sharedPath('kmip-vectors');
const CORE_OPERATIONS = new Set([
  'Create',
  'Register',
  'Get',
  'GetAttributes',
  'Locate',
  'Activate',
  'Revoke',
  'Destroy',
  'Encrypt',
  'Decrypt',
  'ReKey',
]);

/** Files that replay green today; keep in step with docs/operations.md. */
const EXPECTED_GREEN: ReadonlySet<string> = new Set(
  JSON.parse(readFileSync(join(repoRoot, 'test', 'plugins', 'oasis-core-green.json'), 'utf8')) as string[],
);

function coreFiles(): string[] {
  if (vectors.skip) return [];
  const manifest = readFileSync(join(vectors.path, 'MANIFEST.tsv'), 'utf8').split('\n');
  return manifest
    .map((line) => line.split('\t'))
    .filter(
      ([path, , , , ops]) =>
        path !== undefined && /\/(SKLC|CS-BC)-[^/]*\.xml$/.test(path) && ops !== undefined,
    )
    .filter(([, , , , ops]) => ops!.split(' ').every((op) => CORE_OPERATIONS.has(op)))
    .map(([path]) => path!);
}

describe('OASIS SKLC and CS-BC cases against the core profile', { skip: vectors.skip }, () => {
  let server: RunningServer;
  let stateDir: string;
  before(async () => {
    const { files } = await testPki();
    stateDir = mkdtempSync(join(tmpdir(), 'krypton-core-oasis-'));
    const raw = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'core.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const config = validateProfileObject(
      {
        ...raw,
        stateDir,
        listeners: { ttlv: { port: 0 }, https: { enabled: false }, admin: { enabled: false } },
        tls: { cert: files.server, key: files.serverKey, ca: files.ca },
        keys: { rootCheckIntervalMs: 0 },
        logging: { level: 'silent', pretty: false },
      },
      join(repoRoot, 'profiles', 'core-oasis.json'),
      { env: {} },
    );
    server = await startServer(config, { log: pino({ level: 'silent' }), audit: () => undefined });
  });
  after(async () => {
    await server?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('replays-the-core-only-sklc-and-cs-bc-files', async () => {
    const { files } = await testPki();
    const outcomes: { name: string; status: string; reason?: string }[] = [];
    for (const rel of coreFiles()) {
      const client = await KmipClient.connect({
        host: '127.0.0.1',
        port: server.addresses.ttlv?.port ?? 0,
        ca: readFileSync(files.ca),
        cert: readFileSync(files.client),
        key: readFileSync(files.clientKey),
      });
      try {
        const outcome = await replayTestCase(client, readTestCase(join(vectors.path, rel)), {
          cleanup: true,
        });
        outcomes.push({
          name: rel,
          status: outcome.status,
          ...(outcome.reason !== undefined && { reason: outcome.reason }),
        });
      } finally {
        await client.close();
      }
    }
    const green = outcomes.filter((o) => o.status === 'pass').map((o) => o.name);
    // KRYPTON_REPORT_OASIS=<file>: write every outcome there (to refresh oasis-core-green.json).
    if (process.env.KRYPTON_REPORT_OASIS)
      writeFileSync(process.env.KRYPTON_REPORT_OASIS, JSON.stringify(outcomes, null, 1));
    const regressions = [...EXPECTED_GREEN].filter((name) => !green.includes(name));
    assert.deepEqual(
      regressions,
      [],
      JSON.stringify(
        outcomes.filter((o) => regressions.includes(o.name)),
        null,
        1,
      ),
    );
    assert.ok(green.length >= EXPECTED_GREEN.size);
  });
});
