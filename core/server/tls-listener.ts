/**
 * TTLV over TLS (KMIP 2.1 §10.1, port 5696): mutual TLS by default, TLS 1.2 minimum (1.3
 * preferred), a handshake deadline, an idle deadline, a whole-request deadline, connection caps
 * overall and per peer, frame limits from the codec, pipelined requests answered in order.
 */
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import type { Socket, AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TtlvFrameReader } from '../ttlv/frame-reader.js';
import type { Identity } from '../auth/identity.js';
import type { ServerMetrics } from './metrics.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /** Identity from the client certificate; undefined when none was presented. */
  readonly peerIdentity: Identity | undefined;
}

/** Handles one complete TTLV frame and returns the encoded response. Never throws. */
export type FrameHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<Buffer>;

export interface TlsListenerOptions {
  host: string;
  port: number;
  key: Buffer | string;
  cert: Buffer | string;
  ca: Buffer | string;
  requireClientCert: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /** Frames queued on one connection before reading pauses (back-pressure on pipelining). */
  maxPipelinedFrames?: number;
  identify(socket: TLSSocket): Identity | undefined;
  handleFrame: FrameHandler;
  log: Logger;
  metrics: ServerMetrics;
}

interface ConnectionState {
  socket: TLSSocket;
  info: ConnectionInfo;
  queue: Promise<void>;
  pending: number;
  closing: boolean;
}

export class TtlvTlsListener {
  private readonly server: Server;
  private readonly perPeer = new Map<string, number>();
  /** TCP sockets by `address:port`, until their handshake completes. */
  private readonly handshaking = new Map<string, Socket>();
  private readonly rawSockets = new Set<Socket>();
  private readonly connections = new Set<ConnectionState>();
  private nextId = 1;
  private stopping = false;

  constructor(private readonly opts: TlsListenerOptions) {
    this.server = createServer({
      key: opts.key,
      cert: opts.cert,
      ca: opts.ca,
      requestCert: true,
      rejectUnauthorized: opts.requireClientCert,
      minVersion: opts.minVersion,
      maxVersion: 'TLSv1.3',
      honorCipherOrder: true,
      handshakeTimeout: opts.handshakeTimeoutMs,
    });
    this.server.maxConnections = opts.maxConnections;
    this.server.on('connection', (socket: Socket) => this.onTcpConnection(socket));
    // With a tlsClientError listener attached Node no longer destroys the socket on a handshake
    // failure or timeout (SECURITY-CHECKLIST 5): destroy it here.
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      opts.metrics.refusedConnections.inc({ transport: 'ttlv', reason: 'handshake' });
      opts.log.info({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake refused');
      socket.destroy();
    });
    this.server.on('secureConnection', (socket: TLSSocket) => this.onSecureConnection(socket));
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  private onTcpConnection(socket: Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    const count = (this.perPeer.get(peer) ?? 0) + 1;
    if (this.stopping || count > this.opts.maxConnectionsPerPeer) {
      this.opts.metrics.refusedConnections.inc({
        transport: 'ttlv',
        reason: this.stopping ? 'stopping' : 'per-peer',
      });
      socket.destroy();
      return;
    }
    this.perPeer.set(peer, count);
    this.rawSockets.add(socket);
    const key = `${peer}:${socket.remotePort ?? 0}`;
    this.handshaking.set(key, socket);
    socket.once('close', () => {
      this.rawSockets.delete(socket);
      this.handshaking.delete(key);
      const left = (this.perPeer.get(peer) ?? 1) - 1;
      if (left <= 0) this.perPeer.delete(peer);
      else this.perPeer.set(peer, left);
    });
  }

  private onSecureConnection(socket: TLSSocket): void {
    const { log, metrics } = this.opts;
    this.handshaking.delete(`${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`);
    // A certificate from another CA passes the handshake when client certificates are optional:
    // it is never an identity.
    if (!socket.authorized && socket.getPeerCertificate()?.subject) {
      metrics.refusedConnections.inc({ transport: 'ttlv', reason: 'untrusted-certificate' });
      socket.destroy();
      return;
    }
    const info: ConnectionInfo = {
      id: this.nextId++,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      peerIdentity: socket.authorized ? this.opts.identify(socket) : undefined,
    };
    const conn: ConnectionState = { socket, info, queue: Promise.resolve(), pending: 0, closing: false };
    this.connections.add(conn);
    metrics.openConnections.inc({ transport: 'ttlv' });
    const clog = log.child({
      conn: info.id,
      remote: info.remoteAddress,
      principal: info.peerIdentity?.principal,
    });
    clog.debug({ protocol: socket.getProtocol() }, 'connection open');

    const reader = new TtlvFrameReader({ maxFrameBytes: this.opts.maxFrameBytes });
    const maxPipelined = this.opts.maxPipelinedFrames ?? 16;
    let requestTimer: NodeJS.Timeout | undefined;
    const armRequestTimer = (): void => {
      if (reader.inFrame && !requestTimer) {
        requestTimer = setTimeout(() => {
          metrics.refusedConnections.inc({ transport: 'ttlv', reason: 'request-timeout' });
          clog.info('request not completed in time; closing');
          socket.destroy();
        }, this.opts.requestTimeoutMs);
      } else if (!reader.inFrame && requestTimer) {
        clearTimeout(requestTimer);
        requestTimer = undefined;
      }
    };

    socket.setTimeout(this.opts.idleTimeoutMs, () => {
      if (conn.pending > 0) return; // a request is being handled: not idle
      clog.debug('idle timeout');
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        // Oversize or malformed header: refused before the body is buffered.
        metrics.refusedConnections.inc({ transport: 'ttlv', reason: 'bad-frame' });
        clog.info({ err: (err as Error).message }, 'frame refused; closing');
        socket.destroy();
        return;
      }
      armRequestTimer();
      for (const frame of frames) this.enqueue(conn, frame);
      if (reader.failed) {
        // Garbage after complete frames in one chunk: answer those, then close.
        metrics.refusedConnections.inc({ transport: 'ttlv', reason: 'bad-frame' });
        clog.info({ err: reader.failed.message }, 'frame refused after complete frames; closing');
        conn.closing = true;
        socket.pause();
        if (conn.pending === 0) socket.end();
        return;
      }
      if (conn.pending >= maxPipelined) socket.pause();
    });
    socket.on('error', (err) => clog.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      if (requestTimer) clearTimeout(requestTimer);
      this.connections.delete(conn);
      metrics.openConnections.dec({ transport: 'ttlv' });
      clog.debug('connection closed');
    });
  }

  /** Frames of one connection are handled one after another, so responses leave in order. */
  private enqueue(conn: ConnectionState, frame: Buffer): void {
    conn.pending++;
    // Nothing in flight on this connection: answered at once rather than a promise turn later.
    conn.queue =
      conn.pending === 1 ? this.answer(conn, frame) : conn.queue.then(() => this.answer(conn, frame));
  }

  private async answer(conn: ConnectionState, frame: Buffer): Promise<void> {
    try {
      const response = await this.opts.handleFrame(frame, conn.info);
      if (!conn.socket.destroyed) conn.socket.write(response);
    } catch (err) {
      // The handler should never throw; if it does, this connection ends and the process lives on.
      this.opts.log.error(
        { conn: conn.info.id, err: (err as Error)?.message },
        'frame handler failed; closing',
      );
      conn.socket.destroy();
    }
    conn.pending--;
    if (conn.socket.isPaused() && conn.pending < (this.opts.maxPipelinedFrames ?? 16)) conn.socket.resume();
    if (conn.closing && conn.pending === 0) conn.socket.end();
  }

  /**
   * Stop accepting; let every connection finish the requests it has sent, then close it.
   * After `graceMs` whatever is left is destroyed.
   */
  async close(graceMs: number): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) {
      conn.closing = true;
      conn.socket.pause();
      if (conn.pending === 0) conn.socket.end();
    }
    // Sockets still in the handshake have sent no request: nothing to drain.
    for (const socket of this.handshaking.values()) socket.destroy();
    const timer = setTimeout(() => {
      for (const socket of this.rawSockets) socket.destroy();
      for (const conn of this.connections) conn.socket.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }
}
