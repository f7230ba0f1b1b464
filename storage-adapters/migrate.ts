/**
 * Forward-only schema migrations, run at start by createStore or on their own by
 * `krypton migrate`.
 */
import type { Knex } from 'knex';
import { KryptonError } from '../core/errors.js';
import { connectDatabase, type StoreLocation } from './adapters.js';
import { toStoreError } from './knex-store.js';
import { MIGRATION_NAMES, TABLES, migrationSource } from './migrations.js';

/** Refuses a database that a newer build has migrated: this build would misread it. */
async function refuseUnknownMigrations(db: Knex, schema: string | undefined): Promise<void> {
  const schemaBuilder = schema ? db.schema.withSchema(schema) : db.schema;
  if (!(await schemaBuilder.hasTable(TABLES.migrations))) return;
  const rows = (await (schema ? db.withSchema(schema) : db).from(TABLES.migrations).select('name')) as {
    name: string;
  }[];
  const unknown = rows.map((r) => r.name).filter((name) => !MIGRATION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new KryptonError(
      'KRY_STORE_UNAVAILABLE',
      `database has migrations unknown to this build: ${unknown.join(', ')}`,
    );
  }
}

/** Applies the pending migrations; returns their names. */
export async function migrateToLatest(db: Knex, schema: string | undefined): Promise<string[]> {
  try {
    if (schema) await db.raw('create schema if not exists ??', [schema]);
    await refuseUnknownMigrations(db, schema);
    const [, applied] = (await db.migrate.latest({
      migrationSource,
      tableName: TABLES.migrations,
      ...(schema ? { schemaName: schema } : {}),
    })) as [number, string[]];
    return applied;
  } catch (err) {
    throw toStoreError(err);
  }
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly known: readonly string[];
}

/** Opens the database, migrates it to the latest schema and closes it. */
export async function migrateStore(location: StoreLocation): Promise<MigrationReport> {
  const { db, schema, release } = await connectDatabase(location);
  try {
    return { applied: await migrateToLatest(db, schema), known: MIGRATION_NAMES };
  } finally {
    await release();
  }
}
