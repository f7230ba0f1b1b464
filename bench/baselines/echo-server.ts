/**
 * The upper bound of this runtime on this machine: a bare Node TLS server with the same TLS
 * settings as Krypton (mutual TLS, TLS 1.2+ with the same PKI), which splits the stream into
 * TTLV frames by their 8-byte header and answers each with a fixed reply frame (a response of
 * the size Krypton sends for the same request), or with the request itself. No decoding, no
 * dispatch: what remains is TLS, sockets and the event loop.
 *
 * Runs in its own process: `node echo-server.js --pki DIR [--reply FILE] [--port N]`; prints
 * `echo server listening on 127.0.0.1:PORT`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServerProcess } from '../load/server-process.js';
import type { ServerProcess } from '../load/server-process.js';

const HEADER = 8;
const MAX_FRAME = 1024 * 1024;

export interface EchoServerOptions {
  pkiDir: string;
  /** Frame sent for every request; undefined: echo the request frame. */
  reply?: Buffer;
  port?: number;
  /**
   * Busy CPU time spent on each frame before answering it (µs): an echo that takes as long as a
   * real server per request, to tell the cost of that work from what the machine adds around it.
   */
  workUs?: number;
}

function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

function answerFrames(socket: TLSSocket, reply: Buffer | undefined, workUs: number): void {
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const data = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    let offset = 0;
    while (data.length - offset >= HEADER) {
      const length = HEADER + data.readUInt32BE(offset + 4);
      if (length > MAX_FRAME) return socket.destroy();
      if (data.length - offset < length) break;
      if (workUs > 0) spin(workUs);
      socket.write(reply ?? data.subarray(offset, offset + length));
      offset += length;
    }
    if (offset < data.length) pending = Buffer.from(data.subarray(offset));
  });
  socket.on('error', () => socket.destroy());
}

export function listenEchoServer(opts: EchoServerOptions): Promise<Server> {
  const server = createServer(
    {
      key: readFileSync(join(opts.pkiDir, 'server-key.pem')),
      cert: readFileSync(join(opts.pkiDir, 'server.pem')),
      ca: readFileSync(join(opts.pkiDir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      honorCipherOrder: true,
    },
    (socket) => answerFrames(socket, opts.reply, opts.workUs ?? 0),
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve(server));
  });
}

/** Starts the echo server in a child process running this same file. */
export async function startEchoServer(
  pkiDir: string,
  replyFile?: string,
  workUs = 0,
): Promise<{ process: ServerProcess; port: number }> {
  const proc = await startServerProcess({
    name: 'echo server',
    command: process.execPath,
    args: [
      fileURLToPath(import.meta.url),
      '--pki',
      pkiDir,
      ...(replyFile ? ['--reply', replyFile] : []),
      ...(workUs > 0 ? ['--work-us', String(workUs)] : []),
    ],
    readyPattern: /echo server listening on 127\.0\.0\.1:(\d+)/,
  });
  return { process: proc, port: Number(proc.match?.[1]) };
}

function invokedDirectly(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const { values } = parseArgs({
    options: {
      pki: { type: 'string' },
      reply: { type: 'string' },
      port: { type: 'string' },
      'work-us': { type: 'string' },
    },
  });
  if (!values.pki) {
    process.stderr.write('usage: echo-server --pki DIR [--reply FILE] [--port N] [--work-us N]\n');
    process.exit(2);
  }
  const server = await listenEchoServer({
    pkiDir: values.pki,
    ...(values.reply !== undefined && { reply: readFileSync(values.reply) }),
    ...(values.port !== undefined && { port: Number(values.port) }),
    ...(values['work-us'] !== undefined && { workUs: Number(values['work-us']) }),
  });
  process.stdout.write(`echo server listening on 127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Bounded: an echo server left behind by a crashed benchmark ends itself after an hour.
  setTimeout(() => process.exit(0), 3_600_000).unref();
}
