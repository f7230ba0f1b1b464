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

/** The ISO text of the current second, without its milliseconds and `Z`: most records share it. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `Date.prototype.toISOString` of `ms`, reusing the text of its second (the call costs ~0.5 µs). */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4); // "….000Z" → "…."
    isoSecond = second;
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** Texts that need no JSON escaping: written between quotes as they are. */
const PLAIN = /^[A-Za-z0-9_.:@/+=-]*$/;

/** Operation names and result words come from small fixed sets: their JSON is kept. */
const wordJson = new Map<string, string>();
const WORDS = 256;

function wordOf(text: string): string {
  let json = wordJson.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (wordJson.size < WORDS) wordJson.set(text, json);
  }
  return json;
}

/** Unique Identifiers are plain text in practice (UUIDs); anything else goes through JSON.stringify. */
function identifiersJson(ids: readonly string[]): string {
  let plain = '';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (!PLAIN.test(id)) return JSON.stringify(ids);
    plain += i === 0 ? `"${id}"` : `,"${id}"`;
  }
  return `[${plain}]`;
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
    `{"seq":${seq},"time":"${isoTime(record.time.getTime())}"${originMembers(record)}` +
    `,"operation":${wordOf(record.operation)},"batchIndex":${record.batchIndex}` +
    `,"identifiers":${identifiersJson(record.identifiers ?? [])},"result":${wordOf(record.resultStatus)}${reason}` +
    `,"prev":"${prev}"}`
  );
}
