/**
 * The slow-client attack (SECURITY-CHECKLIST 5): `total` connections split into four kinds —
 * TCP connect and silence, a TLS ClientHello never finished, a TTLV header trickled, a body
 * trickled — against a server in a child process, while one well-behaved client on its own
 * connection measures its latency. The attackers run in a third process
 * (slow-clients-attackers.ts), as they would on other machines: their TLS work must not be
 * counted as the server's latency. Every loop is bounded in count and time.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KmipClient } from '../../core/client/client.js';
import { testPki } from '../e2e/support.js';

export type AttackKind = 'silent-tcp' | 'unfinished-tls' | 'trickled-header' | 'trickled-body';
export const ATTACK_KINDS: readonly AttackKind[] = [
  'silent-tcp',
  'unfinished-tls',
  'trickled-header',
  'trickled-body',
];

export interface AttackReport {
  total: number;
  /** Attackers the server closed, by kind, and the slowest close (ms after connect). */
  closed: Record<AttackKind, { count: number; slowestMs: number }>;
  /** Attackers still open when the run ended (must be 0). */
  stillOpen: number;
  good: GoodClientFigures;
  /** The good client while attackers were still connecting (TLS handshakes cost CPU on both sides). */
  goodDuringRamp: GoodClientFigures;
  /** The good client once every attacker was connected, silent or trickling. */
  goodWhileHeld: GoodClientFigures;
  /** From the first attacker launched to the last (the design: `total / rampPerTick × 50 ms`). */
  rampMs: number;
  /**
   * Event-loop delay of the good client's own process, which does nothing but wait for answers:
   * what the machine alone (other processes on the same cores) adds to every latency.
   */
  goodClientLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  durationMs: number;
}

export interface GoodClientFigures {
  requests: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface AttackOptions {
  total: number;
  handshakeTimeoutMs: number;
  requestTimeoutMs: number;
  /** New attackers per 50 ms tick. */
  rampPerTick?: number;
  /** Trickle interval, one byte each. */
  trickleMs?: number;
  /** Hard stop for the whole run. */
  deadlineMs?: number;
}

export async function startAttackServer(
  limits: Record<string, unknown>,
): Promise<{ child: ChildProcess; ttlv: number }> {
  const script = fileURLToPath(new URL('./attack-server.js', import.meta.url));
  const { stateDir } = await testPki();
  const child = spawn(process.execPath, [script, JSON.stringify(limits), stateDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('attack server did not start in 30 s')), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (code) => reject(new Error(`attack server exited with ${code}`)));
  });
  return { child, ttlv: (JSON.parse(line) as { ttlv: number }).ttlv };
}

export async function stopAttackServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

/** What the parent tells the attacker process (argv[2], JSON). */
export interface AttackerOptions {
  port: number;
  total: number;
  handshakeTimeoutMs: number;
  requestTimeoutMs: number;
  rampPerTick: number;
  trickleMs: number;
  deadlineMs: number;
  files: { ca: string; cert: string; key: string };
}

/** What the attacker process tells the parent. */
export type AttackerMessage =
  { type: 'ramped' } | { type: 'done'; closed: AttackReport['closed']; stillOpen: number };

export async function runSlowClientAttack(port: number, opts: AttackOptions): Promise<AttackReport> {
  const { files } = await testPki();
  const ca = readFileSync(files.ca);
  const cert = readFileSync(files.client);
  const key = readFileSync(files.clientKey);
  const deadlineMs = opts.deadlineMs ?? 120_000;
  const started = Date.now();

  // The well-behaved client: connected before the attack, one request at a time.
  const good = await KmipClient.connect({ host: '127.0.0.1', port, ca, cert, key, timeoutMs: 10_000 });

  const attackerOptions: AttackerOptions = {
    port,
    total: opts.total,
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs,
    rampPerTick: opts.rampPerTick ?? 100,
    trickleMs: opts.trickleMs ?? 200,
    deadlineMs,
    files: { ca: files.ca, cert: files.client, key: files.clientKey },
  };
  const attackers = fork(
    fileURLToPath(new URL('./slow-clients-attackers.js', import.meta.url)),
    [JSON.stringify(attackerOptions)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  let ramping = true;
  const attackStarted = Date.now();
  let rampMs = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const done = new Promise<Extract<AttackerMessage, { type: 'done' }>>((resolve, reject) => {
    attackers.on('message', (msg: AttackerMessage) => {
      if (msg.type === 'ramped') {
        ramping = false;
        rampMs = Date.now() - attackStarted;
      } else resolve(msg);
    });
    attackers.once('exit', (code) => reject(new Error(`attacker process exited with ${code}`)));
  });
  const hardStop = setTimeout(() => attackers.kill('SIGKILL'), deadlineMs + 30_000);

  const latencies: number[] = [];
  const rampLatencies: number[] = [];
  const heldLatencies: number[] = [];
  let failures = 0;
  let attacking = true;
  const goodLoop = (async () => {
    for (let i = 0; i < 1_000_000 && attacking && Date.now() - started < deadlineMs; i++) {
      const t0 = process.hrtime.bigint();
      try {
        await good.discoverVersions();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        latencies.push(ms);
        (ramping ? rampLatencies : heldLatencies).push(ms);
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();

  let result: Extract<AttackerMessage, { type: 'done' }>;
  try {
    result = await done;
  } finally {
    attacking = false;
    clearTimeout(hardStop);
    await goodLoop;
    await good.close();
  }
  loopDelay.disable();
  if (attackers.exitCode === null) {
    await Promise.race([
      new Promise((r) => attackers.once('exit', r)),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
    if (attackers.exitCode === null) attackers.kill('SIGKILL');
  }
  const figures = (values: number[], failed: number): GoodClientFigures => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      requests: values.length,
      failures: failed,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? 0,
    };
  };
  return {
    total: opts.total,
    closed: result.closed,
    stillOpen: result.stillOpen,
    good: figures(latencies, failures),
    goodDuringRamp: figures(rampLatencies, 0),
    goodWhileHeld: figures(heldLatencies, 0),
    rampMs,
    goodClientLoopDelay: {
      p50Ms: loopDelay.percentile(50) / 1e6,
      p99Ms: loopDelay.percentile(99) / 1e6,
      maxMs: loopDelay.max / 1e6,
    },
    durationMs: Date.now() - started,
  };
}
