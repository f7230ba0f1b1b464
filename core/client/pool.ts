/**
 * A pool of TTLV/TLS connections behind one KmipTransport: each request goes to the connection
 * with the fewest requests in flight (pipelining within a connection keeps order, so a slow
 * answer only holds up its own connection). A closed connection is replaced on next use.
 */
import { KryptonError } from '../errors.js';
import type { TtlvItem } from '../ttlv/types.js';
import { TtlvTlsTransport } from './transport.js';
import type { KmipTransport, TlsOptions } from './transport.js';

type PoolOptions = TlsOptions & { timeoutMs?: number; maxFrameBytes?: number };

interface Slot {
  conn: TtlvTlsTransport | undefined;
  connecting: Promise<TtlvTlsTransport> | undefined;
}

export class KmipConnectionPool implements KmipTransport {
  private readonly slots: Slot[];
  private isClosed = false;

  private constructor(
    private readonly opts: PoolOptions,
    first: TtlvTlsTransport[],
  ) {
    this.slots = first.map((conn) => ({ conn, connecting: undefined }));
  }

  /** Opens `size` connections; fails when one cannot be opened. */
  static async open(opts: PoolOptions, size: number): Promise<KmipConnectionPool> {
    if (!Number.isInteger(size) || size < 1) throw new KryptonError('KRY_CLIENT_BAD_ARGUMENT', 'pool size');
    const conns = await Promise.all(Array.from({ length: size }, () => TtlvTlsTransport.connect(opts)));
    return new KmipConnectionPool(opts, conns);
  }

  get size(): number {
    return this.slots.length;
  }

  get inFlight(): number {
    let n = 0;
    for (const s of this.slots) n += s.conn?.inFlight ?? 0;
    return n;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  async send(request: TtlvItem): Promise<TtlvItem> {
    if (this.isClosed) throw new KryptonError('KRY_CLIENT_POOL_CLOSED');
    return (await this.pick()).send(request);
  }

  private async pick(): Promise<TtlvTlsTransport> {
    let best: TtlvTlsTransport | undefined;
    for (const slot of this.slots) {
      const conn = slot.conn;
      if (!conn || conn.closed) {
        this.reconnect(slot);
        continue;
      }
      if (!best || conn.inFlight < best.inFlight) best = conn;
    }
    if (best) return best;
    // Every connection is down: wait for the first one back (all failing → the first error).
    try {
      return await Promise.any(this.slots.flatMap((s) => (s.connecting ? [s.connecting] : [])));
    } catch {
      throw new KryptonError('KRY_CLIENT_CLOSED', 'no connection to the server');
    }
  }

  private reconnect(slot: Slot): void {
    if (slot.connecting) return;
    slot.conn = undefined;
    const pending = TtlvTlsTransport.connect(this.opts);
    slot.connecting = pending;
    pending.then(
      (t) => {
        slot.connecting = undefined;
        if (this.isClosed) void t.close();
        else slot.conn = t;
      },
      () => {
        slot.connecting = undefined; // retried at the next pick
      },
    );
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all(this.slots.map((s) => s.conn?.close()));
  }
}
