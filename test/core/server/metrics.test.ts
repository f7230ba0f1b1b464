/**
 * The per-request series counted in plain fields expose exactly what prom-client's own Counter
 * and Histogram expose for the same observations, and sum across workers the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { createMetrics, OPERATION_SECONDS_BUCKETS, OperationStats } from '../../../core/server/metrics.js';

type Status = 'Success' | 'OperationFailed';

/** Durations on, between, below and above the bucket bounds. */
const observations: [string, Status, number][] = [
  ['Encrypt', 'Success', 0.0002],
  ['Encrypt', 'Success', 0.0005],
  ['Encrypt', 'Success', 0.00051],
  ['Encrypt', 'OperationFailed', 0.003],
  ['Get', 'Success', 2.5],
  ['Get', 'Success', 7],
  ['Locate', 'OperationFailed', 0.04],
  ['we"ird\\op\n', 'Success', 0.1],
];

function reference(): Registry {
  const registry = new Registry();
  const counter = new Counter({
    name: 'krypton_kmip_operations_total',
    help: 'KMIP batch items handled, by operation and result status',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'krypton_kmip_operation_duration_seconds',
    help: 'Time to handle one KMIP batch item',
    labelNames: ['operation'] as const,
    buckets: [...OPERATION_SECONDS_BUCKETS],
    registers: [registry],
  });
  for (const [operation, status, seconds] of observations) {
    counter.inc({ operation, status });
    histogram.observe({ operation }, seconds);
  }
  return registry;
}

function ours(): Registry {
  const registry = new Registry();
  const stats = new OperationStats();
  registry.registerMetric(stats.counter());
  registry.registerMetric(stats.histogram());
  for (const [operation, status, seconds] of observations) stats.record(operation, status, seconds);
  return registry;
}

describe('operation metrics', () => {
  it('expose-the-text-prom-client-exposes-for-the-same-observations', async () => {
    const expected = await reference().metrics();
    assert.match(expected, /krypton_kmip_operation_duration_seconds_bucket\{le="\+Inf",operation="Get"\} 2/);
    assert.equal(await ours().metrics(), expected);
  });

  it('sum-across-workers-as-prom-client-metrics-do', async () => {
    const aggregate = async (make: () => Registry) =>
      AggregatorRegistry.aggregate([
        await make().getMetricsAsJSON(),
        await make().getMetricsAsJSON(),
      ]).metrics();
    const expected = await aggregate(reference);
    assert.match(expected, /krypton_kmip_operations_total\{operation="Encrypt",status="Success"\} 6/);
    assert.equal(await aggregate(ours), expected);
  });

  it('fold-operations-beyond-the-bound-into-other', async () => {
    const registry = new Registry();
    const stats = new OperationStats();
    registry.registerMetric(stats.counter());
    stats.record('Encrypt', 'Success', 0.001);
    // A client sending unknown operation codes, each labelled by its number.
    for (let code = 0; code < 1000; code++) stats.record(`0x${code.toString(16)}`, 'OperationFailed', 0.001);
    stats.record('Encrypt', 'Success', 0.001);
    const lines = (await registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('krypton_kmip_operations_total{'));
    assert.equal(lines.length, OperationStats.MAX_OPERATIONS + 1);
    assert.ok(lines.includes('krypton_kmip_operations_total{operation="Encrypt",status="Success"} 2'));
    const folded = 1000 - (OperationStats.MAX_OPERATIONS - 1);
    assert.ok(
      lines.includes(`krypton_kmip_operations_total{operation="other",status="OperationFailed"} ${folded}`),
    );
  });

  it('count-ttlv-requests-when-read-and-not-twice', async () => {
    const metrics = createMetrics();
    const slot = metrics.requestSlot('ttlv', 'ttlv');
    slot.n += 3;
    metrics.requests.inc({ transport: 'https', encoding: 'json' });
    const line = (text: string, transport: string) =>
      text.split('\n').find((l) => l.startsWith(`krypton_kmip_requests_total{transport="${transport}"`));
    let text = await metrics.registry.metrics();
    assert.equal(line(text, 'ttlv'), 'krypton_kmip_requests_total{transport="ttlv",encoding="ttlv"} 3');
    assert.equal(line(text, 'https'), 'krypton_kmip_requests_total{transport="https",encoding="json"} 1');
    slot.n += 2;
    text = await metrics.registry.metrics();
    assert.equal(line(text, 'ttlv'), 'krypton_kmip_requests_total{transport="ttlv",encoding="ttlv"} 5');
    text = await metrics.registry.metrics();
    assert.equal(line(text, 'ttlv'), 'krypton_kmip_requests_total{transport="ttlv",encoding="ttlv"} 5');
  });
});
