/**
 * Append-only, hash-chained audit log in a JSON-lines file.
 *
 * Records are appended by a single writer per file: concurrent requests are queued and written
 * in groups (one synchronous write, one fdatasync per group), so the chain stays linear and
 * `fsync: always` costs one sync per group rather than per request. A failed write is rolled back by truncating
 * to the last good size, so a transient failure (disk full) leaves no torn record behind.
 *
 * One writer per file: within a process, servers naming the same file share one sink; across
 * processes a lock file (`<file>.lock`, holding the pid) refuses a second writer.
 */
import {
  closeSync,
  openSync,
  readSync,
  statSync,
  writeSync,
  readFileSync,
  unlinkSync,
  mkdirSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KryptonError } from '../errors.js';
import type { AuditRecord } from '../dispatch/dispatcher.js';
import { GENESIS, formatAuditLine, hashLine } from './record.js';

export type AuditFsyncPolicy = 'always' | 'interval' | 'none';

export interface JsonLinesAuditSinkOptions {
  /** Absolute path of the log file. */
  path: string;
  /** `always`: synced before the request is answered; `interval`: every `fsyncIntervalMs`; `none`: the OS decides. */
  fsync: AuditFsyncPolicy;
  fsyncIntervalMs?: number;
}

interface Pending {
  record: AuditRecord;
  resolve(): void;
  reject(err: Error): void;
}

/** Largest tail read to find the last record on open; a record is far smaller. */
const TAIL_BYTES = 64 * 1024;
/** Records written per group. */
const GROUP = 512;
/** Groups whose text fits are encoded into a buffer of this size kept by the sink. */
const SCRATCH_BYTES = 128 * 1024;

/** Reads the chain head (hash of the last line) and its seq from the end of the file. */
function readTail(path: string): { head: string; seq: number; size: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { head: GENESIS, seq: 0, size: 0 };
    size = st.size;
  } catch {
    return { head: GENESIS, seq: 0, size: 0 };
  }
  if (size === 0) return { head: GENESIS, seq: 0, size: 0 };
  const fd = openSync(path, 'r');
  try {
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    if (buf[len - 1] !== 0x0a) {
      throw new KryptonError('KRY_AUDIT_CORRUPT', 'the last record is incomplete (run krypton audit verify)');
    }
    const start = buf.lastIndexOf(0x0a, len - 2) + 1;
    if (start === 0 && len < size) {
      throw new KryptonError('KRY_AUDIT_CORRUPT', 'the last record is too long');
    }
    const line = buf.toString('utf8', start, len - 1);
    let seq: unknown;
    try {
      seq = (JSON.parse(line) as { seq?: unknown }).seq;
    } catch {
      seq = undefined;
    }
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      throw new KryptonError(
        'KRY_AUDIT_CORRUPT',
        'the last record is not readable (run krypton audit verify)',
      );
    }
    return { head: hashLine(line), seq, size };
  } finally {
    closeSync(fd);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<path>.lock` for this process; a lock of a dead process is taken over. */
function takeLock(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined; // a device or FIFO: nothing to chain-protect
  } catch {
    // absent: created below
  }
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) {
        throw new KryptonError('KRY_AUDIT_LOCKED', `process ${owner} writes this audit log`);
      }
      unlinkSync(lock); // stale: its process is gone
    }
  }
  throw new KryptonError('KRY_AUDIT_LOCKED', 'lock file could not be taken');
}

export class JsonLinesAuditSink {
  private pending: Pending[] = [];
  private writing = false;
  private closed = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

  private constructor(
    private readonly fh: FileHandle,
    private readonly opts: JsonLinesAuditSinkOptions,
    private readonly lock: string | undefined,
    private head: string,
    private seq: number,
    private size: number,
  ) {
    if (opts.fsync === 'interval') {
      this.syncTimer = setInterval(() => {
        this.fh.datasync().catch(() => {});
      }, opts.fsyncIntervalMs ?? 1000);
      this.syncTimer.unref();
    }
  }

  static async open(opts: JsonLinesAuditSinkOptions): Promise<JsonLinesAuditSink> {
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    const lock = takeLock(opts.path);
    try {
      const tail = readTail(opts.path);
      const fh = await open(opts.path, 'a', 0o600);
      return new JsonLinesAuditSink(fh, opts, lock, tail.head, tail.seq, tail.size);
    } catch (err) {
      if (lock) unlinkSync(lock);
      throw err;
    }
  }

  get path(): string {
    return this.opts.path;
  }

  /** Hash of the last record written: anchor it elsewhere to detect truncation of the tail. */
  get chainHead(): string {
    return this.head;
  }

  /** Resolves once the record is written (and synced under `fsync: always`); rejects otherwise. */
  append(record: AuditRecord): Promise<void> {
    if (this.closed) return Promise.reject(new KryptonError('KRY_AUDIT_UNAVAILABLE', 'audit log closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // After this turn of the event loop's I/O: records of requests answered together share
        // one write (and one sync).
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, GROUP);
      const seq = this.seq + group.length;
      const { bytes, head } = this.encode(group);
      try {
        // A synchronous append: a small write into the page cache costs less than a round trip
        // through the thread pool, and the record is written before any answer waiting on it.
        let written = 0;
        while (written < bytes.length)
          written += writeSync(this.fh.fd, bytes, written, bytes.length - written);
        if (this.opts.fsync === 'always') await this.fh.datasync();
        this.head = head;
        this.seq = seq;
        this.size += bytes.length;
        for (const p of group) p.resolve();
      } catch (err) {
        // Roll back a partial group so the file still ends on a complete, chained record.
        await this.fh.truncate(this.size).catch(() => {});
        const failure = new KryptonError(
          'KRY_AUDIT_UNAVAILABLE',
          (err as NodeJS.ErrnoException).code ?? 'write failed',
        );
        for (const p of group) p.reject(failure);
      }
    }
    this.writing = false;
  }

  /**
   * The group's lines, chained onto the current head, as UTF-8. Groups whose text fits are encoded
   * into a buffer the sink keeps (no allocation per group): it is written synchronously, before the
   * next group is encoded.
   */
  private encode(group: readonly Pending[]): { bytes: Buffer; head: string } {
    let seq = this.seq;
    let head = this.head;
    let text = '';
    for (const p of group) {
      const line = formatAuditLine(p.record, ++seq, head);
      head = hashLine(line);
      text += `${line}\n`;
    }
    return { bytes: this.utf8(text), head };
  }

  private utf8(text: string): Buffer {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    if (text.length * 3 > this.scratch.length) return Buffer.from(text, 'utf8');
    return this.scratch.subarray(0, this.scratch.write(text, 0, 'utf8'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    // Let queued records finish before the file closes.
    for (let i = 0; i < 1000 && this.writing; i++) await new Promise((r) => setTimeout(r, 5));
    await this.fh.datasync().catch(() => {});
    await this.fh.close();
    if (this.lock) {
      try {
        unlinkSync(this.lock);
      } catch {
        // already gone
      }
    }
  }
}

interface Shared {
  sink: Promise<JsonLinesAuditSink>;
  users: number;
}

const openSinks = new Map<string, Shared>();

/** A sink shared by every user of one path in this process; `release` closes it with its last user. */
export async function acquireAuditSink(
  opts: JsonLinesAuditSinkOptions,
): Promise<{ sink: JsonLinesAuditSink; release(): Promise<void> }> {
  let shared = openSinks.get(opts.path);
  if (!shared) {
    shared = { sink: JsonLinesAuditSink.open(opts), users: 0 };
    openSinks.set(opts.path, shared);
    shared.sink.catch(() => openSinks.delete(opts.path));
  }
  shared.users++;
  const entry = shared;
  let sink: JsonLinesAuditSink;
  try {
    sink = await entry.sink;
  } catch (err) {
    entry.users--;
    throw err;
  }
  let released = false;
  return {
    sink,
    async release() {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users === 0 && openSinks.get(opts.path) === entry) {
        openSinks.delete(opts.path);
        await sink.close();
      }
    },
  };
}
