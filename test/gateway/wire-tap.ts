/**
 * A TLS-terminating relay between the gateway and the core: it presents the core's certificate
 * to the gateway (same development CA), connects to the core with the gateway's certificate, and
 * records every plaintext byte that passes — what travels inside TLS, to prove the L3 never does —
 * and can cut the one connection that carried given bytes (a stream's Correlation Value).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { DevPkiFiles } from '../../core/auth/pki.js';

export interface WireTap {
  readonly port: number;
  /** Everything relayed so far, both directions. */
  bytes(): Buffer;
  /** Cuts the relayed connections whose traffic so far contains `needle`; how many. */
  cutCarrying(needle: Buffer): number;
  close(): Promise<void>;
}

export async function startWireTap(pki: DevPkiFiles, corePort: number): Promise<WireTap> {
  const chunks: Buffer[] = [];
  let total = 0;
  const record = (c: Buffer, relay: Buffer[]) => {
    // Bounded: a test never relays more than this.
    if (total < 64 * 1024 * 1024) {
      const copy = Buffer.from(c);
      chunks.push(copy);
      relay.push(copy);
      total += c.length;
    }
  };
  const sockets = new Set<TLSSocket>();
  // Per relayed connection: its traffic (bounded like `chunks`) and how to cut it.
  const relays = new Set<{ chunks: Buffer[]; cut: () => void }>();
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
      const end = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
        relays.delete(relay);
      };
      const relay = { chunks: [] as Buffer[], cut: end };
      relays.add(relay);
      inbound.on('data', (c: Buffer) => {
        record(c, relay.chunks);
        outbound.write(c);
      });
      outbound.on('data', (c: Buffer) => {
        record(c, relay.chunks);
        inbound.write(c);
      });
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
    cutCarrying(needle) {
      const carrying = [...relays].filter((r) => Buffer.concat(r.chunks).includes(needle));
      for (const r of carrying) r.cut();
      return carrying.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
