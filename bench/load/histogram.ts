/**
 * Latency recording on an HDR histogram (hdr-histogram-js): values in nanoseconds, three
 * significant digits, so a 50 µs request is kept to within 50 ns and a 2 s stall still fits.
 */
import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Longest latency the histogram tracks: 2 minutes in nanoseconds. */
const HIGHEST_TRACKABLE_NS = 120e9;

/** The percentiles the report plots (x axis of the latency spectrum). */
export const SPECTRUM_PERCENTILES: readonly number[] = Object.freeze([
  0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100,
]);

export interface LatencySummary {
  /** Samples recorded. */
  count: number;
  /** Microseconds (three significant digits). */
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** [percentile, microseconds] pairs at SPECTRUM_PERCENTILES. */
  spectrum: [number, number][];
}

export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_NS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /** Records one latency in nanoseconds (clamped into the trackable range). */
  recordNs(ns: number): void {
    this.histogram.recordValue(Math.min(Math.max(1, Math.round(ns)), HIGHEST_TRACKABLE_NS));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const us = (ns: number) => round3(ns / 1000);
    return {
      count: h.totalCount,
      meanUs: h.totalCount > 0 ? us(h.mean) : 0,
      p50Us: us(h.getValueAtPercentile(50)),
      p90Us: us(h.getValueAtPercentile(90)),
      p99Us: us(h.getValueAtPercentile(99)),
      p999Us: us(h.getValueAtPercentile(99.9)),
      maxUs: us(h.maxValue),
      spectrum: SPECTRUM_PERCENTILES.map((p) => [p, us(h.getValueAtPercentile(p))]),
    };
  }
}

/** Three significant digits below 1,000, whole numbers above: more would be noise in the JSON. */
export function round3(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
