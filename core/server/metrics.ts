/**
 * Prometheus metrics (prom-client), one registry per server instance so that several servers
 * in one process (tests) never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly operations: Counter<'operation' | 'status'>;
  readonly operationSeconds: Histogram<'operation'>;
  readonly openConnections: Gauge<'transport'>;
  readonly refusedConnections: Counter<'transport' | 'reason'>;
  readonly requests: Counter<'transport' | 'encoding'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  return {
    registry,
    operations: new Counter({
      name: 'krypton_kmip_operations_total',
      help: 'KMIP batch items handled, by operation and result status',
      labelNames: ['operation', 'status'] as const,
      registers: [registry],
    }),
    operationSeconds: new Histogram({
      name: 'krypton_kmip_operation_duration_seconds',
      help: 'Time to handle one KMIP batch item',
      labelNames: ['operation'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    openConnections: new Gauge({
      name: 'krypton_open_connections',
      help: 'Open client connections',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    refusedConnections: new Counter({
      name: 'krypton_refused_connections_total',
      help: 'Connections closed by a limit, a failed handshake or a bad frame',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    requests: new Counter({
      name: 'krypton_kmip_requests_total',
      help: 'KMIP request messages, by transport and encoding',
      labelNames: ['transport', 'encoding'] as const,
      registers: [registry],
    }),
  };
}
