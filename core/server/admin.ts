/**
 * Admin listener: `/healthz` (the process answers), `/readyz` (listeners up, not draining) and
 * `/metrics` (Prometheus). Plain HTTP on a loopback address by default: the one allow-listed
 * unauthenticated surface, kept off the KMIP listeners (SECURITY-CHECKLIST 25).
 */
import { fastify } from 'fastify';
import type { FastifyInstance } from 'fastify';
/** Where `/metrics` comes from: a prom-client registry, or the sum over a cluster's workers. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface AdminAppOptions {
  metrics: MetricsSource;
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
    reply.header('content-type', opts.metrics.contentType).send(await opts.metrics.metrics()),
  );
  return app as unknown as FastifyInstance;
}
