/**
 * SQLite on better-sqlite3 — the embedded default. WAL mode lets readers proceed while one
 * writer commits. better-sqlite3 is synchronous, so a second connection to the same file in
 * the same process would wait for a lock (busy_timeout) while blocking the very thread that
 * holds it: every store of one process therefore shares one connection per file, and its
 * transactions queue in knex's pool instead. Several processes on one file are served by
 * busy_timeout; several nodes belong on PostgreSQL.
 *
 * Checkpoints run on a worker thread with a connection of its own: SQLite's automatic
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

/** How often the worker checkpoints the WAL. */
const CHECKPOINT_INTERVAL_MS = 200;
/** WAL pages (4 KiB) at which a commit checkpoints itself: only when the worker lags or failed. */
const BACKSTOP_AUTOCHECKPOINT = 10_000;

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

interface Checkpointer {
  stop(): Promise<void>;
}

/** The WAL checkpointer of one database file, or undefined where a worker cannot start. */
function startCheckpointer(filename: string): Checkpointer | undefined {
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(CHECKPOINTER_SOURCE, {
      eval: true,
      workerData: { driver, filename, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
  } catch {
    return undefined;
  }
  worker.unref();
  // A failed worker leaves the commit-time backstop: slower, never unsafe.
  worker.on('error', () => {});
  return {
    async stop() {
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const open = new Map<string, { db: Knex; refs: number; checkpointer: Checkpointer | undefined }>();

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
    entry = { db, refs: 0, checkpointer: undefined };
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
      entry.checkpointer = startCheckpointer(key);
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
        await shared.checkpointer?.stop();
        await shared.db.destroy();
      }
    },
  };
}
