/**
 * A Krypton core (`krypton serve --profile core`) on a persistent store, for the core scenarios:
 * SQLite (a fresh database file in the server's state directory) or PostgreSQL (a schema of its
 * own in the database named by KRYPTON_BENCH_PG_URL or KRYPTON_TEST_PG_URL, dropped when the
 * server stops). The core profile's own settings stay, the audit log's `fsync: always` included:
 * the figures are those of the shipped core.
 */
import { randomBytes } from 'node:crypto';
import { startKryptonServer } from '../load/krypton-server.js';
import type { KryptonServer } from '../load/krypton-server.js';

export type CoreStore = 'sqlite' | 'postgres';

/** The PostgreSQL database the core scenarios use, or undefined (they are then skipped, saying so). */
export function benchPostgresUrl(): string | undefined {
  return process.env.KRYPTON_BENCH_PG_URL ?? process.env.KRYPTON_TEST_PG_URL;
}

/** Why this store cannot be benchmarked here, or false when it can. */
export function coreStoreMissing(store: CoreStore): string | false {
  if (store === 'postgres' && benchPostgresUrl() === undefined)
    return 'no PostgreSQL: set KRYPTON_BENCH_PG_URL (e.g. postgres://krypton:krypton@127.0.0.1:5432/krypton_test)';
  return false;
}

export interface CoreServerOptions {
  stateDir: string;
  store: CoreStore;
  /** `--set PATH=VALUE` overrides for the core. */
  settings?: Record<string, string | number>;
  nodeArgs?: string[];
}

/** Drops the benchmark's schema: the database keeps nothing of a run. */
async function dropSchema(url: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

export async function startCoreServer(opts: CoreServerOptions): Promise<KryptonServer> {
  const url = benchPostgresUrl();
  if (opts.store === 'postgres' && url === undefined) throw new Error(coreStoreMissing('postgres') as string);
  // A lower-case SQL identifier (the store checks it), unique per run.
  const schema = `krypton_bench_core_${randomBytes(4).toString('hex')}`;
  const storage: Record<string, string> =
    opts.store === 'postgres'
      ? { 'storage.adapter': 'postgres', 'storage.url': url as string, 'storage.schema': schema }
      : { 'storage.adapter': 'sqlite' };
  const server = await startKryptonServer({
    stateDir: opts.stateDir,
    profile: 'core',
    settings: { 'limits.maxConnectionsPerPeer': 256, ...storage, ...opts.settings },
    ...(opts.nodeArgs && { nodeArgs: opts.nodeArgs }),
  });
  if (opts.store === 'sqlite') return server;
  return {
    ...server,
    async stop() {
      const code = await server.stop();
      await dropSchema(url as string, schema).catch(() => {});
      return code;
    },
  };
}
