/**
 * The slow-client attack (SECURITY-CHECKLIST 5): `total` connections split into four kinds —
 * TCP connect and silence, a TLS ClientHello never finished, a TTLV header trickled, a body
 * trickled — against a server in a child process, while one well-behaved client on its own
 * connection measures its latency. Every loop is bounded in count and time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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

export async function runSlowClientAttack(port: number, opts: AttackOptions): Promise<AttackReport> {
  const { files } = await testPki();
  const ca = readFileSync(files.ca);
  const cert = readFileSync(files.client);
  const key = readFileSync(files.clientKey);
  const trickleMs = opts.trickleMs ?? 200;
  const rampPerTick = opts.rampPerTick ?? 100;
  const deadlineMs = opts.deadlineMs ?? 120_000;
  const started = Date.now();
  const closed = Object.fromEntries(
    ATTACK_KINDS.map((k) => [k, { count: 0, slowestMs: 0 }]),
  ) as AttackReport['closed'];
  const open = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const track = (socket: Socket, kind: AttackKind): void => {
    const t0 = Date.now();
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => {
      open.delete(socket);
      const c = closed[kind];
      c.count++;
      c.slowestMs = Math.max(c.slowestMs, Date.now() - t0);
    });
  };
  /** Sends `bytes` one byte per tick; bounded by the byte count. */
  const trickle = (socket: Socket, bytes: Buffer): void => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= bytes.length) {
        clearInterval(timer);
        timers.delete(timer);
        return;
      }
      socket.write(bytes.subarray(i, i + 1));
      i++;
    }, trickleMs);
    timers.add(timer);
  };
  const launch = (kind: AttackKind): void => {
    switch (kind) {
      case 'silent-tcp':
        track(netConnect(port, '127.0.0.1'), kind);
        break;
      case 'unfinished-tls': {
        const s = netConnect(port, '127.0.0.1');
        track(s, kind);
        // A TLS record header and the start of a ClientHello, then nothing.
        s.once('connect', () => s.write(Buffer.from('16030100c8010000c40303', 'hex')));
        break;
      }
      case 'trickled-header':
      case 'trickled-body': {
        const s = tlsConnect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' });
        track(s, kind);
        s.once('secureConnect', () => {
          // A Request Message header announcing 0x40 bytes; the body never completes in time.
          const bytes = Buffer.from('42007801000000404200770100000038', 'hex');
          if (kind === 'trickled-header') trickle(s, bytes);
          else {
            s.write(bytes.subarray(0, 8));
            trickle(s, bytes.subarray(8));
          }
        });
        break;
      }
    }
  };

  // The well-behaved client: connected before the attack, one request at a time.
  const good = await KmipClient.connect({ host: '127.0.0.1', port, ca, cert, key, timeoutMs: 10_000 });
  const latencies: number[] = [];
  const rampLatencies: number[] = [];
  const heldLatencies: number[] = [];
  let ramping = true;
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

  // Ramp the attackers up, kinds interleaved.
  for (let launched = 0; launched < opts.total && Date.now() - started < deadlineMs;) {
    for (let j = 0; j < rampPerTick && launched < opts.total; j++, launched++) {
      launch(ATTACK_KINDS[launched % ATTACK_KINDS.length] as AttackKind);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  ramping = false;
  // Wait for the server to close every attacker: the timeouts plus a generous margin.
  const waitUntil = Date.now() + Math.max(opts.handshakeTimeoutMs, opts.requestTimeoutMs) * 3 + 10_000;
  while (open.size > 0 && Date.now() < waitUntil && Date.now() - started < deadlineMs) {
    await new Promise((r) => setTimeout(r, 100));
  }
  attacking = false;
  await goodLoop;
  await good.close();
  const stillOpen = open.size;
  for (const s of open) s.destroy();
  for (const t of timers) clearInterval(t);
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
    closed,
    stillOpen,
    good: figures(latencies, failures),
    goodDuringRamp: figures(rampLatencies, 0),
    goodWhileHeld: figures(heldLatencies, 0),
    durationMs: Date.now() - started,
  };
}
