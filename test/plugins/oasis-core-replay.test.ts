/**
 * Every OASIS profile test case (KMIP 1.0–2.1, mandatory and optional) replayed with the
 * conformance harness against a server started from profiles/core.json over mutual TLS, a fresh
 * server (empty state directory) per file. Files that need what the core does not offer are
 * skipped by the harness (Query) or by test/conformance/skip-list.json, with the reason. The
 * files listed in oasis-core-green.json must pass (a regression fails the test); the others are
 * reported with their first difference.
 *
 * KRYPTON_REPORT_OASIS=<file> writes every outcome there (to refresh oasis-core-green.json).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { KmipClient } from '../../core/client/client.js';
import {
  findTestCases,
  runConformance,
  type ReplayTarget,
  type SkipRule,
} from '../../core/client/conformance-run.js';
import { validateProfileObject } from '../../core/config/load.js';
import { startServer } from '../../core/server/server.js';
import { testPki } from '../e2e/support.js';
import { repoRoot, sharedPath } from '../support/shared.js';

const vectors = sharedPath('kmip-vectors');

const EXPECTED_GREEN: ReadonlySet<string> = new Set(
  JSON.parse(readFileSync(join(repoRoot, 'test', 'plugins', 'oasis-core-green.json'), 'utf8')) as string[],
);

const SKIP_RULES = JSON.parse(
  readFileSync(join(repoRoot, 'test', 'conformance', 'skip-list.json'), 'utf8'),
) as SkipRule[];

/** The shipped core profile on ephemeral ports, a fresh state directory per file. */
function coreTarget(): ReplayTarget {
  const raw = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'core.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return {
    name: 'core',
    async open() {
      const { files } = await testPki();
      const stateDir = mkdtempSync(join(tmpdir(), 'krypton-core-oasis-'));
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
      const server = await startServer(config, { log: pino({ level: 'silent' }), audit: () => undefined });
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

describe('OASIS profile cases against the core profile', { skip: vectors.skip }, () => {
  it('replays-every-profile-case-and-keeps-the-green-ones-green', async () => {
    const files = findTestCases([join(vectors.path, 'oasis-profiles')]);
    const { outcomes } = await runConformance(files, coreTarget(), {
      rules: SKIP_RULES,
      root: vectors.path,
    });
    if (process.env.KRYPTON_REPORT_OASIS)
      writeFileSync(process.env.KRYPTON_REPORT_OASIS, JSON.stringify(outcomes, null, 1));
    const green = new Set(outcomes.filter((o) => o.status === 'pass').map((o) => o.file));
    const regressions = [...EXPECTED_GREEN].filter((name) => !green.has(name));
    assert.deepEqual(
      regressions,
      [],
      JSON.stringify(
        outcomes.filter((o) => regressions.includes(o.file)),
        null,
        1,
      ),
    );
    // Every skip names its reason; nothing is silently left out.
    for (const o of outcomes.filter((x) => x.status === 'skip')) assert.ok(o.reason, o.file);
    assert.equal(outcomes.length, files.length);
  });
});
