import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isKryptonError } from '../../core/errors.js';
import { createStore, type Store, type StoreTuning } from '../../storage-adapters/index.js';
import { inCI } from '../support/shared.js';
import { storeContractSuite, type StoreHarness } from './contract.js';

const url = process.env.KRYPTON_TEST_PG_URL;
const SUITE = 'storage contract: postgres';

async function postgresHarness(databaseUrl: string): Promise<StoreHarness> {
  // A schema of its own per run: parallel test files and runs never see each other's rows.
  const schema = `krypton_test_${randomBytes(6).toString('hex')}`;
  const open = (tuning: StoreTuning = {}) =>
    createStore({ adapter: 'postgres', url: databaseUrl, schema, ...tuning });
  const store = await open();
  const others: Store[] = [];
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  return {
    store,
    async openStore(tuning) {
      const other = await open(tuning);
      others.push(other);
      return other;
    },
    async persistedBytes() {
      const tables = await admin.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1',
        [schema],
      );
      const dumps: Buffer[] = [];
      for (const { table_name } of tables.rows) {
        // Each row as PostgreSQL renders it: bytea in hex, text as is.
        const rows = await admin.query<{ row: string }>(
          `select t::text as row from ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)} t`,
        );
        dumps.push(Buffer.from(rows.rows.map((r) => r.row).join('\n')));
      }
      return dumps;
    },
    async close() {
      await Promise.allSettled(others.map((s) => s.close()));
      await store.close();
      await admin.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
      await admin.end();
    },
  };
}

describe('postgres adapter', () => {
  it('unreachable-database-is-coded-without-the-url', async () => {
    const secretUrl = 'postgres://krypton:s3cret-password@127.0.0.1:1/krypton_none';
    await assert.rejects(createStore({ adapter: 'postgres', url: secretUrl }), (err: unknown) => {
      assert.ok(isKryptonError(err));
      assert.equal(err.code, 'KRY_STORE_UNAVAILABLE');
      assert.doesNotMatch(err.message, /s3cret|127\.0\.0\.1/);
      return true;
    });
  });
});

if (url) {
  storeContractSuite(SUITE, () => postgresHarness(url));
} else if (inCI) {
  it('postgres-contract-runs-in-ci', () => {
    assert.fail('KRYPTON_TEST_PG_URL is not set: CI must run the PostgreSQL storage contract');
  });
} else {
  describe(SUITE, { skip: 'set KRYPTON_TEST_PG_URL=postgres://user:password@host:5432/db to run it' }, () => {
    it('runs the storage contract on PostgreSQL', () => {});
  });
}
