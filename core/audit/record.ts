/**
 * The audit record on disk: one JSON object per line, fields in a fixed order, each record
 * carrying `prev`, the SHA-256 (hex) of the exact bytes of the previous line (newline excluded).
 * The first record of a file carries GENESIS. Records hold who, what, on which identifiers and
 * the result — never key material, credentials or payloads.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../dispatch/dispatcher.js';

export const GENESIS = '0'.repeat(64);

export interface AuditLine {
  seq: number;
  time: string;
  principal: string;
  tenant: string;
  transport: string;
  remote: string;
  operation: string;
  batchIndex: number;
  identifiers: string[];
  result: string;
  reason?: string;
  prev: string;
}

export function hashLine(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** Serialises one record; the field order is fixed so the bytes (and the chain) are stable. */
export function formatAuditLine(record: AuditRecord, seq: number, prev: string): string {
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
  // JSON.stringify escapes control characters: a principal cannot forge a line break.
  return JSON.stringify(line);
}
