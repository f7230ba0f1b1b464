/**
 * `krypton serve --profile <name|path>` — start a server from a profile. On first start of a
 * profile whose TLS files are the development defaults (stateDir/pki/…), the development PKI is
 * created. SIGTERM/SIGINT stop gracefully: stop accepting, drain, close adapters.
 */
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../main.js';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Override } from '../../config/load.js';
import type { ProfileConfig } from '../../config/schema.js';

const USAGE = `usage: krypton serve [--profile <name|path>] [--set <setting>=<value>]... [options]

  --profile NAME|PATH   standalone (default), core, gateway, or a profile file
  --state-dir DIR       where the PKI and data live (default ./.krypton)
  --host ADDR           listen address of the KMIP listeners
  --ttlv-port N         TTLV over TLS port (default 5696)
  --https-port N        HTTPS port (default 8443)
  --admin-port N        admin (health, metrics) port
  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent
  --set PATH=VALUE      any scalar setting, e.g. --set limits.maxFrameBytes=65536
Environment: KRYPTON_<SETTING>, e.g. KRYPTON_LISTENERS_TTLV_PORT=15696.`;

const FLAG_PATHS: Readonly<Record<string, string[]>> = Object.freeze({
  'state-dir': ['stateDir'],
  host: ['listeners.ttlv.host', 'listeners.https.host'],
  'ttlv-port': ['listeners.ttlv.port'],
  'https-port': ['listeners.https.port'],
  'admin-port': ['listeners.admin.port'],
  'log-level': ['logging.level'],
});

export const command: CliCommand = {
  summary: 'start a KMIP server from a profile',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          profile: { type: 'string', default: 'standalone' },
          set: { type: 'string', multiple: true },
          'state-dir': { type: 'string' },
          host: { type: 'string' },
          'ttlv-port': { type: 'string' },
          'https-port': { type: 'string' },
          'admin-port': { type: 'string' },
          'log-level': { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (err) {
      process.stderr.write(`krypton serve: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const { values } = parsed;
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const overrides: Override[] = [];
    for (const [flag, paths] of Object.entries(FLAG_PATHS)) {
      const value = (values as Record<string, unknown>)[flag];
      if (typeof value === 'string')
        for (const path of paths) overrides.push({ path, value, origin: `--${flag}` });
    }
    for (const s of values.set ?? []) {
      const eq = s.indexOf('=');
      if (eq <= 0) {
        process.stderr.write(`krypton serve: --set expects PATH=VALUE, got '${s}'\n`);
        return 2;
      }
      overrides.push({ path: s.slice(0, eq), value: s.slice(eq + 1), origin: `--set ${s.slice(0, eq)}` });
    }

    const { loadProfile } = await import('../../config/load.js');
    const config = loadProfile(values.profile ?? 'standalone', { overrides });
    const cluster = await import('../../server/cluster.js');
    cluster.checkWorkers(config);
    const pkiDir = join(config.stateDir, 'pki');
    const devPki = [config.tls.cert, config.tls.key, config.tls.ca].every((p) => p.startsWith(pkiDir));
    if (devPki) {
      const pki = await import('../../auth/pki.js');
      if (!pki.hasDevPki(pkiDir)) {
        await pki.createDevPki(pkiDir);
        process.stdout.write(`created a development PKI in ${pkiDir} (not for production)\n`);
      }
    }
    const worker = cluster.workerIndex();
    if (worker !== undefined) return serveAsWorker(config, worker);
    if (config.workers > 1) return serveAsPrimary(config, devPki, pkiDir);
    const { startServer } = await import('../../server/server.js');
    const server = await startServer(config);
    printBanner(config, devPki, pkiDir, {
      addresses: server.addresses,
      operations: server.registry.descriptors().map((d) => d.name),
    });
    return untilSignal(server.log, () => server.close());
  },
};

interface Serving {
  readonly addresses: { ttlv?: AddressInfo; https?: AddressInfo; admin?: AddressInfo };
  readonly operations: readonly string[];
  readonly workers?: number;
}

function printBanner(config: ProfileConfig, devPki: boolean, pkiDir: string, serving: Serving): void {
  const rel = (p: string) => relative(process.cwd(), p) || p;
  const { ttlv, https, admin } = serving.addresses;
  const lines = [
    `Krypton ${config.name} (${config.role}) is running${
      serving.workers ? ` in ${serving.workers} worker processes` : ''
    }; operations: ${serving.operations.join(', ')}`,
    ...(ttlv ? [`  KMIP TTLV over TLS  ${ttlv.address}:${ttlv.port}`] : []),
    ...(https
      ? [`  KMIP over HTTPS     https://${https.address}:${https.port}/kmip  (TTLV, JSON, XML)`]
      : []),
    ...(admin
      ? [`  admin               http://${admin.address}:${admin.port}/healthz /readyz /metrics`]
      : []),
    `Connect with mutual TLS: CA ${rel(config.tls.ca)}${
      devPki
        ? `, client certificate ${rel(join(pkiDir, 'client.pem'))} and key ${rel(join(pkiDir, 'client-key.pem'))}`
        : ''
    }`,
    ...(devPki && https
      ? [
          `  e.g. curl --cacert ${rel(config.tls.ca)} --cert ${rel(join(pkiDir, 'client.pem'))} --key ${rel(
            join(pkiDir, 'client-key.pem'),
          )} -H 'content-type: application/json' --data-binary @request.json https://localhost:${https.port}/kmip`,
        ]
      : []),
    `More client certificates: krypton init ${rel(pkiDir)} --client NAME`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Resolves with the exit code once SIGTERM or SIGINT has stopped the server. */
function untilSignal(log: Logger, close: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'signal received');
      close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    // `on`, not `once`: a worker gets the signal from its process group and from the primary.
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `workers` > 1, the primary: starts the workers, serves the admin listener, prints the banner. */
async function serveAsPrimary(config: ProfileConfig, devPki: boolean, pkiDir: string): Promise<number> {
  const { createLogger } = await import('../../server/logger.js');
  const { startCluster } = await import('../../server/cluster.js');
  const log = createLogger(config.logging).child({ process: 'primary' });
  const running = await startCluster(config, log);
  printBanner(config, devPki, pkiDir, { ...running, workers: config.workers });
  return untilSignal(log, () => running.close());
}

/** `workers` > 1, worker N: the profile as a worker serves it (own audit file, no admin listener, no async table). */
async function serveAsWorker(config: ProfileConfig, index: number): Promise<number> {
  const { startServer } = await import('../../server/server.js');
  const { reportWorkerReady, workerProfile } = await import('../../server/cluster.js');
  const server = await startServer(workerProfile(config, index), { asynchronous: { maxPending: 0 } });
  reportWorkerReady(
    server.metrics.registry,
    {
      ...(server.addresses.ttlv && { ttlv: server.addresses.ttlv }),
      ...(server.addresses.https && { https: server.addresses.https }),
    },
    server.registry.descriptors().map((d) => d.name),
  );
  // A worker whose primary is gone stops too.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const code = await untilSignal(server.log.child({ worker: index }), () => server.close());
  process.disconnect?.(); // the IPC channel would keep the stopped worker alive
  return code;
}
