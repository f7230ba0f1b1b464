/**
 * Checks an audit log's chain: every line parses, `seq` counts up from 1, and `prev` is the
 * SHA-256 of the line before (GENESIS for the first). Reports the first broken record.
 * Deleting records from the end leaves a valid chain: compare `head` with an anchored copy.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { GENESIS, hashLine } from './record.js';

export type AuditVerification =
  { ok: true; records: number; head: string } | { ok: false; records: number; line: number; problem: string };

export async function verifyAuditLog(path: string): Promise<AuditVerification> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let prev = GENESIS;
  let n = 0;
  let endsWithNewline = true;
  input.on('data', (chunk) => {
    if (chunk.length > 0) endsWithNewline = chunk[chunk.length - 1] === '\n';
  });
  const broken = (problem: string) => {
    lines.close();
    input.destroy();
    return { ok: false as const, records: n, line: n + 1, problem };
  };
  for await (const line of lines) {
    let rec: { seq?: unknown; prev?: unknown };
    try {
      rec = JSON.parse(line) as { seq?: unknown; prev?: unknown };
    } catch {
      return broken('not a JSON record');
    }
    if (typeof rec !== 'object' || rec === null) return broken('not a JSON record');
    if (rec.seq !== n + 1) return broken(`seq ${String(rec.seq)}, expected ${n + 1}`);
    if (rec.prev !== prev) return broken('prev does not match the hash of the previous record');
    prev = hashLine(line);
    n++;
  }
  if (!endsWithNewline) return { ok: false, records: n - 1, line: n, problem: 'incomplete last record' };
  return { ok: true, records: n, head: prev };
}
