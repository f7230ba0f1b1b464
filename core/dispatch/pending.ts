/**
 * Asynchronous operations (KMIP 2.1 §6.1.38 Poll, §6.1.5 Cancel; 1.4 §4.25, §4.26, §6.7-6.8).
 *
 * When a request carries the Asynchronous Indicator and an operation allows it (its descriptor
 * says `asynchronous: true`), the dispatcher answers that batch item at once with Result Status
 * Operation Pending and an Asynchronous Correlation Value, and runs the item later through the
 * same path as a synchronous one (permission, audit, error mapping). Poll returns the stored
 * answer once — "identical to the response that would have been sent if the operation had
 * completed synchronously" — or Pending; Cancel stops an operation that has not started.
 *
 * The table is per process and bounded: when it is full the server runs the item synchronously,
 * which the spec allows ("the server decides which operations are performed synchronously or
 * asynchronously", 1.4 §6.8). Entries belong to the identity that submitted them: another
 * identity's correlation value is indistinguishable from an unknown one.
 */
import { randomBytes } from 'node:crypto';
import { CancellationResult } from '../spec/index.js';
import type { StructureItem } from '../ttlv/types.js';

/** What a finished asynchronous item answered, kept for Poll. */
export interface AsyncOutcome {
  readonly failed: boolean;
  /** Result Reason name (re-mapped for the version of the Poll request). */
  readonly reason?: string;
  readonly message?: string;
  readonly payload?: StructureItem;
}

export type PollAnswer =
  { readonly state: 'pending' } | { readonly state: 'done'; readonly outcome: AsyncOutcome };

interface Entry {
  readonly owner: string;
  state: 'queued' | 'running' | 'done' | 'canceled';
  outcome?: AsyncOutcome;
}

export interface AsyncOperationOptions {
  /** Outstanding and unpolled operations at most; beyond, items run synchronously [1024]. */
  readonly maxPending?: number;
  /** How a submitted job is started; default: on the next turn of the event loop (setImmediate). */
  readonly schedule?: (start: () => void) => void;
}

export class AsyncOperations {
  private readonly entries = new Map<string, Entry>();
  private readonly maxPending: number;
  private readonly schedule: (start: () => void) => void;

  constructor(options: AsyncOperationOptions = {}) {
    this.maxPending = options.maxPending ?? 1024;
    this.schedule = options.schedule ?? ((start) => void setImmediate(start));
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Queues a job; returns its correlation value, or undefined when the table is full (the
   * caller then runs the job synchronously).
   */
  submit(owner: string, job: () => Promise<AsyncOutcome>): Uint8Array | undefined {
    if (this.entries.size >= this.maxPending) return undefined;
    const correlation = randomBytes(16);
    const key = correlation.toString('hex');
    const entry: Entry = { owner, state: 'queued' };
    this.entries.set(key, entry);
    this.schedule(() => {
      if (entry.state !== 'queued') return;
      entry.state = 'running';
      job().then(
        (outcome) => {
          entry.outcome = outcome;
          entry.state = 'done';
        },
        // The dispatcher's item runner never rejects; this is a defect guard, not a path.
        () => {
          entry.outcome = { failed: true, reason: 'GeneralFailure', message: 'internal error' };
          entry.state = 'done';
        },
      );
    });
    return correlation;
  }

  private find(owner: string, correlation: Uint8Array): [string, Entry] | undefined {
    const key = Buffer.from(correlation).toString('hex');
    const entry = this.entries.get(key);
    return entry && entry.owner === owner ? [key, entry] : undefined;
  }

  /** Pending, or the answer (delivered once, then forgotten); undefined when unknown. */
  poll(owner: string, correlation: Uint8Array): PollAnswer | undefined {
    const found = this.find(owner, correlation);
    if (!found) return undefined;
    const [key, entry] = found;
    if (entry.state === 'canceled') {
      this.entries.delete(key);
      return {
        state: 'done',
        outcome: {
          failed: true,
          reason: 'OperationCanceledByRequester',
          message: 'the operation was canceled',
        },
      };
    }
    if (entry.state !== 'done' || !entry.outcome) return { state: 'pending' };
    this.entries.delete(key);
    return { state: 'done', outcome: entry.outcome };
  }

  /** Cancellation Result (KMIP 2.1 §11.7); undefined when the correlation value is unknown. */
  cancel(owner: string, correlation: Uint8Array): number | undefined {
    const found = this.find(owner, correlation);
    if (!found) return undefined;
    const [key, entry] = found;
    switch (entry.state) {
      case 'queued':
        entry.state = 'canceled';
        return CancellationResult.Canceled;
      case 'canceled':
        return CancellationResult.Canceled;
      case 'running':
        // Storage writes are not interruptible half-way: the operation completes.
        return CancellationResult.UnableToCancel;
      case 'done':
        // Too late to cancel; the client that cancels will not poll, so the answer is dropped.
        this.entries.delete(key);
        return entry.outcome?.failed ? CancellationResult.Failed : CancellationResult.Completed;
    }
  }
}
