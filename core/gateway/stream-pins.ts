/**
 * Which upstream connection carries each forwarded multi-part stream (KMIP 2.1 §6.1 multi-part
 * operations, §7.8 Correlation Value). The core keeps a stream's state in the one process that
 * served its first part (core/services/crypto-streams.ts), and a core with `workers` > 1 or several
 * cores behind one address spread the gateway's pooled connections over processes: so every part
 * of a stream goes over the connection that carried its Init part, never another one.
 *
 * A pin maps the caller (tenant, principal) and the Correlation Value the core answered to that
 * connection. Pins are bounded (`limits.maxStreams`), idle-expire like the core's streams
 * (`limits.streamIdleTimeoutMs`), and are dropped on the Final part, on an error of a part and
 * when their connection closes — the stream is then gone for the gateway, whatever the core
 * still holds, and its next part is answered as an unknown Correlation Value.
 *
 * Metrics (with a registry): `krypton_gateway_stream_pins` (pins held),
 * `krypton_gateway_stream_pin_exits_total{reason}` — `ended` (Final part or an error of a part),
 * `expired` (idle past the stream timeout), `connection_closed` (its connection closed) — and
 * `krypton_gateway_stream_pins_refused_total` (first parts refused, the table full).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { KryptonError } from '../errors.js';

/** What a pin needs of an upstream connection: whether it still carries requests. */
export interface PinnableConnection {
  readonly closed: boolean;
}

export interface StreamPinLimits {
  /** Pins at most (open forwarded streams of all callers). */
  readonly maxEntries: number;
  /** A pin without a part for this long is dropped. */
  readonly idleTimeoutMs: number;
}

interface Pin<C extends PinnableConnection> {
  readonly key: string;
  readonly conn: C;
  lastUse: number;
}

/** The caller's key for a Correlation Value: another identity never reaches this pin. */
function pinKey(tenant: string, principal: string, correlation: Uint8Array): string {
  return `${tenant}\u0000${principal}\u0000${Buffer.from(correlation).toString('hex')}`;
}

export interface PinOwner {
  readonly tenant: string;
  readonly principal: string;
}

/** Why a pin left the table before the gateway stopped. */
export type PinExit = 'ended' | 'expired' | 'connection_closed';

interface StreamPinMetrics {
  readonly exits: Counter<'reason'>;
  readonly refused: Counter;
}

function streamPinMetrics(registry: Registry | undefined, size: () => number): StreamPinMetrics | undefined {
  if (!registry) return undefined;
  new Gauge({
    name: 'krypton_gateway_stream_pins',
    help: 'Forwarded multi-part streams pinned to the upstream connection that opened them',
    registers: [registry],
    collect() {
      this.set(size());
    },
  });
  return {
    exits: new Counter({
      name: 'krypton_gateway_stream_pin_exits_total',
      help: 'Stream pins that left the table, by reason (ended, expired, connection_closed)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    refused: new Counter({
      name: 'krypton_gateway_stream_pins_refused_total',
      help: 'First parts of forwarded streams refused because the pin table was full',
      registers: [registry],
    }),
  };
}

export class StreamPins<C extends PinnableConnection> {
  private readonly pins = new Map<string, Pin<C>>();
  private readonly byConnection = new Map<C, Set<string>>();
  /** First parts sent and not yet answered: each may add a pin. */
  private reserved = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly metrics: StreamPinMetrics | undefined;

  constructor(
    private readonly limits: StreamPinLimits,
    private readonly now: () => number = Date.now,
    registry?: Registry,
  ) {
    this.metrics = streamPinMetrics(registry, () => this.pins.size);
  }

  get size(): number {
    return this.pins.size;
  }

  /**
   * Holds room for the pin of a first part about to be sent; refused (Permission Denied, as the
   * core refuses a stream over its cap) when the table is full of live pins. `release` it once
   * answered, whether `pin` was called or not.
   */
  reserve(): void {
    if (this.pins.size + this.reserved >= this.limits.maxEntries) {
      this.sweep();
      if (this.pins.size + this.reserved >= this.limits.maxEntries) {
        this.metrics?.refused.inc();
        throw new KryptonError('KRY_STREAM_LIMIT', 'the gateway forwards as many streams as it may');
      }
    }
    this.reserved++;
  }

  release(): void {
    if (this.reserved > 0) this.reserved--;
  }

  /** Pins the stream the core opened with `correlation` to `conn` (unless that closed meanwhile). */
  pin(owner: PinOwner, correlation: Uint8Array, conn: C): void {
    if (conn.closed) return;
    const key = pinKey(owner.tenant, owner.principal, correlation);
    this.drop(key);
    this.pins.set(key, { key, conn, lastUse: this.now() });
    let keys = this.byConnection.get(conn);
    if (keys === undefined) this.byConnection.set(conn, (keys = new Set()));
    keys.add(key);
    this.startSweeper();
  }

  /**
   * The live connection of the caller's stream, its idle clock restarted; undefined when there is
   * none — never pinned, expired, or its connection closed (every pin of that connection goes).
   */
  connectionOf(owner: PinOwner, correlation: Uint8Array): C | undefined {
    const pin = this.pins.get(pinKey(owner.tenant, owner.principal, correlation));
    if (pin === undefined) return undefined;
    if (pin.conn.closed) {
      this.dropConnection(pin.conn);
      return undefined;
    }
    if (pin.lastUse + this.limits.idleTimeoutMs <= this.now()) {
      this.drop(pin.key, 'expired');
      return undefined;
    }
    pin.lastUse = this.now();
    return pin.conn;
  }

  /** Ends the caller's pin (the stream's Final part, or an error of a part). */
  unpin(owner: PinOwner, correlation: Uint8Array): void {
    this.drop(pinKey(owner.tenant, owner.principal, correlation), 'ended');
  }

  /** Drops every pin of `conn` (it closed: the streams it carried cannot be reached any more). */
  dropConnection(conn: C): void {
    const keys = this.byConnection.get(conn);
    if (keys === undefined) return;
    this.byConnection.delete(conn);
    for (const key of keys) this.pins.delete(key);
    this.metrics?.exits.inc({ reason: 'connection_closed' }, keys.size);
    if (this.pins.size === 0) this.stopSweeper();
  }

  /** Drops idle pins and the pins of closed connections. */
  sweep(): void {
    for (const conn of [...this.byConnection.keys()]) if (conn.closed) this.dropConnection(conn);
    const deadline = this.now() - this.limits.idleTimeoutMs;
    for (const pin of [...this.pins.values()]) if (pin.lastUse <= deadline) this.drop(pin.key, 'expired');
  }

  clear(): void {
    this.pins.clear();
    this.byConnection.clear();
    this.stopSweeper();
  }

  /** Drops the pin `key`; counted as an exit when `reason` is given (not a re-pin of the same key). */
  private drop(key: string, reason?: PinExit): void {
    const pin = this.pins.get(key);
    if (pin === undefined) return;
    this.pins.delete(key);
    if (reason !== undefined) this.metrics?.exits.inc({ reason });
    const keys = this.byConnection.get(pin.conn);
    keys?.delete(key);
    if (keys?.size === 0) this.byConnection.delete(pin.conn);
    if (this.pins.size === 0) this.stopSweeper();
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.min(30000, Math.max(100, Math.floor(this.limits.idleTimeoutMs / 2)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
