/**
 * PostgreSQL on pg — the production and multi-node choice: several core processes share one
 * database, and optimistic versions keep their concurrent changes apart.
 */
import type { Knex } from 'knex';
import { SILENT_LOG } from './knex-store.js';

export interface PostgresStoreLocation {
  readonly adapter: 'postgres';
  /** postgres://user:password@host:port/database */
  readonly url: string;
  /** Schema holding Krypton's tables [the role's default search path]. */
  readonly schema?: string;
  /** Connection pool size [10]. */
  readonly poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function connectPostgres(location: PostgresStoreLocation): Promise<Knex> {
  if (typeof location.url !== 'string' || location.url.length === 0) {
    throw new TypeError('postgres adapter needs a url');
  }
  if (location.schema !== undefined && !SCHEMA_NAME.test(location.schema)) {
    throw new TypeError('postgres schema must be a lower-case SQL identifier');
  }
  const { default: knex } = await import('knex');
  return knex({
    client: 'pg',
    // knex would print driver errors (with SQL) to the console; they reach the caller as coded errors.
    log: SILENT_LOG,
    connection: location.url,
    ...(location.schema ? { searchPath: [location.schema] } : {}),
    pool: { min: 0, max: location.poolSize ?? 10 },
  });
}
