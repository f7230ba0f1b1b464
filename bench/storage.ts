/**
 * `npm run bench:storage` — storage throughput and Locate latency. A benchmark, not a test: it
 * prints figures.
 *
 *   node dist/bench/storage.js [--ops 2000] [--concurrency 1,16] [--sizes 10000] [--samples 2000]
 *                              [--100k] [--1m] [--pg-url postgres://…] [--keep]
 *
 * 1. create+get of a wrapped AES-256 key object per second, on SQLite (file, WAL) and on
 *    PostgreSQL, at each concurrency.
 * 2. Locate-by-Name latency (p50/p90/p99) in PostgreSQL as the table grows to each size;
 *    objects are loaded with multi-row inserts (`createMany`), 2,000 per transaction.
 *
 * PostgreSQL comes from --pg-url, KRYPTON_BENCH_PG_URL or KRYPTON_TEST_PG_URL; each run uses a
 * schema of its own, dropped at the end unless --keep.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import type { KnexStore } from '../storage-adapters/index.js';
import {
  ObjectType,
  State,
  createStore,
  wrappedKeyMaterial,
  type NewManagedObject,
  type Store,
} from '../storage-adapters/index.js';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1,16' },
    sizes: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '2000' },
    '100k': { type: 'boolean', default: false },
    '1m': { type: 'boolean', default: false },
    'pg-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const TENANT = 'bench';
const kekId = 'bench-kek';

function wrappedKeyObject(name: string): NewManagedObject {
  return {
    objectType: ObjectType.SymmetricKey,
    owner: 'bench',
    state: State.Active,
    keyLevel: 3,
    cryptographicAlgorithm: 3,
    cryptographicLength: 256,
    attributes: [
      { name: 'Name', value: { NameValue: name, NameType: 1 } },
      { name: 'CryptographicUsageMask', value: 12 },
    ],
    // Stands for an AES-KWP wrap of a 256-bit key: 40 bytes of ciphertext.
    keyMaterial: wrappedKeyMaterial({
      wrapped: randomBytes(40),
      wrappingKeyId: kekId,
      wrappingMethod: 'AES-KWP',
    }),
  };
}

function histogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function micros(start: bigint): number {
  return Math.max(1, Number((process.hrtime.bigint() - start) / 1000n));
}

const ms = (us: number): string => (us / 1000).toFixed(3);

async function createGetThroughput(
  label: string,
  store: Store,
  ops: number,
  concurrency: number,
): Promise<void> {
  const latency = histogram();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const start = process.hrtime.bigint();
      const created = await store.create(
        TENANT,
        wrappedKeyObject(`cg-${concurrency}-${i}-${randomInt(1e9)}`),
      );
      await store.get(TENANT, created.id);
      latency.recordValue(micros(start));
    }
  };
  const began = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  console.log(
    `${label.padEnd(10)} create+get  concurrency ${String(concurrency).padStart(2)}: ` +
      `${Math.round(ops / seconds)} pairs/s  p50 ${ms(latency.getValueAtPercentile(50))} ms  ` +
      `p99 ${ms(latency.getValueAtPercentile(99))} ms`,
  );
}

async function loadTo(store: Store, loaded: number, target: number): Promise<void> {
  const batch = 2000;
  const began = Date.now();
  for (let at = loaded; at < target; at += batch) {
    const count = Math.min(batch, target - at);
    await store.createMany(
      TENANT,
      Array.from({ length: count }, (_, i) => wrappedKeyObject(`key-${at + i}`)),
    );
    if ((at + count) % 100_000 === 0) process.stderr.write(`  loaded ${at + count}\n`);
  }
  const seconds = (Date.now() - began) / 1000;
  console.log(
    `postgres   loaded ${target - loaded} objects in ${seconds.toFixed(1)} s ` +
      `(${Math.round((target - loaded) / seconds)} objects/s)`,
  );
}

async function locateByNameLatency(store: KnexStore, size: number, samples: number): Promise<void> {
  await store.knex.raw('analyze');
  const latency = histogram();
  for (let i = 0; i < samples; i += 1) {
    const name = `key-${randomInt(size)}`;
    const start = process.hrtime.bigint();
    const { ids } = await store.locate(TENANT, { names: [name] });
    latency.recordValue(micros(start));
    if (ids.length !== 1) throw new Error(`Locate of ${name} found ${ids.length} objects`);
  }
  const { sql, bindings } = store.locateStatement(TENANT, { names: ['key-1'] });
  const plan = (await store.knex.raw(`explain ${sql}`, bindings)) as { rows: { 'QUERY PLAN': string }[] };
  const scans = plan.rows
    .map((r) => r['QUERY PLAN'].trim())
    .filter((line) => /Scan/.test(line))
    .map((line) => line.replace(/\s+\(cost.*$/, '').replace(/^->\s*/, ''));
  console.log(
    `postgres   Locate by Name at ${String(size).padStart(9)} objects: p50 ${ms(latency.getValueAtPercentile(50))} ms  ` +
      `p90 ${ms(latency.getValueAtPercentile(90))} ms  p99 ${ms(latency.getValueAtPercentile(99))} ms  ` +
      `(${samples} samples)  plan: ${scans.join('; ')}`,
  );
}

async function main(): Promise<void> {
  const ops = Number(args.ops);
  const concurrencies = String(args.concurrency).split(',').map(Number);
  const samples = Number(args.samples);
  const sizes = String(args.sizes).split(',').map(Number);
  if (args['100k']) sizes.push(100_000);
  if (args['1m']) sizes.push(100_000, 1_000_000);
  const orderedSizes = [...new Set(sizes)].sort((a, b) => a - b);
  const pgUrl = args['pg-url'] ?? process.env.KRYPTON_BENCH_PG_URL ?? process.env.KRYPTON_TEST_PG_URL;

  console.log(`storage bench — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);

  const dir = await mkdtemp(join(tmpdir(), 'krypton-bench-'));
  const sqlite = await createStore({ adapter: 'sqlite', filename: join(dir, 'bench.db') });
  try {
    for (const c of concurrencies) await createGetThroughput('sqlite', sqlite, ops, c);
  } finally {
    await sqlite.close();
    await rm(dir, { recursive: true, force: true });
  }

  if (!pgUrl) {
    console.log('postgres   skipped: set KRYPTON_BENCH_PG_URL (or --pg-url) to measure PostgreSQL');
    return;
  }
  const schema = `krypton_bench_${randomBytes(4).toString('hex')}`;
  const pg = (await createStore({ adapter: 'postgres', url: pgUrl, schema, poolSize: 20 })) as KnexStore;
  try {
    for (const c of concurrencies) await createGetThroughput('postgres', pg, ops, c);
    // Locate measures a table of exactly the named size.
    await pg.knex.raw('truncate managed_objects, object_attributes, object_links');
    let loaded = 0;
    for (const size of orderedSizes) {
      await loadTo(pg, loaded, size);
      loaded = size;
      await locateByNameLatency(pg, size, samples);
    }
  } finally {
    if (!args.keep) await pg.knex.raw('drop schema if exists ?? cascade', [schema]);
    await pg.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : err);
  process.exitCode = 1;
});
