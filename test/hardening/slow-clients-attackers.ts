/**
 * The attackers of the slow-client attack, in their own process (forked by slow-clients.ts), so
 * their own TLS work never delays the well-behaved client whose latency is measured: real
 * attackers run on other machines. Reads its options as JSON from argv[2]; sends `ramped` when
 * every attacker is launched and `done` with the close figures when all are closed (or at the
 * deadline). Every loop is bounded in count and time.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { ATTACK_KINDS, type AttackerMessage, type AttackerOptions, type AttackKind } from './slow-clients.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as AttackerOptions;
const send = (msg: AttackerMessage): Promise<void> =>
  new Promise((resolve) => process.send?.(msg, () => resolve()) ?? resolve());

// One context for every TLS attacker: a fresh one per connection costs ~1 ms of key parsing.
const secureContext = createSecureContext({
  ca: readFileSync(opts.files.ca),
  cert: readFileSync(opts.files.cert),
  key: readFileSync(opts.files.key),
});
const started = Date.now();
const closed = Object.fromEntries(ATTACK_KINDS.map((k) => [k, { count: 0, slowestMs: 0 }])) as Record<
  AttackKind,
  { count: number; slowestMs: number }
>;
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
  }, opts.trickleMs);
  timers.add(timer);
};
const launch = (kind: AttackKind): void => {
  switch (kind) {
    case 'silent-tcp':
      track(netConnect(opts.port, '127.0.0.1'), kind);
      break;
    case 'unfinished-tls': {
      const s = netConnect(opts.port, '127.0.0.1');
      track(s, kind);
      // A TLS record header and the start of a ClientHello, then nothing.
      s.once('connect', () => s.write(Buffer.from('16030100c8010000c40303', 'hex')));
      break;
    }
    case 'trickled-header':
    case 'trickled-body': {
      const s = tlsConnect({ host: '127.0.0.1', port: opts.port, secureContext, servername: 'localhost' });
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

// Ramp the attackers up, kinds interleaved.
for (let launched = 0; launched < opts.total && Date.now() - started < opts.deadlineMs;) {
  for (let j = 0; j < opts.rampPerTick && launched < opts.total; j++, launched++) {
    launch(ATTACK_KINDS[launched % ATTACK_KINDS.length] as AttackKind);
  }
  await new Promise((r) => setTimeout(r, 50));
}
await send({ type: 'ramped' });
// Wait for the server to close every attacker: the timeouts plus a generous margin.
const waitUntil = Date.now() + Math.max(opts.handshakeTimeoutMs, opts.requestTimeoutMs) * 3 + 10_000;
while (open.size > 0 && Date.now() < waitUntil && Date.now() - started < opts.deadlineMs) {
  await new Promise((r) => setTimeout(r, 100));
}
const stillOpen = open.size;
for (const s of open) s.destroy();
for (const t of timers) clearInterval(t);
await send({ type: 'done', closed, stillOpen });
process.disconnect?.();
