/**
 * SQLite on better-sqlite3 — the embedded default. WAL mode lets readers proceed while one
 * writer commits. better-sqlite3 is synchronous, so a second connection to the same file in
 * the same process would wait for a lock (busy_timeout) while blocking the very thread that
 * holds it: every store of one process therefore shares one connection per file, and its
 * transactions queue in knex's pool instead. Several processes on one file are served by
 * busy_timeout; several nodes belong on PostgreSQL.
 *
 * Checkpoints run on a worker thread (one per process) with a connection of its own per file: SQLite's automatic
 * checkpoint would copy the WAL into the database and fsync both inside some commit, on the
 * event loop (a stall of several milliseconds every few hundred creates, and about a third of
 * a create's cost). A PASSIVE checkpoint never blocks the writer; the commit-time checkpoint
 * stays as a backstop at a larger WAL, should the worker fall behind or fail.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import { SILENT_LOG } from './knex-store.js';
import { attachInsertThread, SqliteInsertThread } from './sqlite-writer.js';

export interface SqliteStoreLocation {
  readonly adapter: 'sqlite';
  /** Database file, or ':memory:'. */
  readonly filename: string;
}

interface BetterSqliteConnection {
  pragma(source: string): unknown;
}

export interface SharedConnection {
  readonly db: Knex;
  release(): Promise<void>;
}

/**
 * How often the worker checkpoints the WAL. Short: each checkpoint fsyncs what it copied, and a
 * large one holds up every other flush of the disk meanwhile — the audit log's fdatasync under
 * `fsync: always` waited 20–40 ms behind a 200 ms checkpoint (Create p99 22–28 ms at 16
 * connections); at 50 ms the p99 is 11 ms and the rate 4 % higher. Below 20 ms the rate falls.
 */
const CHECKPOINT_INTERVAL_MS = 50;
/** WAL pages (4 KiB) at which a commit checkpoints itself: only when the worker lags or failed. */
const BACKSTOP_AUTOCHECKPOINT = 10_000;

/** One worker for every database file of the process: files come and go by message. */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
const checkpoint = (db) => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(() => { for (const db of files.values()) checkpoint(db); }, workerData.intervalMs);
parentPort.on('message', ({ add, remove, id }) => {
  try {
    if (add !== undefined && !files.has(add)) {
      const db = new Database(add);
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      files.set(add, db);
    }
    if (remove !== undefined && files.has(remove)) {
      const db = files.get(remove);
      files.delete(remove);
      checkpoint(db);
      db.close();
    }
  } catch {}
  parentPort.postMessage({ id });
  if (files.size === 0 && remove !== undefined) { clearInterval(timer); parentPort.close(); }
});
`;

interface CheckpointWorker {
  readonly worker: Worker;
  readonly files: Set<string>;
  next: number;
}

let checkpointWorker: CheckpointWorker | undefined;

/** Sends one request to the worker; resolves on its answer (or when it is gone). */
function ask(cw: CheckpointWorker, message: { add?: string; remove?: string }): Promise<void> {
  const id = cw.next++;
  return new Promise<void>((done) => {
    const timer = setTimeout(finish, 5000);
    function finish(): void {
      clearTimeout(timer);
      cw.worker.off('message', onMessage);
      cw.worker.off('exit', finish);
      done();
    }
    function onMessage(m: { id?: number }): void {
      if (m.id === id) finish();
    }
    cw.worker.on('message', onMessage);
    cw.worker.once('exit', finish);
    cw.worker.postMessage({ ...message, id });
  });
}

/** Background checkpoints for `filename`; false where no worker can start (the backstop stays). */
async function addCheckpoints(filename: string): Promise<boolean> {
  if (!checkpointWorker) {
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        workerData: { driver, intervalMs: CHECKPOINT_INTERVAL_MS },
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      });
      worker.unref();
      const cw: CheckpointWorker = { worker, files: new Set(), next: 0 };
      // A failed worker leaves the commit-time backstop: slower, never unsafe.
      worker.on('error', () => {});
      worker.once('exit', () => {
        if (checkpointWorker === cw) checkpointWorker = undefined;
      });
      checkpointWorker = cw;
    } catch {
      return false;
    }
  }
  const cw = checkpointWorker;
  cw.files.add(filename);
  await ask(cw, { add: filename });
  return true;
}

async function removeCheckpoints(filename: string): Promise<void> {
  const cw = checkpointWorker;
  if (!cw?.files.delete(filename)) return;
  // The worker ends itself with its last file; a new one starts with the next.
  if (cw.files.size === 0) checkpointWorker = undefined;
  await ask(cw, { remove: filename });
}

interface OpenFile {
  readonly db: Knex;
  refs: number;
  checkpoints: boolean;
  inserts?: SqliteInsertThread;
}

const open = new Map<string, OpenFile>();

async function connect(filename: string, backgroundCheckpoints = false): Promise<Knex> {
  const { default: knex } = await import('knex');
  return knex({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // knex would print driver errors (with SQL) to the console; they reach the caller as coded errors.
    log: SILENT_LOG,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: BetterSqliteConnection, done: (err: Error | null, c: unknown) => void) {
        try {
          connection.pragma('journal_mode = WAL');
          // NORMAL is durable in WAL mode except for the last commits before a power loss.
          connection.pragma('synchronous = NORMAL');
          connection.pragma('foreign_keys = ON');
          connection.pragma('busy_timeout = 5000');
          if (backgroundCheckpoints) connection.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT}`);
          done(null, connection);
        } catch (err) {
          done(err as Error, connection);
        }
      },
    },
  });
}

/** The group commits of creates on a thread of their own (sqlite-writer.ts); none where it cannot start. */
function startInsertThread(db: Knex, filename: string): SqliteInsertThread | undefined {
  try {
    const thread = new SqliteInsertThread(filename, BACKSTOP_AUTOCHECKPOINT);
    attachInsertThread(db, thread);
    return thread;
  } catch {
    return undefined;
  }
}

export async function connectSqlite(location: SqliteStoreLocation): Promise<SharedConnection> {
  if (typeof location.filename !== 'string' || location.filename.length === 0) {
    throw new TypeError('sqlite adapter needs a filename');
  }
  if (location.filename === ':memory:') {
    const db = await connect(location.filename);
    return { db, release: () => db.destroy() };
  }
  const key = resolve(location.filename);
  let entry = open.get(key);
  if (!entry) {
    // The database file (and its WAL) exists once knex's first connection opened it.
    const db = await connect(key, true);
    entry = { db, refs: 0, checkpoints: false };
    // Another caller may have connected while we awaited the import.
    const raced = open.get(key);
    if (raced) {
      await entry.db.destroy();
      entry = raced;
    } else {
      open.set(key, entry);
      try {
        await db.raw('select 1');
      } catch (err) {
        open.delete(key);
        await db.destroy();
        throw err;
      }
      entry.checkpoints = await addCheckpoints(key);
      entry.inserts = startInsertThread(db, key);
    }
  }
  entry.refs += 1;
  const shared = entry;
  let released = false;
  return {
    db: shared.db,
    async release() {
      if (released) return;
      released = true;
      shared.refs -= 1;
      if (shared.refs === 0) {
        open.delete(key);
        await shared.inserts?.close();
        if (shared.checkpoints) await removeCheckpoints(key);
        await shared.db.destroy();
      }
    },
  };
}
