/**
 * A TLS-terminating relay between the gateway and the core: it presents the core's certificate
 * to the gateway (same development CA), connects to the core with the gateway's certificate, and
 * records every plaintext byte that passes — what travels inside TLS, to prove the L3 never does.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { DevPkiFiles } from '../../core/auth/pki.js';

export interface WireTap {
  readonly port: number;
  /** Everything relayed so far, both directions. */
  bytes(): Buffer;
  close(): Promise<void>;
}

export async function startWireTap(pki: DevPkiFiles, corePort: number): Promise<WireTap> {
  const chunks: Buffer[] = [];
  let total = 0;
  const record = (c: Buffer) => {
    // Bounded: a test never relays more than this.
    if (total < 64 * 1024 * 1024) {
      chunks.push(Buffer.from(c));
      total += c.length;
    }
  };
  const sockets = new Set<TLSSocket>();
  const server: Server = createServer(
    {
      cert: readFileSync(pki.server),
      key: readFileSync(pki.serverKey),
      ca: readFileSync(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (inbound) => {
      sockets.add(inbound);
      const outbound = connect({
        host: '127.0.0.1',
        port: corePort,
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.gateway),
        key: readFileSync(pki.gatewayKey),
      });
      sockets.add(outbound);
      inbound.on('data', (c: Buffer) => {
        record(c);
        outbound.write(c);
      });
      outbound.on('data', (c: Buffer) => {
        record(c);
        inbound.write(c);
      });
      const end = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('close', end);
      outbound.on('close', end);
      inbound.on('error', end);
      outbound.on('error', end);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bytes: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
