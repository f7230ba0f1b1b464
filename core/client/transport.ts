/**
 * How a KmipClient moves one request tree to a server and the response tree back:
 * TTLV over mutual TLS (port 5696, KMIP 1.4 §10 / 2.1 §14, pipelined on one socket) or an HTTPS
 * `POST /kmip` carrying TTLV, KMIP JSON or KMIP XML (KMIP Additional Message Encodings v1.0).
 */
import { Agent, request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { decodeKmipJson, decodeKmipXml, encodeKmipJson, encodeKmipXml } from '../encodings/index.js';
import { KryptonError } from '../errors.js';
import type { KmipVersion } from '../spec/index.js';
import { decodeTtlv } from '../ttlv/decoder.js';
import { encodeTtlv } from '../ttlv/encoder.js';
import { TtlvFrameReader } from '../ttlv/frame-reader.js';
import type { TtlvItem } from '../ttlv/types.js';

export interface TlsOptions {
  host: string;
  port: number;
  ca: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface KmipTransport {
  /** Sends one request message and resolves with the response message tree. */
  send(request: TtlvItem, version?: KmipVersion): Promise<TtlvItem>;
  close(): Promise<void>;
  /** Requests sent and not yet answered (for the pool's least-busy choice). */
  readonly inFlight: number;
  readonly closed: boolean;
}

/** SNI only for host names: an IP literal is not a valid server name (RFC 6066 §3). */
function serverName(opts: TlsOptions): string | undefined {
  return opts.servername ?? (/^[\d.]+$/.test(opts.host) || opts.host.includes(':') ? undefined : opts.host);
}

interface Pending {
  resolve(item: TtlvItem): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * TTLV over TLS. The server answers pipelined requests in order (KMIP has no request id at the
 * message level), so responses settle the oldest pending request.
 */
export class TtlvTlsTransport implements KmipTransport {
  private readonly pending: Pending[] = [];
  private readonly reader: TtlvFrameReader;
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly timeoutMs: number,
    maxFrameBytes: number | undefined,
  ) {
    this.reader = new TtlvFrameReader(maxFrameBytes !== undefined ? { maxFrameBytes } : {});
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) this.settle(frame);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
      }
    });
    socket.on('close', () => this.fail(new KryptonError('KRY_CLIENT_CLOSED')));
    socket.on('error', (err) => this.fail(err));
  }

  static connect(
    opts: TlsOptions & { timeoutMs?: number; maxFrameBytes?: number },
  ): Promise<TtlvTlsTransport> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: opts.host,
        port: opts.port,
        ca: opts.ca,
        ...(opts.cert !== undefined && { cert: opts.cert }),
        ...(opts.key !== undefined && { key: opts.key }),
        servername: serverName(opts),
        minVersion: opts.minVersion ?? 'TLSv1.2',
        maxVersion: opts.maxVersion ?? 'TLSv1.3',
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KryptonError('KRY_CLIENT_TIMEOUT', 'TLS handshake'));
      }, opts.timeoutMs ?? 30_000);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new TtlvTlsTransport(socket, opts.timeoutMs ?? 30_000, opts.maxFrameBytes));
      });
    });
  }

  get inFlight(): number {
    return this.pending.length;
  }

  get closed(): boolean {
    return this.closedError !== undefined || this.socket.destroyed;
  }

  send(request: TtlvItem): Promise<TtlvItem> {
    if (this.closedError) return Promise.reject(this.closedError);
    let bytes: Buffer;
    try {
      bytes = encodeTtlv(request);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A lost answer desynchronises the in-order matching: the connection cannot be reused.
        this.fail(new KryptonError('KRY_CLIENT_TIMEOUT'));
        this.socket.destroy();
      }, this.timeoutMs);
      this.pending.push({ resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private settle(frame: Buffer): void {
    const next = this.pending.shift();
    if (!next) return;
    clearTimeout(next.timer);
    try {
      next.resolve(decodeTtlv(frame));
    } catch (err) {
      next.reject(err as Error);
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}

export type HttpsEncoding = 'ttlv' | 'json' | 'xml';

const CONTENT_TYPE: Readonly<Record<HttpsEncoding, string>> = Object.freeze({
  ttlv: 'application/octet-stream',
  json: 'application/json',
  xml: 'text/xml',
});

/** HTTPS `POST <path>` with keep-alive: one request message per HTTP request (KMIP HTTPS Profile). */
export class HttpsTransport implements KmipTransport {
  private readonly agent: Agent;
  private pendingCount = 0;
  private isClosed = false;

  constructor(
    private readonly opts: TlsOptions & {
      encoding?: HttpsEncoding;
      path?: string;
      timeoutMs?: number;
      maxResponseBytes?: number;
    },
  ) {
    this.agent = new Agent({
      keepAlive: true,
      ca: opts.ca,
      ...(opts.cert !== undefined && { cert: opts.cert }),
      ...(opts.key !== undefined && { key: opts.key }),
      minVersion: opts.minVersion ?? 'TLSv1.2',
      maxVersion: opts.maxVersion ?? 'TLSv1.3',
    });
  }

  get inFlight(): number {
    return this.pendingCount;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  async send(request: TtlvItem, version?: KmipVersion): Promise<TtlvItem> {
    if (this.isClosed) throw new KryptonError('KRY_CLIENT_CLOSED');
    const encoding = this.opts.encoding ?? 'ttlv';
    const body =
      encoding === 'ttlv'
        ? encodeTtlv(request)
        : encoding === 'json'
          ? encodeKmipJson(request, version ? { version } : {})
          : encodeKmipXml(request, version ? { version } : {});
    this.pendingCount++;
    try {
      const answer = await this.post(body, CONTENT_TYPE[encoding]);
      return encoding === 'ttlv'
        ? decodeTtlv(answer)
        : encoding === 'json'
          ? decodeKmipJson(answer.toString('utf8'))
          : decodeKmipXml(answer.toString('utf8'));
    } finally {
      this.pendingCount--;
    }
  }

  close(): Promise<void> {
    this.isClosed = true;
    this.agent.destroy();
    return Promise.resolve();
  }

  private post(body: Buffer | string, contentType: string): Promise<Buffer> {
    const limit = this.opts.maxResponseBytes ?? 4 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const servername = serverName(this.opts);
      const req = httpsRequest(
        {
          host: this.opts.host,
          port: this.opts.port,
          path: this.opts.path ?? '/kmip',
          method: 'POST',
          agent: this.agent,
          ...(servername !== undefined && { servername }),
          headers: { 'content-type': contentType, accept: contentType },
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > limit) {
              req.destroy(new KryptonError('KRY_TTLV_FRAME_TOO_LARGE', `HTTP answer over ${limit} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new KryptonError('KRY_CLIENT_HTTP_STATUS', String(res.statusCode)));
              return;
            }
            resolve(Buffer.concat(chunks));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new KryptonError('KRY_CLIENT_TIMEOUT')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
