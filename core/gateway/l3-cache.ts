/**
 * The gateway's L3 cache: plaintext L3 keys (fetched wrapped under the transport key) with what
 * their checks need, keyed by tenant and Unique Identifier. Bounded (the oldest entry goes first,
 * checklist 28), a hard TTL per entry, and every entry leaving — evicted, expired, invalidated,
 * replaced or at shutdown — has its key bytes zeroed and its key wrap contexts (the key schedule
 * in OpenSSL's memory, core/keys/aes-key-wrap.ts) freed.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { holdWrapContexts, releaseWrapContexts } from '../keys/aes-key-wrap.js';
import type { KeyView } from './key-use.js';

export interface CachedL3 {
  readonly tenant: string;
  readonly id: string;
  /** Plaintext key; zeroed when the entry leaves the cache. Never logged, never copied out. */
  readonly key: Buffer;
  view: KeyView;
  readonly expiresAt: number;
}

export type CacheExit = 'evicted' | 'expired' | 'invalidated' | 'replaced' | 'closed';

export class L3Cache {
  private readonly entries = new Map<string, CachedL3>();
  private hitCount = 0;
  private readonly exits: Counter<'reason'> | undefined;
  private readonly misses: Counter | undefined;

  constructor(
    private readonly opts: {
      readonly maxEntries: number;
      readonly ttlMs: number;
      readonly metrics?: Registry;
    },
  ) {
    const registry = opts.metrics;
    if (registry) {
      const size = () => this.entries.size;
      const hits = () => this.hitCount;
      new Gauge({
        name: 'krypton_gateway_l3_cache_entries',
        help: 'L3 keys held in the gateway cache',
        registers: [registry],
        collect() {
          this.set(size());
        },
      });
      new Gauge({
        name: 'krypton_gateway_l3_cache_hits',
        help: 'Uses of a cached L3 since start',
        registers: [registry],
        collect() {
          this.set(hits());
        },
      });
      this.misses = new Counter({
        name: 'krypton_gateway_l3_cache_misses_total',
        help: 'L3 lookups that had to ask the core',
        registers: [registry],
      });
      this.exits = new Counter({
        name: 'krypton_gateway_l3_cache_exits_total',
        help: 'L3 entries that left the cache (zeroed), by reason',
        labelNames: ['reason'] as const,
        registers: [registry],
      });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  private static keyOf(tenant: string, id: string): string {
    return `${tenant}\u0000${id}`;
  }

  /** The live entry, or undefined (an expired one is removed and zeroed on the way). */
  get(tenant: string, id: string, now = Date.now()): CachedL3 | undefined {
    const k = L3Cache.keyOf(tenant, id);
    const entry = this.entries.get(k);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.remove(k, entry, 'expired');
      return undefined;
    }
    this.hitCount++;
    return entry;
  }

  has(tenant: string, id: string): boolean {
    return this.entries.has(L3Cache.keyOf(tenant, id));
  }

  countMiss(): void {
    this.misses?.inc();
  }

  /** Adds a key (the cache owns `key` from now on and zeroes it when the entry leaves). */
  set(tenant: string, id: string, key: Buffer, view: KeyView, now = Date.now()): CachedL3 {
    const k = L3Cache.keyOf(tenant, id);
    const prior = this.entries.get(k);
    if (prior) this.remove(k, prior, 'replaced');
    while (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.entries().next().value as [string, CachedL3] | undefined;
      if (!oldest) break;
      this.remove(oldest[0], oldest[1], 'evicted');
    }
    const entry: CachedL3 = { tenant, id, key, view, expiresAt: now + this.opts.ttlMs };
    // Every wrap under a cached L3 reuses its OpenSSL contexts, freed when the entry leaves.
    holdWrapContexts(key);
    this.entries.set(k, entry);
    return entry;
  }

  /** Drops an entry (Rekey, Revoke, Destroy seen, or gone at the core). */
  invalidate(tenant: string, id: string, reason: CacheExit = 'invalidated'): boolean {
    const k = L3Cache.keyOf(tenant, id);
    const entry = this.entries.get(k);
    if (!entry) return false;
    this.remove(k, entry, reason);
    return true;
  }

  /** A snapshot of the entries (for the state poll). */
  list(): CachedL3[] {
    return [...this.entries.values()];
  }

  clear(reason: CacheExit = 'closed'): void {
    for (const [k, e] of [...this.entries]) this.remove(k, e, reason);
  }

  private remove(k: string, entry: CachedL3, reason: CacheExit): void {
    this.entries.delete(k);
    releaseWrapContexts(entry.key);
    entry.key.fill(0);
    this.exits?.inc({ reason });
  }
}
