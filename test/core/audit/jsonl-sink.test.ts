// The audit sink's bytes: records appended one at a time and in large bursts (groups encoded into
// the sink's kept buffer, and groups too large for it) give exactly the file the chain definition
// gives — formatAuditLine and hashLine line by line from GENESIS — for any record text.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JsonLinesAuditSink, verifyAuditLog } from '../../../core/audit/index.js';
import { GENESIS, formatAuditLine, hashLine } from '../../../core/audit/record.js';
import type { AuditRecord } from '../../../core/dispatch/dispatcher.js';

const dir = mkdtempSync(join(tmpdir(), 'krypton-audit-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = [
  'plain',
  'é漢字😀',
  '\u2028\u2029',
  'quote"back\\slash',
  'new\nline',
  '\u0000\u001f',
  '"prev":"x"}',
];

function record(i: number): AuditRecord {
  const text = TEXTS[i % TEXTS.length]!;
  return {
    time: new Date(1_800_000_000_000 + i * 7),
    principal: `${text}-${i}`,
    tenant: i % 3 === 0 ? text : 't',
    transport: 'ttlv',
    remoteAddress: '127.0.0.1',
    operation: i % 2 === 0 ? 'Encrypt' : 'Get',
    batchIndex: i % 4,
    identifiers: i % 5 === 0 ? [] : [`uid-${i}`, text],
    resultStatus: i % 6 === 0 ? 'OperationFailed' : 'Success',
    ...(i % 6 === 0 ? { resultReason: 'Item Not Found' } : {}),
  };
}

/** The log the chain definition gives for `records` from GENESIS. */
function expectedLog(records: readonly AuditRecord[]): { text: string; head: string } {
  let head = GENESIS;
  let text = '';
  records.forEach((r, i) => {
    const line = formatAuditLine(r, i + 1, head);
    head = hashLine(line);
    text += `${line}\n`;
  });
  return { text, head };
}

describe('JsonLinesAuditSink', () => {
  it('writes-the-chain-definition-bytes-for-single-records-and-large-bursts', async () => {
    const path = join(dir, 'sink.jsonl');
    const sink = await JsonLinesAuditSink.open({ path, fsync: 'none' });
    const records = Array.from({ length: 1500 }, (_, i) => record(i));
    // One at a time (groups of one), then 1,400 at once: groups of up to 512, larger than the
    // buffer the sink keeps, and a remainder that fits it.
    for (const r of records.slice(0, 100)) await sink.append(r);
    await Promise.all(records.slice(100).map((r) => sink.append(r)));
    const head = sink.chainHead;
    await sink.close();
    const expected = expectedLog(records);
    assert.equal(readFileSync(path, 'utf8'), expected.text);
    assert.equal(head, expected.head);
    assert.deepEqual(await verifyAuditLog(path), { ok: true, records: 1500, head });
  });

  it('continues-the-chain-of-an-existing-file-after-reopening', async () => {
    const path = join(dir, 'reopened.jsonl');
    const records = Array.from({ length: 60 }, (_, i) => record(i + 7));
    let sink = await JsonLinesAuditSink.open({ path, fsync: 'always' });
    await Promise.all(records.slice(0, 25).map((r) => sink.append(r)));
    await sink.close();
    sink = await JsonLinesAuditSink.open({ path, fsync: 'always' });
    await Promise.all(records.slice(25).map((r) => sink.append(r)));
    await sink.close();
    assert.equal(readFileSync(path, 'utf8'), expectedLog(records).text);
  });
});
