/**
 * The audit log (SECURITY-CHECKLIST 32): hash-chained JSON lines written before the response
 * leaves, fail-closed when the sink fails, `krypton audit verify` finds the first broken record.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonLinesAuditSink, verifyAuditLog } from '../../core/audit/index.js';
import type { AuditRecord } from '../../core/dispatch/dispatcher.js';
import { ResultStatus } from '../../core/spec/index.js';
import { rawConnect } from '../e2e/raw.js';
import { repoRoot } from '../support/shared.js';
import { PLACEHOLDER_SET } from './fixtures/hostile-plugin.js';
import {
  assertFailedWith,
  assertGoodClientServed,
  batchCount,
  batchItem,
  emptyPayload,
  operation,
  postKmip,
  queryRequest,
  requestMessage,
  responseOf,
  sendTtlv,
  startHardeningServer,
} from './support.js';

const cli = join(repoRoot, '.build', 'hard', 'core', 'cli', 'main.js');
const cliPath = (() => {
  // Compiled next to this test: <out>/test/hardening → <out>/core/cli/main.js
  const here = new URL('../../core/cli/main.js', import.meta.url).pathname;
  return here || cli;
})();

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const record = (i: number): AuditRecord => ({
  time: new Date(1_700_000_000_000 + i),
  principal: `p${i}`,
  tenant: 't',
  transport: 'in-process',
  remoteAddress: '127.0.0.1',
  operation: 'Query',
  batchIndex: 0,
  identifiers: [`uid-${i}`],
  resultStatus: 'Success',
});

test('audit-records-are-hash-chained-and-verify-intact', async () => {
  const server = await startHardeningServer();
  try {
    // Concurrent requests over both transports: the chain stays linear.
    await Promise.all([
      ...Array.from({ length: 20 }, () => sendTtlv(server, queryRequest())),
      ...Array.from({ length: 20 }, () => postKmip(server, queryRequest())),
    ]);
  } finally {
    await server.close();
  }
  const result = await verifyAuditLog(server.auditPath);
  assert.equal(result.ok, true);
  assert.equal(result.records, 40);
  const recs = records(server.auditPath);
  assert.deepEqual(Object.keys(recs[0] ?? {}), [
    'seq',
    'time',
    'principal',
    'tenant',
    'transport',
    'remote',
    'operation',
    'batchIndex',
    'identifiers',
    'result',
    'prev',
  ]);
  assert.equal(recs[0]?.principal, 'client');
  assert.equal(recs[0]?.tenant, 'default');
  assert.equal(recs[0]?.operation, 'Query');
  assert.equal(recs[0]?.result, 'Success');
  assert.equal(recs[0]?.prev, '0'.repeat(64));
});

test('audit-record-is-on-disk-before-the-response-arrives', async () => {
  const server = await startHardeningServer();
  try {
    const conn = await rawConnect(server.addresses.ttlv?.port ?? 0);
    for (let i = 0; i < 5; i++) {
      conn.socket.write(
        requestMessage([batchCount(1)], [batchItem(operation(PLACEHOLDER_SET), emptyPayload)]),
      );
      const [frame] = await conn.frames(1);
      const uid = responseOf(frame as Buffer).batchItems[0]?.payload?.value[0]?.value;
      // Read synchronously on arrival: the record naming this identifier is already written.
      const last = records(server.auditPath).at(-1);
      assert.deepEqual(last?.identifiers, [uid]);
      assert.equal(last?.operation, 'HostilePlaceholderSet');
    }
    conn.socket.destroy();
  } finally {
    await server.close();
  }
});

test('failing-audit-sink-fails-the-request-closed', async () => {
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  const server = await startHardeningServer({ audit: { path: '/dev/full' } });
  try {
    const { frames } = await sendTtlv(server, queryRequest());
    const item = assertFailedWith(responseOf(frames[0] as Buffer), 'GeneralFailure');
    assert.equal(item.resultMessage, 'audit unavailable');
    const res = await postKmip(server, queryRequest());
    assertFailedWith(responseOf(res.body), 'GeneralFailure');
  } finally {
    await server.close();
  }
});

test('fail-open-audit-is-a-deliberate-setting', async () => {
  const server = await startHardeningServer({ audit: { path: '/dev/full', failClosed: false } });
  try {
    const { frames } = await sendTtlv(server, queryRequest());
    assert.equal(responseOf(frames[0] as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
    await assertGoodClientServed(server);
  } finally {
    await server.close();
  }
});

test('audit-chain-continues-across-restarts', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'krypton-audit-')), 'a.jsonl');
  for (let run = 0; run < 3; run++) {
    const sink = await JsonLinesAuditSink.open({ path, fsync: 'always' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => sink.append(record(run * 10 + i))));
    await sink.close();
  }
  const result = await verifyAuditLog(path);
  assert.deepEqual(result.ok && result.records, 30);
  assert.deepEqual(
    records(path).map((r) => r.seq),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
});

test('second-writer-of-one-audit-log-is-refused', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'krypton-audit-')), 'a.jsonl');
  const first = await JsonLinesAuditSink.open({ path, fsync: 'none' });
  try {
    await assert.rejects(JsonLinesAuditSink.open({ path, fsync: 'none' }), { code: 'KRY_AUDIT_LOCKED' });
  } finally {
    await first.close();
  }
  const again = await JsonLinesAuditSink.open({ path, fsync: 'none' });
  await again.close();
});

test('audit-verify-reports-the-first-broken-record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-audit-'));
  const path = join(dir, 'a.jsonl');
  const sink = await JsonLinesAuditSink.open({ path, fsync: 'none' });
  for (let i = 0; i < 6; i++) await sink.append(record(i));
  await sink.close();
  const lines = readFileSync(path, 'utf8').split('\n');

  const ok = spawnSync(process.execPath, [cliPath, 'audit', 'verify', path], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /6 records, chain intact, head [0-9a-f]{64}/);

  // Record 3 altered (principal rewritten): record 4's prev no longer matches.
  const altered = join(dir, 'altered.jsonl');
  writeFileSync(altered, lines.map((l, i) => (i === 2 ? l.replace('"p2"', '"admin"') : l)).join('\n'));
  const bad = spawnSync(process.execPath, [cliPath, 'audit', 'verify', altered], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /chain broken at record 4 .*prev/);

  // Record 3 removed: record 4 now sits at position 3.
  const removed = join(dir, 'removed.jsonl');
  writeFileSync(removed, lines.filter((_, i) => i !== 2).join('\n'));
  const gap = await verifyAuditLog(removed);
  assert.deepEqual(gap.ok ? 0 : gap.line, 3);

  // A torn last record (crash mid-write) is reported, and a sink refuses to continue after it.
  const torn = join(dir, 'torn.jsonl');
  writeFileSync(torn, lines.slice(0, 5).join('\n') + '\n' + (lines[5] ?? '').slice(0, 20));
  const t = await verifyAuditLog(torn);
  assert.equal(t.ok, false);
  await assert.rejects(JsonLinesAuditSink.open({ path: torn, fsync: 'none' }), { code: 'KRY_AUDIT_CORRUPT' });
});

test('audit-records-never-carry-payload-bytes-or-credentials', async () => {
  const server = await startHardeningServer();
  try {
    await sendTtlv(server, queryRequest());
  } finally {
    await server.close();
  }
  const text = readFileSync(server.auditPath, 'utf8');
  assert.doesNotMatch(text, /payload|password|credential|keyMaterial|KeyValue/i);
});
