/**
 * Admin listener: `/healthz` (the process answers), `/readyz` (listeners up, not draining) and
 * `/metrics` (Prometheus). Plain HTTP on a loopback address by default: the one allow-listed
 * unauthenticated surface, kept off the KMIP listeners (SECURITY-CHECKLIST 25).
 */
import { fastify } from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics.js';

export interface AdminAppOptions {
  metrics: ServerMetrics;
  isReady(): boolean;
}

export function createAdminApp(opts: AdminAppOptions): FastifyInstance {
  const app = fastify({
    logger: false,
    bodyLimit: 1024,
    requestTimeout: 10_000,
    forceCloseConnections: true,
  });
  app.get('/healthz', async (_req, reply) => reply.code(200).send({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    opts.isReady()
      ? reply.code(200).send({ status: 'ready' })
      : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_req, reply) =>
    reply
      .header('content-type', opts.metrics.registry.contentType)
      .send(await opts.metrics.registry.metrics()),
  );
  return app as unknown as FastifyInstance;
}
