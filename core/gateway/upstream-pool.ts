/**
 * The gateway's persistent mutual-TLS connection pool to the core. Unlike a client pool it never
 * makes a caller wait for a core that is down: a request finds a live connection, or one
 * connection attempt bounded by `connectTimeoutMs` (skipped while the reconnect back-off runs),
 * and otherwise fails at once with KRY_GW_UPSTREAM_UNAVAILABLE; an answer later than
 * `requestTimeoutMs` fails with KRY_GW_UPSTREAM_TIMEOUT (and that connection is dropped: KMIP
 * answers in order, a lost answer desynchronises it). While the core is down a timer reconnects
 * in the background, doubling the delay up to 10× `reconnectDelayMs`; an idle pool is probed
 * every `keepAliveMs`. Health is exported as metrics. A request goes over the least busy
 * connection, except the later parts of a multi-part operation: over the connection that carried
 * its first part only (`sendTracked`, `sendOn`; core/gateway/stream-pins.ts).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TtlvTlsTransport } from '../client/transport.js';
import { KryptonError, isKryptonError } from '../errors.js';
import type { TtlvItem } from '../ttlv/types.js';

export interface UpstreamPoolOptions {
  readonly host: string;
  readonly port: number;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly servername?: string;
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly reconnectDelayMs: number;
  readonly keepAliveMs: number;
  readonly maxFrameBytes?: number;
  readonly log: Logger;
  readonly metrics?: Registry;
  /** A cheap request for the keep-alive probe (DiscoverVersions). */
  readonly probe: () => TtlvItem;
}

/** One of the pool's connections, as a multi-part operation's later parts name it (`sendOn`). */
export type UpstreamConnection = TtlvTlsTransport;

interface Slot {
  conn: TtlvTlsTransport | undefined;
  connecting: Promise<TtlvTlsTransport> | undefined;
}

export interface UpstreamMetrics {
  readonly up: Gauge;
  readonly connections: Gauge;
  readonly requests: Counter<'result'>;
}

function upstreamMetrics(registry: Registry | undefined): UpstreamMetrics | undefined {
  if (!registry) return undefined;
  return {
    up: new Gauge({
      name: 'krypton_gateway_upstream_up',
      help: '1 when the gateway has a live connection to the core, else 0',
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'krypton_gateway_upstream_connections',
      help: 'Open mutual-TLS connections from the gateway to the core',
      registers: [registry],
    }),
    requests: new Counter({
      name: 'krypton_gateway_upstream_requests_total',
      help: 'Requests the gateway sent to the core, by result (ok, unavailable, timeout, error)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export class UpstreamPool {
  private readonly slots: Slot[];
  private readonly metrics: UpstreamMetrics | undefined;
  private nextAttemptAt = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private lastUse = 0;
  private isClosed = false;
  private wasUp: boolean | undefined;

  constructor(private readonly opts: UpstreamPoolOptions) {
    this.slots = Array.from({ length: opts.connections }, () => ({ conn: undefined, connecting: undefined }));
    this.metrics = upstreamMetrics(opts.metrics);
    this.metrics?.up.set(0);
  }

  /** Starts connecting in the background; never fails (the core may start after the gateway). */
  start(): void {
    for (const slot of this.slots) void this.connect(slot).catch(() => undefined);
    this.keepAlive = setInterval(() => this.probeIfIdle(), this.opts.keepAliveMs);
    this.keepAlive.unref();
  }

  /** True when at least one connection to the core is open. */
  get healthy(): boolean {
    return this.slots.some((s) => s.conn !== undefined && !s.conn.closed);
  }

  get openConnections(): number {
    return this.slots.filter((s) => s.conn !== undefined && !s.conn.closed).length;
  }

  /** Sends one request message; resolves with the response message or fails within the deadline. */
  async send(request: TtlvItem): Promise<TtlvItem> {
    const conn = await this.acquire();
    try {
      const answer = await conn.send(request);
      this.metrics?.requests.inc({ result: 'ok' });
      return answer;
    } catch (err) {
      throw this.failed(err);
    }
  }

  /**
   * As `send`, and names the connection that carried the request: the first part of a
   * multi-part operation, whose later parts must follow it (`sendOn`; core/gateway/stream-pins.ts).
   */
  async sendTracked(request: TtlvItem): Promise<{ answer: TtlvItem; conn: UpstreamConnection }> {
    const conn = await this.acquire();
    return { answer: await this.sendOn(conn, request), conn };
  }

  /**
   * Sends on `conn` only — a later part of a multi-part operation, whose state lives in the core
   * process behind that connection: never another connection, never a new one.
   */
  async sendOn(conn: UpstreamConnection, request: TtlvItem): Promise<TtlvItem> {
    if (this.isClosed) throw new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE', 'the gateway is stopping');
    this.lastUse = Date.now();
    try {
      const answer = await conn.send(request);
      this.metrics?.requests.inc({ result: 'ok' });
      return answer;
    } catch (err) {
      throw this.failed(err);
    }
  }

  private acquire(): Promise<TtlvTlsTransport> {
    if (this.isClosed)
      return Promise.reject(new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE', 'the gateway is stopping'));
    this.lastUse = Date.now();
    return this.pick();
  }

  /** The error of a request its connection did not answer (the connection is gone either way). */
  private failed(err: unknown): KryptonError {
    this.refreshHealth();
    if (isKryptonError(err) && err.code === 'KRY_CLIENT_TIMEOUT') {
      this.metrics?.requests.inc({ result: 'timeout' });
      return new KryptonError('KRY_GW_UPSTREAM_TIMEOUT', `${this.opts.requestTimeoutMs} ms`);
    }
    this.metrics?.requests.inc({ result: 'unavailable' });
    this.scheduleReconnect();
    return new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE', 'the connection to the core was lost');
  }

  private async pick(): Promise<TtlvTlsTransport> {
    let best: TtlvTlsTransport | undefined;
    let down: Slot | undefined;
    for (const slot of this.slots) {
      const conn = slot.conn;
      if (conn === undefined || conn.closed) {
        slot.conn = undefined;
        down ??= slot;
        continue;
      }
      if (best === undefined || conn.inFlight < best.inFlight) best = conn;
    }
    if (best !== undefined) {
      // Refill a dropped slot in the background; the request does not wait for it.
      if (down !== undefined && Date.now() >= this.nextAttemptAt)
        void this.connect(down).catch(() => undefined);
      return best;
    }
    this.refreshHealth();
    // Every connection is down. While the back-off runs, fail at once: a client never waits on a
    // core that just refused; otherwise make one attempt, bounded by the connect timeout.
    const pending = this.slots.find((s) => s.connecting)?.connecting;
    if (pending) return pending.catch(() => this.unavailable());
    if (Date.now() < this.nextAttemptAt || down === undefined) return this.unavailable();
    return this.connect(down).catch(() => this.unavailable());
  }

  private unavailable(): never {
    this.metrics?.requests.inc({ result: 'unavailable' });
    throw new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE', `${this.opts.host}:${this.opts.port}`);
  }

  private connect(slot: Slot): Promise<TtlvTlsTransport> {
    if (slot.connecting) return slot.connecting;
    if (this.isClosed) return Promise.reject(new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE'));
    // The transport's timeout is the per-request deadline; the handshake gets its own, shorter one.
    const connecting = TtlvTlsTransport.connect({
      host: this.opts.host,
      port: this.opts.port,
      ca: this.opts.ca,
      cert: this.opts.cert,
      key: this.opts.key,
      ...(this.opts.servername !== undefined && { servername: this.opts.servername }),
      timeoutMs: this.opts.requestTimeoutMs,
      ...(this.opts.maxFrameBytes !== undefined && { maxFrameBytes: this.opts.maxFrameBytes }),
    });
    const attempt = new Promise<TtlvTlsTransport>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KryptonError('KRY_GW_UPSTREAM_TIMEOUT', 'TLS connection to the core'));
        void connecting.then(
          (late) => late.close(),
          () => undefined,
        );
      }, this.opts.connectTimeoutMs);
      connecting.then(
        (conn) => {
          clearTimeout(timer);
          resolve(conn);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
    slot.connecting = attempt;
    return attempt.then(
      (conn) => {
        slot.connecting = undefined;
        if (this.isClosed) {
          void conn.close();
          throw new KryptonError('KRY_GW_UPSTREAM_UNAVAILABLE');
        }
        slot.conn = conn;
        this.failures = 0;
        this.nextAttemptAt = 0;
        this.refreshHealth();
        return conn;
      },
      (err: unknown) => {
        slot.connecting = undefined;
        this.failures++;
        const delay = Math.min(
          this.opts.reconnectDelayMs * 2 ** Math.min(this.failures - 1, 4),
          this.opts.reconnectDelayMs * 10,
        );
        this.nextAttemptAt = Date.now() + delay;
        this.refreshHealth();
        this.scheduleReconnect();
        throw err;
      },
    );
  }

  /** While no connection is open, retry in the background so health recovers without traffic. */
  private scheduleReconnect(): void {
    if (this.isClosed || this.timer !== undefined) return;
    const wait = Math.max(0, this.nextAttemptAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.isClosed) return;
      for (const slot of this.slots)
        if (slot.conn === undefined || slot.conn.closed) void this.connect(slot).catch(() => undefined);
    }, wait);
    this.timer.unref();
  }

  private refreshHealth(): void {
    const open = this.openConnections;
    const up = open > 0;
    this.metrics?.connections.set(open);
    this.metrics?.up.set(up ? 1 : 0);
    if (this.wasUp !== up) {
      if (up) this.opts.log.info({ core: `${this.opts.host}:${this.opts.port}` }, 'connected to the core');
      else if (this.wasUp !== undefined)
        this.opts.log.warn({ core: `${this.opts.host}:${this.opts.port}` }, 'no connection to the core');
      this.wasUp = up;
    }
    if (!up) this.scheduleReconnect();
  }

  private probeIfIdle(): void {
    if (this.isClosed) return;
    if (Date.now() - this.lastUse < this.opts.keepAliveMs) return;
    for (const slot of this.slots) {
      const conn = slot.conn;
      if (conn && !conn.closed && conn.inFlight === 0)
        void conn.send(this.opts.probe()).catch(() => this.refreshHealth());
    }
    this.refreshHealth();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    await Promise.all(this.slots.map((s) => s.conn?.close()));
    this.metrics?.up.set(0);
    this.metrics?.connections.set(0);
  }
}
