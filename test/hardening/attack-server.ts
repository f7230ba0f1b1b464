/**
 * A Krypton server in its own process for the slow-client attack (so the attackers' own TLS work
 * does not share the server's event loop). Reads limits as JSON from argv[2] and the state folder (PKI) from argv[3], prints its
 * addresses as one JSON line, stops on SIGTERM.
 *
 * With `KRYPTON_ATTACK_WORKERS=N` (N > 1) the server runs as N worker processes on shared ports,
 * as `workers: N` runs a profile (core/server/cluster.ts): the handshakes of a connection burst
 * spread over the workers.
 */
import cluster from 'node:cluster';
import { startHardeningServer } from './support.js';

const workers = Number(process.env.KRYPTON_ATTACK_WORKERS ?? 1);

if (workers > 1 && cluster.isPrimary) {
  let first: string | undefined;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (line: string) => {
        first ??= line;
        resolve();
      });
      worker.once('exit', (code) => reject(new Error(`attack worker exited with ${code}`)));
    });
  }
  process.stdout.write(first + '\n');
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.values(cluster.workers ?? {}).every((w) => w === undefined || w.isDead())) process.exit(0);
    });
  });
} else {
  const limits = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  // The parent's PKI, so its clients are trusted.
  const stateDir = process.argv[3];
  const server = await startHardeningServer({
    limits,
    audit: { fsync: 'interval' },
    ...(stateDir !== undefined && { stateDir }),
  });
  const line = JSON.stringify({ ttlv: server.addresses.ttlv?.port, https: server.addresses.https?.port });
  if (cluster.isWorker) process.send?.(line);
  else process.stdout.write(line + '\n');
  process.once('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
}
