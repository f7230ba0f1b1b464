/**
 * Adapter name → loader, frozen. A loader imports its driver only when called, so choosing
 * SQLite never loads pg and choosing PostgreSQL never loads the better-sqlite3 native module.
 */
import type { Knex } from 'knex';
import type { StoreDialect } from './knex-store.js';
import type { PostgresStoreLocation } from './postgres.js';
import type { SqliteStoreLocation } from './sqlite.js';

export type StoreLocation = SqliteStoreLocation | PostgresStoreLocation;

export interface ConnectedDatabase {
  readonly db: Knex;
  readonly dialect: StoreDialect;
  /** PostgreSQL schema that holds the tables, when one was named. */
  readonly schema: string | undefined;
  /** Gives the connection back (SQLite shares one per file within a process). */
  release(): Promise<void>;
}

type AdapterLoader = (location: StoreLocation) => Promise<ConnectedDatabase>;

export const STORE_ADAPTERS: Readonly<Record<StoreDialect, AdapterLoader>> = Object.freeze({
  sqlite: async (location: StoreLocation) => {
    const { connectSqlite } = await import('./sqlite.js');
    const { db, release } = await connectSqlite(location as SqliteStoreLocation);
    return { db, dialect: 'sqlite' as const, schema: undefined, release };
  },
  postgres: async (location: StoreLocation) => {
    const { connectPostgres } = await import('./postgres.js');
    const pg = location as PostgresStoreLocation;
    const db = await connectPostgres(pg);
    return { db, dialect: 'postgres' as const, schema: pg.schema, release: () => db.destroy() };
  },
});

export async function connectDatabase(location: StoreLocation): Promise<ConnectedDatabase> {
  const name = typeof location === 'object' && location !== null ? location.adapter : undefined;
  const loader =
    typeof name === 'string' && Object.hasOwn(STORE_ADAPTERS, name) ? STORE_ADAPTERS[name] : undefined;
  if (!loader) throw new TypeError(`unknown storage adapter '${String(name)}'`);
  return loader(location);
}
