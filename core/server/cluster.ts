/**
 * `workers: N` — one profile served by N processes sharing its listening ports (node:cluster).
 *
 * Node runs JavaScript on one thread; a gateway on a multi-core host uses its cores by running
 * several processes. The primary process opens no store and answers no KMIP request: it starts
 * the workers one after the other (the first one migrates the vault or store before the others
 * open it), restarts a worker that dies, serves the admin listener (health of every worker,
 * metrics summed over the workers) and stops them gracefully on SIGTERM/SIGINT. Connections are
 * spread over the workers by the primary (round robin); a connection stays on its worker.
 *
 * What a worker owns and why it stays correct:
 * - its audit file: `<audit.path>` becomes `<name>.w<N><ext>` — the chain has one writer per file;
 *   `krypton audit verify` checks each file;
 * - its key caches (a gateway's L3 cache and upstream pool): the same staleness bounds apply;
 * - asynchronous execution is off (items run synchronously, KMIP 2.1 §6.7 lets the server
 *   choose): a Poll may arrive on a connection served by another worker.
 * Several processes writing one SQLite file serialise on its lock, so a profile with a core store
 * needs PostgreSQL for `workers` > 1; a gateway's vault (L4 writes are rare next to
 * Encrypt/Decrypt) may stay on SQLite.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ProfileConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import { createAdminApp } from './admin.js';

/** Environment variable naming a worker's index (1-based); set by the primary. */
export const WORKER_ENV = 'KRYPTON_WORKER';

/** Messages a worker sends to the primary. */
interface ReadyMessage {
  readonly type: 'krypton:ready';
  readonly addresses: { ttlv?: AddressInfo; https?: AddressInfo };
  readonly operations: readonly string[];
}

/** Index of this worker (1-based), or undefined in a single process or the primary. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_ENV]);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** Refuses a `workers` setting that several processes could not serve correctly. */
export function checkWorkers(config: ProfileConfig): void {
  if (config.workers <= 1) return;
  const where = `${config.source}: workers`;
  if (config.storage.adapter === 'sqlite')
    throw new KryptonError(
      'KRY_CFG_INVALID',
      `${where} > 1 needs storage.adapter postgres: processes writing one SQLite file serialise on its lock`,
      { field: '/workers' },
    );
  const vault = (config.upstream as { vault?: { adapter?: string; file?: string } }).vault;
  if (config.role !== 'core' && vault?.file === ':memory:')
    throw new KryptonError('KRY_CFG_INVALID', `${where} > 1 needs a vault file the workers share`, {
      field: '/workers',
    });
}

/** The profile as worker N serves it: its own audit file, no admin listener, no async table. */
export function workerProfile(config: ProfileConfig, index: number): ProfileConfig {
  const path = config.audit.path;
  const ext = extname(path);
  const auditPath = join(dirname(path), `${basename(path, ext)}.w${index}${ext}`);
  return {
    ...config,
    audit: { ...config.audit, path: auditPath },
    listeners: { ...config.listeners, admin: { ...config.listeners.admin, enabled: false } },
  };
}

/** In a worker: tells the primary the server is up, and lets it collect this worker's metrics. */
export function reportWorkerReady(
  registry: Registry,
  addresses: ReadyMessage['addresses'],
  operations: readonly string[],
): void {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's metrics requests
  const message: ReadyMessage = { type: 'krypton:ready', addresses, operations };
  process.send?.(message);
}

export interface RunningCluster {
  /** Addresses and operations reported by the first worker; the admin address of the primary. */
  readonly addresses: { ttlv?: AddressInfo; https?: AddressInfo; admin?: AddressInfo };
  readonly operations: readonly string[];
  /** Stops the workers (SIGTERM, each drains) and the admin listener. */
  close(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;

/**
 * In the primary: starts `config.workers` workers running the same command line, one after the
 * other, and resolves when all of them are serving.
 */
export async function startCluster(config: ProfileConfig, log: Logger): Promise<RunningCluster> {
  checkWorkers(config);
  const aggregator = new AggregatorRegistry();
  const ready = new Set<number>();
  let stopping = false;
  let first: ReadyMessage | undefined;

  const fork = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker: Worker = cluster.fork({ [WORKER_ENV]: String(index) });
      let up = false;
      worker.on('message', (m: unknown) => {
        if ((m as ReadyMessage | undefined)?.type !== 'krypton:ready') return;
        first ??= m as ReadyMessage;
        up = true;
        ready.add(index);
        resolve();
      });
      worker.on('exit', (code, signal) => {
        ready.delete(index);
        if (!up) {
          reject(
            new KryptonError('KRY_WORKER_FAILED', `worker ${index} exited before serving (code ${code})`),
          );
          return;
        }
        if (stopping) return;
        log.error({ worker: index, code, signal }, 'worker exited; restarting it');
        setTimeout(() => {
          if (!stopping)
            fork(index).catch((err: unknown) =>
              log.error({ worker: index, err: (err as Error).message }, 'worker restart failed'),
            );
        }, RESTART_DELAY_MS).unref();
      });
    });

  const stopWorkers = async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    for (let i = 1; i <= config.workers; i++) await fork(i);
  } catch (err) {
    await stopWorkers();
    throw err;
  }

  let admin: Awaited<ReturnType<typeof createAdminApp>> | undefined;
  let adminAddress: AddressInfo | undefined;
  if (config.listeners.admin.enabled) {
    admin = createAdminApp({
      isReady: () => !stopping && ready.size === config.workers,
      metrics: {
        contentType: aggregator.contentType,
        metrics: () => aggregator.clusterMetrics(),
      },
    });
    await admin.listen({ host: config.listeners.admin.host, port: config.listeners.admin.port });
    adminAddress = admin.server.address() as AddressInfo;
  }
  const reported = first as ReadyMessage;
  return {
    addresses: { ...reported.addresses, ...(adminAddress && { admin: adminAddress }) },
    operations: reported.operations,
    async close() {
      await stopWorkers();
      await admin?.close();
    },
  };
}
