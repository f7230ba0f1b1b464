import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { TtlvFrameReader } from '../../core/ttlv/frame-reader.js';
import { testPki } from './support.js';

export interface RawConnection {
  socket: TLSSocket;
  /** Resolves with the next `n` complete response frames. */
  frames(n: number, timeoutMs?: number): Promise<Buffer[]>;
  /** Resolves when the server closes the connection; `data` tells whether any bytes came back. */
  closed: Promise<{ bytes: number }>;
}

export async function rawConnect(
  port: number,
  opts: { withCert?: boolean; cert?: Buffer; key?: Buffer } = {},
): Promise<RawConnection> {
  const { files } = await testPki();
  const withCert = opts.withCert ?? true;
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(files.ca),
    ...(withCert && {
      cert: opts.cert ?? readFileSync(files.client),
      key: opts.key ?? readFileSync(files.clientKey),
    }),
  });
  const reader = new TtlvFrameReader({ maxFrameBytes: 16 * 1024 * 1024 });
  const received: Buffer[] = [];
  let waiters: (() => void)[] = [];
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    received.push(...reader.push(chunk));
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<{ bytes: number }>((resolve) => socket.once('close', () => resolve({ bytes })));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
  return {
    socket,
    closed,
    frames(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} frames`)), timeoutMs);
        const check = () => {
          if (received.length >= n) {
            clearTimeout(timer);
            waiters = waiters.filter((w) => w !== check);
            resolve(received.splice(0, n));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}
