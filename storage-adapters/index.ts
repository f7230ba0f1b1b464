/**
 * Storage adapters: `createStore({ adapter: 'sqlite', filename })` or
 * `createStore({ adapter: 'postgres', url })` → a migrated, ready Store.
 */
import { connectDatabase, type StoreLocation } from './adapters.js';
import { KnexStore, type StoreTuning } from './knex-store.js';
import { migrateToLatest } from './migrate.js';
import type { Store } from './types.js';

export type StoreOptions = StoreLocation &
  StoreTuning & {
    /** Run pending migrations before returning [true]. */
    readonly migrate?: boolean;
  };

export async function createStore(options: StoreOptions): Promise<Store> {
  const { db, dialect, schema, release } = await connectDatabase(options);
  try {
    if (options.migrate !== false) await migrateToLatest(db, schema);
    return new KnexStore(db, dialect, options, release);
  } catch (err) {
    await release();
    throw err;
  }
}

export { STORE_ADAPTERS, type StoreLocation } from './adapters.js';
export { KnexStore, toStoreError, type StoreDialect, type StoreTuning } from './knex-store.js';
export { migrateStore, type MigrationReport } from './migrate.js';
export type { PostgresStoreLocation } from './postgres.js';
export type { SqliteStoreLocation } from './sqlite.js';
export * from './types.js';
export {
  isWrappedKeyMaterial,
  wrappedKeyMaterial,
  type WrappedKeyMaterial,
  type WrappedKeyMaterialParts,
  type WrappedKeyMetadata,
} from './wrapped-key-material.js';
