/**
 * Prometheus metrics (prom-client), one registry per server instance so that several servers
 * in one process (tests) never share counters.
 *
 * The per-request series (operations by status, their durations, TTLV requests) are counted in
 * plain fields on the hot path and turned into Prometheus samples when the registry is read:
 * prom-client hashes and validates the label set on every `inc`/`observe`, a cost paid per
 * request for what is read once per scrape.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';

/** A metric as prom-client's registry reads it (`get()`), for the series kept here. */
interface ExposedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  aggregator: 'sum';
}

/** Upper bounds (seconds) of the operation duration histogram. */
export const OPERATION_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

interface OperationSeries {
  success: number;
  failed: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly buckets: Float64Array;
  sum: number;
}

/**
 * Batch items by operation and result status, and how long they took: the
 * `krypton_kmip_operations_total` counter and the `krypton_kmip_operation_duration_seconds`
 * histogram, exposed in prom-client's format (and summed across workers like its own metrics).
 */
export class OperationStats {
  private readonly series = new Map<string, OperationSeries>();

  /**
   * Distinct operation labels kept; later ones are counted as `other`. A client picks the
   * operation code, and an unknown one is labelled by its number: without a bound, random codes
   * would grow the series (and every scrape) without end.
   */
  static readonly MAX_OPERATIONS = 128;

  record(operation: string, status: 'Success' | 'OperationFailed', seconds: number): void {
    let s = this.series.get(operation);
    if (s === undefined) {
      const label = this.series.size < OperationStats.MAX_OPERATIONS ? operation : 'other';
      s = this.series.get(label);
      if (s === undefined) {
        s = {
          success: 0,
          failed: 0,
          buckets: new Float64Array(OPERATION_SECONDS_BUCKETS.length + 1),
          sum: 0,
        };
        this.series.set(label, s);
      }
    }
    if (status === 'Success') s.success++;
    else s.failed++;
    let b = 0;
    while (b < OPERATION_SECONDS_BUCKETS.length && seconds > (OPERATION_SECONDS_BUCKETS[b] as number)) b++;
    (s.buckets[b] as number)++;
    s.sum += seconds;
  }

  /** The counter, as prom-client's registry reads a metric. */
  counter(): Metric {
    const name = 'krypton_kmip_operations_total';
    const read = (): ExposedMetric => {
      const values: ExposedMetric['values'] = [];
      for (const [operation, s] of this.series) {
        if (s.success > 0) values.push({ labels: { operation, status: 'Success' }, value: s.success });
        if (s.failed > 0) values.push({ labels: { operation, status: 'OperationFailed' }, value: s.failed });
      }
      return {
        name,
        help: 'KMIP batch items handled, by operation and result status',
        type: 'counter',
        values,
        aggregator: 'sum',
      };
    };
    return this.metric(name, read);
  }

  /** The duration histogram, as prom-client's registry reads a metric. */
  histogram(): Metric {
    const name = 'krypton_kmip_operation_duration_seconds';
    const read = (): ExposedMetric => {
      const values: ExposedMetric['values'] = [];
      for (const [operation, s] of this.series) {
        let cumulative = 0;
        OPERATION_SECONDS_BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i] as number;
          values.push({ labels: { le, operation }, value: cumulative, metricName: `${name}_bucket` });
        });
        const count = s.success + s.failed;
        values.push(
          { labels: { le: '+Inf', operation }, value: count, metricName: `${name}_bucket` },
          { labels: { operation }, value: s.sum, metricName: `${name}_sum` },
          { labels: { operation }, value: count, metricName: `${name}_count` },
        );
      }
      return {
        name,
        help: 'Time to handle one KMIP batch item',
        type: 'histogram',
        values,
        aggregator: 'sum',
      };
    };
    return this.metric(name, read);
  }

  private metric(name: string, read: () => ExposedMetric): Metric {
    return {
      name,
      get: () => Promise.resolve(read()),
      reset: () => this.series.clear(),
    } as unknown as Metric;
  }
}

/** A count kept in a plain field and added to its prom-client counter when metrics are read. */
export interface CountSlot {
  n: number;
}

/** Slots of one prom-client counter, flushed by its `collect`. */
class BufferedCounts<L extends string> {
  private readonly slots: { labels: Partial<Record<L, string>>; slot: CountSlot }[] = [];

  slot(labels: Partial<Record<L, string>>): CountSlot {
    const slot = { n: 0 };
    this.slots.push({ labels, slot });
    return slot;
  }

  flush(counter: Counter<L>): void {
    for (const { labels, slot } of this.slots) {
      if (slot.n > 0) {
        counter.inc(labels, slot.n);
        slot.n = 0;
      }
    }
  }
}

export interface ServerMetrics {
  readonly registry: Registry;
  /** Batch items by operation and status, and their durations. */
  readonly operations: OperationStats;
  readonly openConnections: Gauge<'transport'>;
  readonly refusedConnections: Counter<'transport' | 'reason'>;
  readonly requests: Counter<'transport' | 'encoding'>;
  /** A slot of `requests` for one transport and encoding, for the per-frame path. */
  requestSlot(transport: string, encoding: string): CountSlot;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  const operations = new OperationStats();
  registry.registerMetric(operations.counter());
  registry.registerMetric(operations.histogram());
  const requestCounts = new BufferedCounts<'transport' | 'encoding'>();
  const requests: Counter<'transport' | 'encoding'> = new Counter({
    name: 'krypton_kmip_requests_total',
    help: 'KMIP request messages, by transport and encoding',
    labelNames: ['transport', 'encoding'] as const,
    registers: [registry],
    collect() {
      requestCounts.flush(requests);
    },
  });
  return {
    registry,
    operations,
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
    requests,
    requestSlot: (transport, encoding) => requestCounts.slot({ transport, encoding }),
  };
}
