/**
 * The fastify application: it hosts the operation plugins (fastify-plugin metadata makes a
 * missing dependency fail at boot) and, when the HTTPS listener is enabled, serves
 * `POST /kmip` in TTLV (`application/octet-stream`), KMIP JSON (`application/json`) and KMIP XML
 * (`text/xml`, `application/xml`), answering in the encoding of the request.
 */
import { fastify, LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.js';
import type { ServerMetrics } from './metrics.js';

export type KmipEncoding = 'ttlv' | 'json' | 'xml';

export const CONTENT_TYPES: Readonly<Record<KmipEncoding, string>> = Object.freeze({
  ttlv: 'application/octet-stream',
  json: 'application/json',
  xml: 'text/xml',
});

export interface PeerInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly peerIdentity: Identity | undefined;
}

/** Decodes a message in one encoding, dispatches it and encodes the answer the same way. */
export type KmipMessageHandler = (
  body: Buffer | string,
  encoding: KmipEncoding,
  peer: PeerInfo,
  transport: 'ttlv' | 'https',
) => Promise<Buffer | string>;

export interface KmipAppOptions {
  https?: {
    key: Buffer | string;
    cert: Buffer | string;
    ca: Buffer | string;
    requireClientCert: boolean;
    minVersion: 'TLSv1.2' | 'TLSv1.3';
    handshakeTimeoutMs: number;
  };
  bodyLimit: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  log: Logger;
  metrics: ServerMetrics;
  identify(socket: TLSSocket): Identity | undefined;
  /** Read at request time: the dispatcher exists only once the plugins have loaded. */
  handler: () => KmipMessageHandler;
}

export function createKmipApp(opts: KmipAppOptions): FastifyInstance {
  const httpsOptions = opts.https
    ? {
        key: opts.https.key,
        cert: opts.https.cert,
        ca: opts.https.ca,
        requestCert: true,
        rejectUnauthorized: opts.https.requireClientCert,
        minVersion: opts.https.minVersion,
        maxVersion: 'TLSv1.3' as const,
        honorCipherOrder: true,
        handshakeTimeout: opts.https.handshakeTimeoutMs,
      }
    : null;
  const app = fastify({
    ...(httpsOptions ? { https: httpsOptions } : {}),
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    keepAliveTimeout: Math.min(opts.idleTimeoutMs, 72_000),
    connectionTimeout: opts.requestTimeoutMs,
    // Per-request access lines off the hot path; the dispatcher logs what matters.
    logController: new LogController({ disableRequestLogging: true }),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  if (httpsOptions) {
    // Node no longer destroys the socket on a handshake failure once this listener exists.
    app.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      opts.metrics.refusedConnections.inc({ transport: 'https', reason: 'handshake' });
      opts.log.info({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake refused');
      socket.destroy();
    });
    app.server.on('secureConnection', (socket: TLSSocket) => {
      // The peer's identity is read once per connection (below): no renegotiation may change
      // the certificate behind it (TLS 1.3 has none; this closes it for TLS 1.2).
      socket.disableRenegotiation();
      opts.metrics.openConnections.inc({ transport: 'https' });
      socket.once('close', () => opts.metrics.openConnections.dec({ transport: 'https' }));
    });
  }

  // fastify's default error body echoes the error message: answer with the status alone.
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _request, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) opts.log.error({ err: err.message }, 'POST /kmip failed');
    return reply.code(status).header('cache-control', 'no-store').send();
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).header('cache-control', 'no-store').send());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser(
    ['application/json', 'text/xml', 'application/xml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  let nextId = 1;
  // A connection's identity, from its certificate at the first request: reading the certificate
  // (getPeerCertificate) and mapping it was a cost of every request on a kept-alive connection.
  const identities = new WeakMap<TLSSocket, { readonly identity: Identity | undefined }>();
  const identityOf = (socket: TLSSocket): Identity | undefined => {
    let known = identities.get(socket);
    if (!known) {
      known = { identity: opts.identify(socket) };
      identities.set(socket, known);
    }
    return known.identity;
  };
  app.post('/kmip', async (request, reply) => {
    const socket = request.raw.socket as TLSSocket;
    if (opts.https && !socket.authorized && socket.getPeerCertificate?.()?.subject) {
      // A certificate from another CA is never an identity.
      return reply.code(403).send();
    }
    const mediaType = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    const encoding: KmipEncoding | undefined =
      mediaType === 'application/octet-stream'
        ? 'ttlv'
        : mediaType === 'application/json'
          ? 'json'
          : mediaType === 'text/xml' || mediaType === 'application/xml'
            ? 'xml'
            : undefined;
    if (!encoding) return reply.code(415).send();
    opts.metrics.requests.inc({ transport: 'https', encoding });
    const peer: PeerInfo = {
      id: nextId++,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      peerIdentity: opts.https && socket.authorized ? identityOf(socket) : undefined,
    };
    const answer = await opts.handler()(request.body as Buffer | string, encoding, peer, 'https');
    const contentType = encoding === 'xml' ? mediaType : CONTENT_TYPES[encoding];
    return reply
      .code(200)
      .header('content-type', contentType)
      .header('cache-control', 'no-store')
      .send(answer);
  });
  return app;
}
