/**
 * The audit record on disk: one JSON object per line, fields in a fixed order, each record
 * carrying `prev`, the SHA-256 (hex) of the exact bytes of the previous line (newline excluded).
 * The first record of a file carries GENESIS. Records hold who, what, on which identifiers and
 * the result — never key material, credentials or payloads.
 */
import * as crypto from 'node:crypto';
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

/** One-shot `crypto.hash` (Node ≥ 20.12) where available: no Hash object per line. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashLine(line: string): string {
  return oneShot ? oneShot('sha256', line, 'hex') : createHash('sha256').update(line, 'utf8').digest('hex');
}

/**
 * Serialises one record; the field order is fixed so the bytes (and the chain) are stable. The
 * same bytes as `JSON.stringify` of an {@link AuditLine} with its fields in declaration order,
 * written out field by field (no intermediate object or array copy on the hot path).
 */
export function formatAuditLine(record: AuditRecord, seq: number, prev: string): string {
  // JSON.stringify escapes control characters: a principal cannot forge a line break.
  const j = JSON.stringify;
  const reason = record.resultReason !== undefined ? `,"reason":${j(String(record.resultReason))}` : '';
  return (
    `{"seq":${j(seq)},"time":${j(record.time.toISOString())},"principal":${j(record.principal)}` +
    `,"tenant":${j(record.tenant)},"transport":${j(record.transport)},"remote":${j(record.remoteAddress)}` +
    `,"operation":${j(record.operation)},"batchIndex":${j(record.batchIndex)}` +
    `,"identifiers":${j(record.identifiers ?? [])},"result":${j(record.resultStatus)}${reason}` +
    `,"prev":${j(prev)}}`
  );
}
