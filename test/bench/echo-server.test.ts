/** The TLS echo baseline: answers each frame whole, and spends the asked CPU time first. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { listenEchoServer } from '../../bench/baselines/echo-server.js';
import { splitPki } from '../../core/gateway/split.js';

/** One frame (8-byte header with the body length) and the time until its answer came back. */
async function roundTrip(port: number, pki: Awaited<ReturnType<typeof splitPki>>, body: Buffer) {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(pki.ca),
    cert: readFileSync(pki.client),
    key: readFileSync(pki.clientKey),
  });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const frame = Buffer.concat([Buffer.from([0x42, 0, 0x79, 0x01, 0, 0, 0, body.length]), body]);
  const started = process.hrtime.bigint();
  const answer = await new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= frame.length) resolve(got);
    });
    // Split in two writes: the server reassembles the frame before answering it.
    socket.write(frame.subarray(0, 5));
    setTimeout(() => socket.write(frame.subarray(5)), 20);
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  socket.destroy();
  return { frame, answer, elapsedMs };
}

test('echo-server-answers-the-frame-whole-and-spends-the-asked-work-first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-echo-'));
  try {
    const pki = await splitPki(dir);
    for (const workUs of [0, 30_000]) {
      const server = await listenEchoServer({ pkiDir: pki.dir, workUs });
      try {
        const { port } = server.address() as AddressInfo;
        const { frame, answer, elapsedMs } = await roundTrip(port, pki, Buffer.from('0123456789abcdef'));
        assert.deepEqual(answer, frame);
        // 20 ms between the two halves, plus the work when asked (a lower bound: never flaky).
        assert.ok(
          elapsedMs >= 20 + workUs / 1000,
          `answered after ${elapsedMs} ms with ${workUs} µs of work`,
        );
      } finally {
        await new Promise((r) => server.close(r));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
