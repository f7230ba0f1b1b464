import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { command as migrateCommand } from '../../core/cli/commands/migrate.js';
import { isKryptonError } from '../../core/errors.js';
import {
  ObjectType,
  State,
  createStore,
  migrateStore,
  type KnexStore,
  type LocateQuery,
  type Store,
  type StoreTuning,
} from '../../storage-adapters/index.js';
import { insertThreadOf } from '../../storage-adapters/sqlite-writer.js';
import { storeContractSuite, type StoreHarness } from './contract.js';

async function sqliteHarness(): Promise<StoreHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'krypton-store-'));
  const filename = join(dir, 'krypton.db');
  const open = (tuning: StoreTuning = {}) => createStore({ adapter: 'sqlite', filename, ...tuning });
  const store = await open();
  const others: Store[] = [];
  return {
    store,
    async openStore(tuning) {
      const other = await open(tuning);
      others.push(other);
      return other;
    },
    async persistedBytes() {
      const files = [filename, `${filename}-wal`, `${filename}-journal`];
      const contents = await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0))));
      return contents;
    },
    async close() {
      await Promise.allSettled(others.map((s) => s.close()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeContractSuite('storage contract: sqlite', sqliteHarness);

describe('sqlite adapter', () => {
  it('database-file-is-in-wal-mode', async () => {
    const harness = await sqliteHarness();
    try {
      const [file] = await harness.persistedBytes();
      // The WAL journal mode is recorded in the file header: read and write versions 2.
      assert.equal(file?.[18], 2);
      assert.equal(file?.[19], 2);
    } finally {
      await harness.close();
    }
  });

  it('importing-the-store-loads-no-driver-until-chosen', async () => {
    const index = fileURLToPath(new URL('../../storage-adapters/index.js', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      const mod = await import(${JSON.stringify(index)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache);
      const has = (name) => loaded().some((p) => p.includes('/node_modules/' + name + '/'));
      const before = { pg: has('pg'), sqlite: has('better-sqlite3'), knex: has('knex') };
      const store = await mod.createStore({ adapter: 'sqlite', filename: ':memory:' });
      const after = { pg: has('pg'), sqlite: has('better-sqlite3') };
      await store.close();
      process.stdout.write(JSON.stringify({ before, after }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    assert.deepEqual(JSON.parse(stdout), {
      before: { pg: false, sqlite: false, knex: false },
      after: { pg: false, sqlite: true },
    });
  });

  it('migrations-are-idempotent-and-refuse-a-newer-database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krypton-migrate-'));
    const filename = join(dir, 'm.db');
    try {
      assert.deepEqual((await migrateStore({ adapter: 'sqlite', filename })).applied, [
        '0001_managed_objects',
      ]);
      assert.deepEqual((await migrateStore({ adapter: 'sqlite', filename })).applied, []);
      const raw = (await createStore({ adapter: 'sqlite', filename, migrate: false })) as KnexStore;
      await raw
        .knex('krypton_migrations')
        .insert({ name: '9999_future', batch: 9, migration_time: new Date() });
      await raw.close();
      await assert.rejects(createStore({ adapter: 'sqlite', filename }), (err: unknown) => {
        assert.ok(isKryptonError(err));
        assert.equal(err.code, 'KRY_STORE_UNAVAILABLE');
        assert.match(err.message, /9999_future/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('krypton-migrate-command-migrates-a-sqlite-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krypton-cli-'));
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    try {
      process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
      process.stderr.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stderr.write;
      assert.equal(await migrateCommand.run(['--sqlite', join(dir, 'cli.db')]), 0);
      assert.equal(await migrateCommand.run(['--sqlite', join(dir, 'cli.db')]), 0);
      assert.equal(await migrateCommand.run([]), 2);
      assert.equal(await migrateCommand.run(['--sqlite', 'a.db', '--postgres', 'postgres://x']), 2);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
      await rm(dir, { recursive: true, force: true });
    }
    assert.match(out[0] ?? '', /applied: 0001_managed_objects/);
    assert.match(out[1] ?? '', /up to date/);
  });

  it('locate-runs-on-indexes-not-a-table-scan', async () => {
    const harness = await sqliteHarness();
    try {
      const store = harness.store as KnexStore;
      const plan = async (query: LocateQuery) => {
        const { sql, bindings } = store.locateStatement('t', query);
        const rows = (await store.knex.raw(`explain query plan ${sql}`, bindings)) as { detail: string }[];
        return rows.map((r) => r.detail).join('\n');
      };
      const queries: LocateQuery[] = [
        { names: ['k'] },
        { objectType: ObjectType.SymmetricKey, state: State.Active },
        { cryptographicAlgorithm: 3, cryptographicLength: 256 },
        { attributes: [{ name: 'x-app', value: 'a' }] },
        { dates: { ActivationDate: { from: new Date(0), to: new Date() } } },
        {},
      ];
      for (const query of queries) {
        const detail = await plan(query);
        // Every access to managed_objects goes through an index scoped to the tenant.
        assert.doesNotMatch(detail, /SCAN (o|managed_objects)\b(?! USING)/, detail);
        assert.match(detail, /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/, detail);
      }
    } finally {
      await harness.close();
    }
  });

  it('locate-by-name-and-tenant-key-lookup-do-not-walk-the-tenants-objects', async () => {
    const harness = await sqliteHarness();
    try {
      const store = harness.store as KnexStore;
      const plan = async (query: LocateQuery) => {
        const { sql, bindings } = store.locateStatement('t', query);
        const rows = (await store.knex.raw(`explain query plan ${sql}`, bindings)) as { detail: string }[];
        return rows.map((r) => r.detail).join('\n');
      };
      // By Name: the ids come from the attribute index, each object by its id — not every
      // object of the tenant in seq order, each probed for the attribute.
      for (const query of [{ names: ['k'] }, { objectGroups: ['g'], state: State.Active }]) {
        const detail = await plan(query);
        assert.match(detail, /SEARCH a USING COVERING INDEX object_attributes_lookup .*value_key=\?/, detail);
        assert.match(detail, /SEARCH o USING INDEX managed_objects_id_unique \(id=\?\)/, detail);
      }
      // The key hierarchy's tenant-key lookup (an Active L2): the few keys of that level.
      const detail = await plan({ objectType: ObjectType.SymmetricKey, keyLevel: 2, state: State.Active });
      assert.match(
        detail,
        /SEARCH o USING INDEX managed_objects_tenant_key_level \(tenant=\? AND key_level=\?\)/,
      );
    } finally {
      await harness.close();
    }
  });
  it('creates-commit-on-the-insert-thread-interleaved-with-event-loop-writes-and-survive-its-loss', async () => {
    const harness = await sqliteHarness();
    try {
      const store = harness.store as KnexStore;
      const thread = insertThreadOf(store.knex);
      assert.ok(thread, 'a file database has an insert thread');
      const newKey = (id?: string) => ({
        ...(id === undefined ? {} : { id }),
        objectType: ObjectType.SymmetricKey,
        owner: 'alice',
        attributes: [{ name: 'Name', value: { NameValue: `k-${id ?? 'x'}`, NameType: 1 } }],
      });
      // A group with a duplicate: only the duplicate fails, the rest of the group is stored.
      await store.create('t', newKey('dup'));
      const outcomes = await Promise.allSettled([
        store.create('t', newKey('a1')),
        store.create('t', newKey('dup')),
        store.create('t', newKey('a2')),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      const refused = (outcomes[1] as PromiseRejectedResult).reason as unknown;
      assert.ok(isKryptonError(refused) && refused.code === 'KRY_STORE_EXISTS', String(refused));
      // Writes of the event loop's connection (transitions) between and during groups: no lock
      // wait, no lost update, each create readable once acknowledged.
      const created = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const object = await store.create('t', newKey());
          if (i % 2 === 0) {
            await store.transition('t', object.id, { from: [State.PreActive], to: State.Active });
          }
          return object.id;
        }),
      );
      const states = await Promise.all(created.map(async (id) => (await store.get('t', id)).state));
      assert.deepEqual(
        states,
        created.map((_, i) => (i % 2 === 0 ? State.Active : State.PreActive)),
      );
      assert.equal((await store.get('t', 'a2')).attributes[0]?.name, 'Name');
      // The thread dies: its store keeps creating on the event loop's connection.
      await thread.terminate();
      assert.equal(insertThreadOf(store.knex), undefined);
      const after = await Promise.all(Array.from({ length: 20 }, () => store.create('t', newKey())));
      for (const object of after) assert.equal((await store.get('t', object.id)).id, object.id);
      const all = await store.locate('t', { maximumItems: 1000 });
      assert.equal(all.ids.length, 3 + 200 + 20);
    } finally {
      await harness.close();
    }
  });
  it('a-file-closed-and-opened-again-keeps-creating-through-the-insert-thread', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krypton-store-'));
    const filename = join(dir, 'reopen.db');
    try {
      const key = { objectType: ObjectType.SymmetricKey, owner: 'alice' };
      const ids: string[] = [];
      for (let round = 0; round < 3; round++) {
        const store = (await createStore({ adapter: 'sqlite', filename })) as KnexStore;
        const created = await Promise.all(Array.from({ length: 20 }, () => store.create('t', key)));
        ids.push(...created.map((o) => o.id));
        assert.ok(insertThreadOf(store.knex), 'the insert thread serves the reopened file');
        // Not awaited: the next round opens the file while this one is closing.
        void store.close();
      }
      const store = await createStore({ adapter: 'sqlite', filename });
      try {
        const found = await store.locate('t', { maximumItems: 1000 });
        assert.deepEqual([...found.ids].sort(), [...ids].sort());
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('an-insert-too-large-for-the-insert-thread-commits-on-the-event-loop-between-groups', async () => {
    const harness = await sqliteHarness();
    try {
      const store = harness.store as KnexStore;
      const small = { objectType: ObjectType.SymmetricKey, owner: 'alice' };
      // 5 MiB of public material: above the thread's group budget, so it is committed apart.
      const big = Buffer.alloc(5 * 1024 * 1024, 7);
      const outcomes = await Promise.all([
        ...Array.from({ length: 30 }, () => store.create('t', small)),
        store.create('t', { objectType: ObjectType.Certificate, owner: 'alice', publicMaterial: big }),
        ...Array.from({ length: 30 }, () => store.create('t', small)),
      ]);
      const large = outcomes[30];
      assert.ok(large);
      const read = await store.get('t', large.id);
      assert.equal(read.publicMaterial?.length, big.length);
      assert.ok(Buffer.from(read.publicMaterial ?? []).equals(big));
      for (const o of outcomes) assert.equal((await store.get('t', o.id)).id, o.id);
      assert.ok(insertThreadOf(store.knex), 'the thread is still in use');
    } finally {
      await harness.close();
    }
  });
});
