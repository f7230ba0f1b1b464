/**
 * The load generator: N connections (channels), `pipeline` requests in flight on each, a
 * warm-up that is not recorded, then a fixed duration or a fixed count. Every loop is bounded
 * in count and in time: a hard deadline stops it even if the target stops answering.
 */
import { performance } from 'node:perf_hooks';
import { LatencyRecorder, round3 } from './histogram.js';
import type { LatencySummary } from './histogram.js';
import { createProgress } from './progress.js';
import type { KmipChannel } from './channels.js';

/** One iteration of a scenario: one or more requests on one channel. Throws on failure. */
export type Iteration = (channel: KmipChannel, seq: number) => Promise<void>;

/** Thrown by an iteration or a scenario's setup when the target cannot run it (reason shown). */
export class ScenarioSkip extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ScenarioSkip';
  }
}

export interface LoadOptions {
  label: string;
  channels: readonly KmipChannel[];
  /** Requests in flight per channel (1 = no pipelining). */
  pipeline: number;
  warmupMs: number;
  /** Measured phase length; ignored when `count` is given. */
  durationMs: number;
  /** Measured iterations; when set the run stops after this many (or at maxMs). */
  count?: number;
  /** Hard limit for warm-up plus measurement. Default: warm-up + 3 × duration + 30 s. */
  maxMs?: number;
  iteration: Iteration;
  progress?: boolean;
  /** Called when the measured phase begins (after warm-up): to sample counters kept elsewhere. */
  onMeasureStart?: () => void;
}

export interface LoadResult {
  connections: number;
  pipeline: number;
  iterations: number;
  errors: number;
  firstError?: string;
  /** True when the hard deadline or the error limit ended the run. */
  truncated: boolean;
  elapsedS: number;
  /** Iterations per second over the measured phase. */
  rate: number;
  latency: LatencySummary;
}

/** More errors than this, and more errors than successes, ends a run early. */
const ERROR_LIMIT = 100;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const recorder = new LatencyRecorder();
  const started = performance.now();
  const maxMs = opts.maxMs ?? opts.warmupMs + 3 * opts.durationMs + 30_000;
  const progress = createProgress(opts.label, opts.progress);
  let phase: 'warmup' | 'measure' | 'stop' = opts.warmupMs > 0 ? 'warmup' : 'measure';
  let measureStart = phase === 'measure' ? started : 0;
  if (phase === 'measure') opts.onMeasureStart?.();
  let lastDone = 0;
  let seq = 0;
  let measuredStarted = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let skip: ScenarioSkip | undefined;
  let truncated = false;

  const stop = () => {
    if (phase === 'stop') return;
    phase = 'stop';
  };
  const warmupTimer =
    opts.warmupMs > 0
      ? setTimeout(() => {
          if (phase !== 'warmup') return;
          phase = 'measure';
          measureStart = performance.now();
          opts.onMeasureStart?.();
        }, opts.warmupMs)
      : undefined;
  const hardTimer = setTimeout(() => {
    truncated = true;
    stop();
  }, maxMs);
  const ticker = setInterval(() => {
    const now = performance.now();
    if (phase === 'warmup') return progress.update(0, 'warming up');
    const elapsed = (now - measureStart) / 1000;
    const fraction =
      opts.count !== undefined ? completed / opts.count : (now - measureStart) / opts.durationMs;
    progress.update(
      fraction,
      `${Math.round(completed / Math.max(elapsed, 1e-3)).toLocaleString('en-US')}/s${errors ? `, ${errors} errors` : ''}`,
    );
  }, 200);

  const worker = async (channel: KmipChannel) => {
    while (phase !== 'stop') {
      const measured = phase === 'measure';
      if (measured) {
        if (
          opts.count !== undefined
            ? measuredStarted >= opts.count
            : performance.now() - measureStart >= opts.durationMs
        ) {
          stop();
          break;
        }
        measuredStarted++;
      }
      const t0 = performance.now();
      try {
        await opts.iteration(channel, seq++);
        if (measured) {
          const t1 = performance.now();
          recorder.recordNs((t1 - t0) * 1e6);
          completed++;
          lastDone = t1;
        }
      } catch (err) {
        if (err instanceof ScenarioSkip) {
          skip ??= err;
          stop();
          break;
        }
        errors++;
        firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (errors > ERROR_LIMIT && errors > completed) {
          truncated = true;
          stop();
        }
      }
    }
  };

  try {
    const workers: Promise<void>[] = [];
    for (const channel of opts.channels)
      for (let i = 0; i < Math.max(1, opts.pipeline); i++) workers.push(worker(channel));
    await Promise.all(workers);
  } finally {
    clearTimeout(warmupTimer);
    clearTimeout(hardTimer);
    clearInterval(ticker);
    progress.done();
  }
  if (skip) throw skip;
  // In-flight iterations finish after the deadline; the measured phase ends with the last one.
  const elapsedS = Math.max(1e-6, ((lastDone || performance.now()) - (measureStart || started)) / 1000);
  return {
    connections: opts.channels.length,
    pipeline: Math.max(1, opts.pipeline),
    iterations: completed,
    errors,
    ...(firstError !== undefined && { firstError }),
    truncated,
    elapsedS: round3(elapsedS),
    rate: round3(completed / elapsedS),
    latency: recorder.summary(),
  };
}
