/**
 * Schema migrations, in code so that the build carries them. Forward-only: a migration has no
 * `down`, and a database that records a migration this build does not know is refused.
 */
import type { Knex } from 'knex';

export const TABLES = Object.freeze({
  objects: 'managed_objects',
  attributes: 'object_attributes',
  links: 'object_links',
  migrations: 'krypton_migrations',
});

/** Date attribute → column; every date column has an index (partial where mostly null). */
export const DATE_COLUMNS = Object.freeze({
  InitialDate: 'initial_date',
  ActivationDate: 'activation_date',
  ProcessStartDate: 'process_start_date',
  ProtectStopDate: 'protect_stop_date',
  DeactivationDate: 'deactivation_date',
  DestroyDate: 'destroy_date',
  CompromiseOccurrenceDate: 'compromise_occurrence_date',
  CompromiseDate: 'compromise_date',
  ArchiveDate: 'archive_date',
  LastChangeDate: 'last_change_date',
  OriginalCreationDate: 'original_creation_date',
} as const);

const ALWAYS_SET_DATES = new Set(['initial_date', 'last_change_date']);

interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
}

const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    name: '0001_managed_objects',
    async up(knex: Knex): Promise<void> {
      await knex.schema.createTable(TABLES.objects, (t) => {
        // seq orders Locate results stably (creation order) and pages them.
        t.bigIncrements('seq').primary();
        t.string('id', 128).notNullable().unique();
        t.string('tenant', 128).notNullable();
        t.string('owner', 256).notNullable();
        t.integer('object_type').notNullable();
        t.integer('state').notNullable();
        t.smallint('key_level').nullable();
        t.integer('cryptographic_algorithm').nullable();
        t.integer('cryptographic_length').nullable();
        t.boolean('archived').notNullable().defaultTo(false);
        t.boolean('fresh').notNullable().defaultTo(true);
        t.integer('version').notNullable().defaultTo(1);
        // Dates are epoch milliseconds: exact on both dialects.
        for (const column of Object.values(DATE_COLUMNS)) {
          if (ALWAYS_SET_DATES.has(column)) t.bigInteger(column).notNullable();
          else t.bigInteger(column).nullable();
        }
        t.binary('wrapped_key').nullable();
        t.string('wrapping_key_id', 128).nullable();
        t.string('wrapping_method', 64).nullable();
        t.text('key_material_metadata').nullable();
        t.binary('public_material').nullable();

        t.index(['tenant', 'archived', 'seq'], 'managed_objects_tenant_archived_seq');
        t.index(['tenant', 'object_type', 'state'], 'managed_objects_tenant_type_state');
        t.index(['tenant', 'state'], 'managed_objects_tenant_state');
        t.index(
          ['tenant', 'cryptographic_algorithm', 'cryptographic_length'],
          'managed_objects_tenant_algorithm_length',
        );
        t.index(['tenant', 'key_level'], 'managed_objects_tenant_key_level');
        t.index(['tenant', 'owner'], 'managed_objects_tenant_owner');
        t.index(['wrapping_key_id'], 'managed_objects_wrapping_key_id', {
          predicate: knex.whereNotNull('wrapping_key_id'),
        });
        for (const column of Object.values(DATE_COLUMNS)) {
          t.index(
            ['tenant', column],
            `managed_objects_tenant_${column}`,
            ALWAYS_SET_DATES.has(column) ? undefined : { predicate: knex.whereNotNull(column) },
          );
        }
      });

      await knex.schema.createTable(TABLES.attributes, (t) => {
        t.string('object_id', 128).notNullable().references('id').inTable(TABLES.objects).onDelete('CASCADE');
        t.string('tenant', 128).notNullable();
        // '' for standard and custom attributes, the Vendor Identification for 2.x vendor ones.
        t.string('vendor', 128).notNullable().defaultTo('');
        t.string('name', 256).notNullable();
        t.integer('idx').notNullable();
        t.string('value_key', 320).notNullable();
        t.text('value_json').notNullable();
        t.primary(['object_id', 'vendor', 'name', 'idx']);
        t.index(['tenant', 'vendor', 'name', 'value_key', 'object_id'], 'object_attributes_lookup');
      });

      await knex.schema.createTable(TABLES.links, (t) => {
        t.string('object_id', 128).notNullable().references('id').inTable(TABLES.objects).onDelete('CASCADE');
        t.string('tenant', 128).notNullable();
        t.integer('link_type').notNullable();
        t.string('linked_id', 128).notNullable();
        t.primary(['object_id', 'link_type', 'linked_id']);
        t.index(['tenant', 'link_type', 'linked_id', 'object_id'], 'object_links_lookup');
      });
    },
  },
]);

/** knex MigrationSource over the in-code list. */
export const migrationSource: Knex.MigrationSource<Migration> = Object.freeze({
  getMigrations: () => Promise.resolve([...MIGRATIONS]),
  getMigrationName: (migration: Migration) => migration.name,
  getMigration: (migration: Migration) =>
    Promise.resolve({
      up: (knex: Knex) => migration.up(knex),
      down: () => Promise.reject(new Error('migrations are forward-only')),
    }),
});

export const MIGRATION_NAMES: readonly string[] = Object.freeze(MIGRATIONS.map((m) => m.name));
