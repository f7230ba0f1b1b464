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

/** Who and from where, as JSON members: the same for every record of a connection. */
interface OriginMembers {
  readonly principal: string;
  readonly tenant: string;
  readonly transport: string;
  readonly remote: string;
  readonly json: string;
}

/** The origins of recent records, most recent first (a handful of clients make most records). */
const recentOrigins: OriginMembers[] = [];
const RECENT_ORIGINS = 16;

function originMembers(record: AuditRecord): string {
  for (const o of recentOrigins) {
    if (
      o.principal === record.principal &&
      o.tenant === record.tenant &&
      o.remote === record.remoteAddress &&
      o.transport === record.transport
    )
      return o.json;
  }
  const j = JSON.stringify;
  const json =
    `,"principal":${j(record.principal)},"tenant":${j(record.tenant)}` +
    `,"transport":${j(record.transport)},"remote":${j(record.remoteAddress)}`;
  recentOrigins.unshift({
    principal: record.principal,
    tenant: record.tenant,
    transport: record.transport,
    remote: record.remoteAddress,
    json,
  });
  if (recentOrigins.length > RECENT_ORIGINS) recentOrigins.pop();
  return json;
}

/**
 * Serialises one record; the field order is fixed so the bytes (and the chain) are stable. The
 * same bytes as `JSON.stringify` of an {@link AuditLine} with its fields in declaration order,
 * written out field by field (no intermediate object or array copy on the hot path): numbers,
 * the ISO time and the hex chain hash need no escaping; every text a client can influence goes
 * through `JSON.stringify`.
 */
export function formatAuditLine(record: AuditRecord, seq: number, prev: string): string {
  // JSON.stringify escapes control characters: a principal cannot forge a line break.
  const j = JSON.stringify;
  const reason = record.resultReason !== undefined ? `,"reason":${j(String(record.resultReason))}` : '';
  return (
    `{"seq":${seq},"time":"${record.time.toISOString()}"${originMembers(record)}` +
    `,"operation":${j(record.operation)},"batchIndex":${record.batchIndex}` +
    `,"identifiers":${j(record.identifiers ?? [])},"result":${j(record.resultStatus)}${reason}` +
    `,"prev":"${prev}"}`
  );
}
