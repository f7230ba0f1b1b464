/** The audit line's bytes: exactly JSON.stringify of the record in field order, whoever it names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAuditLine, isoTime, type AuditLine } from '../../../core/audit/record.js';
import type { AuditRecord } from '../../../core/dispatch/dispatcher.js';

function expected(record: AuditRecord, seq: number, prev: string): string {
  const line: AuditLine = {
    seq,
    time: record.time.toISOString(),
    principal: record.principal,
    tenant: record.tenant,
    transport: record.transport,
    remote: record.remoteAddress,
    operation: record.operation,
    batchIndex: record.batchIndex,
    identifiers: [...(record.identifiers ?? [])],
    result: record.resultStatus,
    ...(record.resultReason !== undefined && { reason: String(record.resultReason) }),
    prev,
  };
  return JSON.stringify(line);
}

const hostile = [
  'plain',
  'quote"d',
  'back\\slash',
  'line\nbreak',
  'tab\t\u0000nul',
  'ünïcødé ☃',
  '\u2028sep',
  '',
];

describe('formatAuditLine', () => {
  it('writes-the-bytes-json-stringify-writes-for-any-origin', () => {
    let seq = 0;
    const prev = 'ab'.repeat(32);
    // More origins than the recent-origin memo holds, revisited in a different order.
    for (let pass = 0; pass < 3; pass++) {
      for (let i = 0; i < hostile.length * 5; i++) {
        const record: AuditRecord = {
          time: new Date(1_700_000_000_000 + i),
          principal: `${hostile[i % hostile.length]}-${pass === 1 ? 40 - i : i}`,
          tenant: hostile[(i * 3) % hostile.length] as string,
          transport: i % 2 ? 'ttlv' : 'https',
          remoteAddress: `10.0.0.${i % 7}`,
          operation: 'Encrypt',
          batchIndex: i % 4,
          identifiers: i % 5 ? [`id-${hostile[i % hostile.length]}`] : [],
          resultStatus: i % 6 ? 'Success' : 'OperationFailed',
          ...(i % 6 === 0 && { resultReason: 'ItemNotFound' }),
        };
        seq++;
        assert.equal(formatAuditLine(record, seq, prev), expected(record, seq, prev));
      }
    }
  });

  it('writes-identifiers-and-operation-names-as-json-stringify-does', () => {
    const prev = 'cd'.repeat(32);
    const idSets: string[][] = [
      [],
      ['6f1c7a52-9a0e-4c1b-8d8e-0a1b2c3d4e5f'],
      ['a/b+c=d@e:f.g_h-0', 'second', ''],
      ...hostile.map((h) => ['plain-before', h, 'plain-after']),
    ];
    // Operation names the memo has not seen, hostile ones, and more than it keeps.
    const operations = [
      'Encrypt',
      ...hostile,
      ...Array.from({ length: 300 }, (_, i) => `0x${i.toString(16)}`),
    ];
    let seq = 0;
    for (const [i, operation] of operations.entries()) {
      const record: AuditRecord = {
        time: new Date(1_700_000_000_000 + i),
        principal: 'p',
        tenant: 't',
        transport: 'ttlv',
        remoteAddress: '127.0.0.1',
        operation,
        batchIndex: 0,
        identifiers: idSets[i % idSets.length] as string[],
        resultStatus: i % 2 ? 'Success' : 'OperationFailed',
        resultReason: i % 2 ? undefined : 'ItemNotFound',
      };
      seq++;
      assert.equal(formatAuditLine(record, seq, prev), expected(record, seq, prev));
    }
  });

  it('writes-the-time-as-to-iso-string-does-in-any-second', () => {
    const times = [
      0, 1, 9, 10, 99, 100, 999, 1000, -1, -999, -1000, -1001, 1_700_000_000_999, 253_402_300_799_999,
    ];
    times.push(253_402_300_800_000, 8.64e15, -8.64e15, -62_198_755_200_001); // years beyond 9999 and before 0
    for (let i = 0; i < 2000; i++) times.push(Math.floor((Math.random() - 0.3) * 4e13));
    // Runs of the same second, then back to an earlier one: the reused text must follow.
    for (let ms = 1_700_000_000_000; ms < 1_700_000_002_500; ms += 7) times.push(ms);
    times.push(1_700_000_000_500);
    for (const ms of times) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  });

  it('never-answers-a-remembered-origin-for-a-different-one', () => {
    const base: AuditRecord = {
      time: new Date(0),
      principal: 'alice',
      tenant: 't1',
      transport: 'ttlv',
      remoteAddress: '127.0.0.1',
      operation: 'Get',
      batchIndex: 0,
      identifiers: ['k'],
      resultStatus: 'Success',
    };
    const prev = '0'.repeat(64);
    formatAuditLine(base, 1, prev);
    const changes: Partial<AuditRecord>[] = [
      { principal: 'bob' },
      { tenant: 't2' },
      { transport: 'https' },
      { remoteAddress: '::1' },
    ];
    for (const change of changes) {
      const record: AuditRecord = { ...base, ...change };
      const parsed = JSON.parse(formatAuditLine(record, 2, prev)) as AuditLine;
      assert.equal(parsed.principal, record.principal);
      assert.equal(parsed.tenant, record.tenant);
      assert.equal(parsed.transport, record.transport);
      assert.equal(parsed.remote, record.remoteAddress);
    }
  });
});
