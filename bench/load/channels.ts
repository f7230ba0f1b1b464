/**
 * Channels the load generator drives: one connection each. Over TTLV/TLS a channel is the
 * project's KmipClient (pipelined, matched in order); over HTTPS it is `POST /kmip` with a TTLV
 * body on one keep-alive socket. Both take and return message trees, so a scenario is written
 * once for every transport, and the echo baseline costs the client exactly what Krypton does.
 */
import { Agent, request } from 'node:https';
import { KmipClient } from '../../core/client/client.js';
import type { KmipClientOptions } from '../../core/client/client.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import type { TtlvItem } from '../../core/ttlv/types.js';

export interface KmipChannel {
  /** Sends one request message; resolves with the response message tree. */
  send(request: TtlvItem): Promise<TtlvItem>;
  close(): Promise<void>;
}

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface Endpoint {
  host: '127.0.0.1' | '::1';
  port: number;
  transport: 'ttlv' | 'https';
  /** PyKMIP speaks TLS 1.2 only. */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export function connectTtlv(
  endpoint: Endpoint,
  tls: TlsMaterial,
  extra: Partial<KmipClientOptions> = {},
): Promise<KmipClient> {
  return KmipClient.connect({
    host: endpoint.host,
    port: endpoint.port,
    ...tls,
    maxVersion: endpoint.maxTlsVersion ?? 'TLSv1.3',
    timeoutMs: 30_000,
    ...extra,
  });
}

class HttpsKmipChannel implements KmipChannel {
  private readonly agent: Agent;

  constructor(
    private readonly endpoint: Endpoint,
    tls: TlsMaterial,
  ) {
    // One socket: a channel is one connection, as over TTLV. HTTP/1.1 has no pipelining in
    // node:https, so requests beyond the first in flight wait for that socket.
    this.agent = new Agent({
      ...tls,
      keepAlive: true,
      maxSockets: 1,
      maxVersion: endpoint.maxTlsVersion ?? 'TLSv1.3',
    });
  }

  send(message: TtlvItem): Promise<TtlvItem> {
    const body = encodeTtlv(message);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.endpoint.host,
          port: this.endpoint.port,
          method: 'POST',
          path: '/kmip',
          agent: this.agent,
          timeout: 30_000,
          headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200)
              return reject(new Error(`POST /kmip answered HTTP ${res.statusCode}`));
            try {
              resolve(decodeTtlv(Buffer.concat(chunks)));
            } catch (err) {
              reject(err as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('POST /kmip timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

/** Opens one channel to the endpoint over its transport. */
export async function openChannel(endpoint: Endpoint, tls: TlsMaterial): Promise<KmipChannel> {
  if (endpoint.transport === 'ttlv') return connectTtlv(endpoint, tls);
  const channel = new HttpsKmipChannel(endpoint, tls);
  return channel;
}

/** Opens `count` channels, at most `parallel` handshakes at a time (RSA handshakes are costly). */
export async function openChannels(
  endpoint: Endpoint,
  tls: TlsMaterial,
  count: number,
  parallel = 32,
): Promise<KmipChannel[]> {
  const out: KmipChannel[] = [];
  try {
    for (let i = 0; i < count; i += parallel) {
      const batch = Array.from({ length: Math.min(parallel, count - i) }, () => openChannel(endpoint, tls));
      const settled = await Promise.allSettled(batch);
      for (const s of settled) if (s.status === 'fulfilled') out.push(s.value);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (err) {
    await closeChannels(out);
    throw err;
  }
  return out;
}

export async function closeChannels(channels: readonly KmipChannel[]): Promise<void> {
  await Promise.allSettled(channels.map((c) => c.close()));
}
