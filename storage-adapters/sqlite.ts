/**
 * SQLite on better-sqlite3 — the embedded default. WAL mode lets readers proceed while one
 * writer commits. better-sqlite3 is synchronous, so a second connection to the same file in
 * the same process would wait for a lock (busy_timeout) while blocking the very thread that
 * holds it: every store of one process therefore shares one connection per file, and its
 * transactions queue in knex's pool instead. Several processes on one file are served by
 * busy_timeout; several nodes belong on PostgreSQL.
 */
import { resolve } from 'node:path';
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

const open = new Map<string, { db: Knex; refs: number }>();

async function connect(filename: string): Promise<Knex> {
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
    entry = { db: await connect(key), refs: 0 };
    // Another caller may have connected while we awaited the import.
    const raced = open.get(key);
    if (raced) {
      await entry.db.destroy();
      entry = raced;
    } else {
      open.set(key, entry);
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
        await shared.db.destroy();
      }
    },
  };
}
