/**
 * `krypton client` against a live server: JSON on stdout for an answer, the Result Reason as
 * JSON on stderr and exit 1 for a server error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../../core/server/server.js';
import { startTestServer, testPki } from '../../e2e/support.js';

const main = fileURLToPath(new URL('../../../core/cli/main.js', import.meta.url));
let server: RunningServer;
let tls: string[];

before(async () => {
  server = await startTestServer();
  const { files } = await testPki();
  tls = [
    '--target',
    `127.0.0.1:${server.addresses.ttlv?.port ?? 0}`,
    '--ca',
    files.ca,
    '--cert',
    files.client,
    '--key',
    files.clientKey,
  ];
});
after(() => server.close());

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, 'client', ...args], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('client-command-prints-query-and-discover-versions-as-json', async () => {
  const q = await run(['query', ...tls]);
  assert.equal(q.code, 0, q.stderr);
  const answer = JSON.parse(q.stdout) as { operations: string[] };
  assert.ok(answer.operations.includes('Query'));
  const dv = await run(['discover-versions', ...tls]);
  assert.deepEqual((JSON.parse(dv.stdout) as { versions: string[] }).versions[0], '2.1');
});

test('client-command-reports-the-result-reason-of-a-failed-operation', async () => {
  const out = await run(['raw', 'Certify', ...tls, '--version', '1.4']);
  assert.equal(out.code, 1);
  assert.deepEqual(JSON.parse(out.stderr).error.resultReason, 'OperationNotSupported');
});

test('client-command-refuses-an-unknown-operation', async () => {
  const out = await run(['juggle', ...tls]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /unknown operation 'juggle'/);
});
