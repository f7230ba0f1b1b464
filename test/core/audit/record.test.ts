/** The audit line's bytes: exactly JSON.stringify of the record in field order, whoever it names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAuditLine, type AuditLine } from '../../../core/audit/record.js';
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
