/**
 * Bounded in-memory cache of unwrapped L2/L3 keys.
 *
 * - Bounded: at most `maxEntries`; the oldest insertion goes first (with one TTL for all
 *   entries, the oldest is also the nearest to expiry).
 * - TTL: an expired entry is never returned; `sweep()` (run on a timer by the service) zeroes
 *   expired entries so plaintext does not linger in RAM.
 * - Every evicted buffer is zeroed (`fill(0)`), whatever the reason: TTL, capacity, invalidation.
 * - Invalidation cascades to the keys unwrapped under the invalidated one (an L2's L3s): after
 *   Revoke or Destroy nothing below the key stays usable from memory (SECURITY-CHECKLIST 28).
 *
 * Callers use a cached buffer synchronously right after `get` and never keep it across an
 * await: eviction zeroes it in place.
 */
import { holdWrapContexts, releaseWrapContexts } from './aes-key-wrap.js';
import type { KeyLevel, KeyState } from './key-records.js';

export interface CachedKey {
  readonly id: string;
  readonly level: KeyLevel;
  readonly tenant: string;
  readonly state: KeyState;
  /** Successor after Rekey: wrapping under this key is refused, unwrapping allowed. */
  readonly replacementId: string | undefined;
  /** Id of the key this one was unwrapped under (the L2 of an L3; the L1 label of an L2). */
  readonly parentId: string;
  readonly key: Buffer;
  readonly expiresAt: number;
}

export interface UnwrappedKeyCacheOptions {
  /** [10,000] */
  readonly maxEntries?: number;
  /** [300,000 ms] */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export class UnwrappedKeyCache {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, CachedKey>();
  /** parent id → ids cached under it. */
  readonly #children = new Map<string, Set<string>>();

  constructor(opts: UnwrappedKeyCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 300_000;
    this.#now = opts.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be >= 1');
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry, or undefined (an expired entry is zeroed and dropped here). */
  get(id: string): CachedKey | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#drop(entry);
      return undefined;
    }
    return entry;
  }

  /** Caches `key` (ownership passes to the cache, which zeroes it on eviction). */
  set(entry: Omit<CachedKey, 'expiresAt'>): CachedKey {
    const old = this.#entries.get(entry.id);
    if (old !== undefined) this.#drop(old);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.values().next().value;
      if (oldest === undefined) break;
      this.#drop(oldest);
    }
    const stored: CachedKey = { ...entry, expiresAt: this.#now() + this.ttlMs };
    // Wraps under a cached key run on its native key schedule (or reused OpenSSL contexts),
    // zeroed and freed when the entry leaves.
    holdWrapContexts(stored.key);
    this.#entries.set(stored.id, stored);
    let siblings = this.#children.get(stored.parentId);
    if (siblings === undefined) {
      siblings = new Set();
      this.#children.set(stored.parentId, siblings);
    }
    siblings.add(stored.id);
    return stored;
  }

  /** Drops `id` and everything cached under it, zeroing each buffer. Returns how many went. */
  invalidate(id: string): number {
    let dropped = 0;
    const pending = [id];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      const entry = this.#entries.get(next);
      if (entry !== undefined) {
        this.#drop(entry);
        dropped += 1;
      }
      const children = this.#children.get(next);
      if (children !== undefined) pending.push(...children);
    }
    return dropped;
  }

  /** Zeroes and drops every expired entry. */
  sweep(): number {
    const now = this.#now();
    let dropped = 0;
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) {
        this.#drop(entry);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Zeroes and drops everything. */
  clear(): void {
    for (const entry of this.#entries.values()) {
      releaseWrapContexts(entry.key);
      entry.key.fill(0);
    }
    this.#entries.clear();
    this.#children.clear();
  }

  #drop(entry: CachedKey): void {
    releaseWrapContexts(entry.key);
    entry.key.fill(0);
    this.#entries.delete(entry.id);
    const siblings = this.#children.get(entry.parentId);
    if (siblings !== undefined) {
      siblings.delete(entry.id);
      if (siblings.size === 0) this.#children.delete(entry.parentId);
    }
  }
}
