/**
 * Full-size slow-client attack: 2,000 connections (or argv[2]) against a server in a child
 * process; prints the report and exits 1 unless every attacker was closed by the timeouts and the
 * good client's p99 stayed under 10 ms.
 *
 *   npx tsc … --outDir .build/hard && node .build/hard/test/hardening/slow-clients-full.js 2000
 */
import { runSlowClientAttack, startAttackServer, stopAttackServer } from './slow-clients.js';

const total = Number(process.argv[2] ?? 2000);
const limits = {
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxConnections: 8192,
  maxConnectionsPerPeer: 8192,
};
const { child, ttlv } = await startAttackServer(limits);
try {
  const report = await runSlowClientAttack(ttlv, {
    total,
    handshakeTimeoutMs: limits.handshakeTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    rampPerTick: 50,
    trickleMs: 1000,
    deadlineMs: 300_000,
  });
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.exitCode = report.stillOpen === 0 && report.good.failures === 0 && report.good.p99Ms < 10 ? 0 : 1;
} finally {
  await stopAttackServer(child);
}
