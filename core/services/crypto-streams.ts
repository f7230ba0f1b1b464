/**
 * Multi-part (streaming) cryptographic operations: Encrypt, Decrypt, Sign, Signature Verify, MAC,
 * MAC Verify and Hash across several requests (KMIP 2.1 §6.1 "Multi-part cryptographic operations",
 * §7.8 Correlation Value; 1.4 §4.29-4.34). The first part carries Init Indicator true; the server
 * answers a Correlation Value; the later parts send it back, the last one with Final Indicator
 * true. Both indicators true and no Correlation Value is a single-part request.
 *
 * The state between parts (node:crypto Cipher, Sign, Hmac objects, a bounded buffer where an
 * algorithm is one-shot) lives in a per-process table:
 * - keyed by 16 random bytes, bound to the caller (tenant and principal), the operation, the key
 *   and the site (the core's store, or a gateway's vault) — Hash, which has no key, to its Hashing
 *   Algorithm instead (`streamBinding`): anything else presenting the value is answered exactly as
 *   an unknown one (Invalid Correlation Value; 1.x Item Not Found);
 * - bounded: open streams overall and per identity, bytes per stream, bytes an algorithm may buffer,
 *   and an idle timeout (`limits.maxStreams`, `maxStreamsPerIdentity`, `maxStreamBytes`,
 *   `maxStreamBufferedBytes`, `streamIdleTimeoutMs`);
 * - a stream ends — its state disposed (buffers zeroed, node objects dropped) — on its final part,
 *   on any error of a part, on idle timeout, and on Revoke or Destroy of its key. The key is also
 *   loaded and checked again for every part, so a change made through another process sharing the
 *   store ends the stream at its next part.
 * Usage Limits (KMIP 2.1 §4.59) are consumed part by part for the operations that protect.
 */
import { randomBytes } from 'node:crypto';
import { fastifyPlugin } from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '../dispatch/operation.js';
import type { LimitsConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import { Tag } from '../spec/index.js';
import { byteString, child, textString } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { DISPATCH_PLUGIN } from '../server/plugin-loader.js';
import type { ManagedObject } from '../../storage-adapters/index.js';
import { consumeProtectUsage } from './key-usage.js';
import { bytesChild, isV2, servicesOf, uniqueIdentifierOf } from './objects.js';

export type StreamLimits = Pick<
  LimitsConfig,
  'maxStreams' | 'maxStreamsPerIdentity' | 'streamIdleTimeoutMs' | 'maxStreamBytes' | 'maxStreamBufferedBytes'
>;

/** The profile schema's defaults (core/config/schema.ts), for contexts built without a server. */
export const DEFAULT_STREAM_LIMITS: StreamLimits = Object.freeze({
  maxStreams: 1024,
  maxStreamsPerIdentity: 16,
  streamIdleTimeoutMs: 60000,
  maxStreamBytes: 1073741824,
  maxStreamBufferedBytes: 1048576,
});

export type StreamOperationName =
  'Encrypt' | 'Decrypt' | 'Sign' | 'SignatureVerify' | 'MAC' | 'MACVerify' | 'Hash';

/**
 * What a stream without a key (Hash) is bound to in place of a key identifier: its operation and
 * algorithm. No object identifier takes this form, so Revoke or Destroy never ends such a stream.
 */
export function streamBinding(operation: StreamOperationName, algorithm: number): string {
  return `${operation}\u0000${algorithm}`;
}

/** A part of a multi-part request: the first (no Correlation Value), a later one, or the last. */
export interface StreamPart {
  readonly correlation: Uint8Array | undefined;
  readonly final: boolean;
}

/**
 * The multi-part fields of a request payload; undefined for a single-part request (none of them,
 * or both indicators true without a Correlation Value). One pass, no allocation when absent: the
 * single-part hot path pays only the walk over the payload's few children.
 */
export function streamPartOf(payload: StructureItem): StreamPart | undefined {
  let init: TtlvItem | undefined;
  let final: TtlvItem | undefined;
  let correlation: TtlvItem | undefined;
  for (const c of payload.value) {
    if (c.tag === Tag.InitIndicator) init = c;
    else if (c.tag === Tag.FinalIndicator) final = c;
    else if (c.tag === Tag.CorrelationValue) correlation = c;
  }
  if (init === undefined && final === undefined && correlation === undefined) return undefined;
  if (init !== undefined && init.type !== 'Boolean') throw invalid('Init Indicator');
  if (final !== undefined && final.type !== 'Boolean') throw invalid('Final Indicator');
  const isInit = init?.value === true;
  const isFinal = final?.value === true;
  if (correlation === undefined) {
    if (isInit && isFinal) return undefined;
    if (isInit) return { correlation: undefined, final: false };
    throw invalid('Correlation Value: a later part gives the one of its stream');
  }
  if (correlation.type !== 'ByteString') throw invalid('Correlation Value');
  if (isInit) throw invalid('Init Indicator with a Correlation Value');
  return { correlation: correlation.value, final: isFinal };
}

function invalid(field: string): KryptonError {
  return new KryptonError('KRY_OP_INVALID_FIELD', field);
}

/** What an operation keeps between parts. `dispose` zeroes what it buffered and drops the rest. */
export interface StreamState {
  dispose(): void;
}

/** Where a stream's key lives: the core's store, or a gateway's vault (an L4). */
export type StreamSite = 'core' | 'vault';

export interface OpenStream<S extends StreamState = StreamState> {
  readonly correlation: Buffer;
  readonly keyId: string;
  readonly state: S;
}

interface Entry extends OpenStream {
  readonly owner: string;
  readonly tenant: string;
  readonly site: StreamSite;
  readonly operation: StreamOperationName;
  bytes: number;
  lastUse: number;
  busy: boolean;
}

function ownerOf(ctx: RequestContext): string {
  return `${ctx.tenant}\u0000${ctx.identity.principal}`;
}

/** Invalid Correlation Value (KMIP 2.x); 1.x has no such reason: Item Not Found, as for Poll. */
function unknown(ctx: RequestContext, detail?: string): KryptonError {
  return new KryptonError(isV2(ctx.protocolVersion) ? 'KRY_STREAM_UNKNOWN' : 'KRY_STREAM_UNKNOWN_1X', detail);
}

/** The per-process table of open streams (see the module comment for the rules). */
export class CryptoStreams {
  private readonly entries = new Map<string, Entry>();
  private readonly perOwner = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly limits: StreamLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Adds a stream (busy until `release`); refused over the caps, `state` then disposed. */
  open<S extends StreamState>(
    ctx: RequestContext,
    site: StreamSite,
    operation: StreamOperationName,
    keyId: string,
    state: S,
  ): OpenStream<S> {
    const owner = ownerOf(ctx);
    const mine = this.perOwner.get(owner) ?? 0;
    if (this.entries.size >= this.limits.maxStreams || mine >= this.limits.maxStreamsPerIdentity) {
      this.sweep();
      if (
        this.entries.size >= this.limits.maxStreams ||
        (this.perOwner.get(owner) ?? 0) >= this.limits.maxStreamsPerIdentity
      ) {
        state.dispose();
        throw new KryptonError('KRY_STREAM_LIMIT');
      }
    }
    const correlation = randomBytes(16);
    const entry: Entry = {
      correlation,
      keyId,
      state,
      owner,
      tenant: ctx.tenant,
      site,
      operation,
      bytes: 0,
      lastUse: this.now(),
      busy: true,
    };
    this.entries.set(correlation.toString('hex'), entry);
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    this.startSweeper();
    return entry as OpenStream as OpenStream<S>;
  }

  private find(ctx: RequestContext, correlation: Uint8Array): Entry | undefined {
    if (correlation.length !== 16) return undefined;
    const entry = this.entries.get(Buffer.from(correlation).toString('hex'));
    if (entry === undefined || entry.owner !== ownerOf(ctx)) return undefined;
    if (entry.lastUse + this.limits.streamIdleTimeoutMs <= this.now() && !entry.busy) {
      this.remove(entry);
      return undefined;
    }
    return entry;
  }

  /** Where the caller's stream `correlation` is served; undefined when it is not in this table. */
  siteOf(ctx: RequestContext, correlation: Uint8Array): StreamSite | undefined {
    return this.find(ctx, correlation)?.site;
  }

  /**
   * The caller's open stream of `operation` at `site`, on the key `requestedKey` when the part names
   * one; marked busy until `release`. Anything else — unknown, expired, another caller's, another
   * operation's or key's — is the same Invalid Correlation Value.
   */
  resume<S extends StreamState>(
    ctx: RequestContext,
    site: StreamSite,
    operation: StreamOperationName,
    correlation: Uint8Array,
    requestedKey: string | undefined,
  ): OpenStream<S> {
    const entry = this.find(ctx, correlation);
    if (
      entry === undefined ||
      entry.site !== site ||
      entry.operation !== operation ||
      (requestedKey !== undefined && requestedKey !== entry.keyId)
    )
      throw unknown(ctx);
    // Parts of one stream are sequential: a part arriving while another is processed is refused.
    if (entry.busy) throw unknown(ctx, 'a part of this stream is in progress');
    entry.busy = true;
    entry.lastUse = this.now();
    return entry as OpenStream as OpenStream<S>;
  }

  /** Counts a part's input against `maxStreamBytes`; over it, the stream ends. */
  count(stream: OpenStream, bytes: number): void {
    const entry = stream as Entry;
    entry.bytes += bytes;
    if (entry.bytes > this.limits.maxStreamBytes) {
      this.close(stream);
      throw new KryptonError('KRY_STREAM_TOO_LARGE', `more than ${this.limits.maxStreamBytes} bytes`);
    }
  }

  release(stream: OpenStream): void {
    const entry = stream as Entry;
    entry.busy = false;
    entry.lastUse = this.now();
  }

  /** Ends a stream (its final part, or an error): the state is disposed. */
  close(stream: OpenStream): void {
    const entry = this.entries.get(stream.correlation.toString('hex'));
    if (entry === stream) this.remove(entry);
  }

  /** Ends every stream on `keyId` of `tenant` (Revoke, Destroy). */
  dropKey(tenant: string, keyId: string): void {
    for (const entry of [...this.entries.values()])
      if (entry.tenant === tenant && entry.keyId === keyId) this.remove(entry);
  }

  /** Ends every stream (shutdown). */
  clear(): void {
    for (const entry of [...this.entries.values()]) this.remove(entry);
  }

  /** Ends the streams idle for longer than `streamIdleTimeoutMs`. */
  sweep(): void {
    const deadline = this.now() - this.limits.streamIdleTimeoutMs;
    for (const entry of [...this.entries.values()])
      if (!entry.busy && entry.lastUse <= deadline) this.remove(entry);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.correlation.toString('hex'));
    const left = (this.perOwner.get(entry.owner) ?? 1) - 1;
    if (left <= 0) this.perOwner.delete(entry.owner);
    else this.perOwner.set(entry.owner, left);
    try {
      entry.state.dispose();
    } finally {
      if (this.entries.size === 0) this.stopSweeper();
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.min(30000, Math.max(100, Math.floor(this.limits.streamIdleTimeoutMs / 2)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

declare module '../dispatch/operation.js' {
  interface RequestServices {
    /** Open multi-part operations of this process (core/services/crypto-streams.ts). */
    streams?: CryptoStreams;
  }
}

/**
 * The process's stream table: the one the server opened from the profile's limits, else (a
 * context built without a server) one with the default limits, kept on the same services.
 */
export function streamsOf(ctx: RequestContext): CryptoStreams {
  return (ctx.services.streams ??= new CryptoStreams(DEFAULT_STREAM_LIMITS));
}

/** fastify plugin name; every streaming operation module exports the plugin as `kryptonPlugin`. */
export const CRYPTO_STREAMS_PLUGIN = 'krypton-crypto-streams';

/** Opens the stream table from `limits` at boot (once, however many modules export it); clears it on close. */
export const cryptoStreamsPlugin = fastifyPlugin(
  async (instance: FastifyInstance) => {
    const { services, profile } = instance.krypton;
    if (services === undefined || services.streams !== undefined) return;
    const streams = new CryptoStreams({
      maxStreams: profile.limits.maxStreams,
      maxStreamsPerIdentity: profile.limits.maxStreamsPerIdentity,
      streamIdleTimeoutMs: profile.limits.streamIdleTimeoutMs,
      maxStreamBytes: profile.limits.maxStreamBytes,
      maxStreamBufferedBytes: profile.limits.maxStreamBufferedBytes,
    });
    services.streams = streams;
    instance.addHook('onClose', async () => streams.clear());
  },
  {
    name: CRYPTO_STREAMS_PLUGIN,
    fastify: '5.x',
    dependencies: [DISPATCH_PLUGIN],
    decorators: { fastify: ['krypton'] },
  },
);

/** What one operation does with the parts of a stream (plugins/encrypt.ts, sign.ts, mac.ts, …). */
export interface StreamOperation<S extends StreamState> {
  readonly operation: StreamOperationName;
  /** Applies protection: the key's Usage Limits are consumed (KMIP 2.1 §4.59). */
  readonly protects: boolean;
  /** The key loaded and checked for this use: for every part. */
  key(ctx: RequestContext, id: string): Promise<ManagedObject>;
  /** The state from the first part's parameters. */
  start(ctx: RequestContext, body: StructureItem, object: ManagedObject, limits: StreamLimits): Promise<S>;
  /** One part's Data in; what it outputs (encryption, decryption), if anything. */
  update(state: S, data: Uint8Array): Buffer | undefined;
  /** The last part: what remains of the output, and the answer's other items (a tag, a signature). */
  finish(
    ctx: RequestContext,
    state: S,
    body: StructureItem,
    object: ManagedObject,
  ): Promise<{ readonly data?: Buffer; readonly items: readonly TtlvItem[] }>;
  /** Items of the first answer only (e.g. the IV the server generated). */
  first?(state: S): readonly TtlvItem[];
}

/** Loads and checks the key of a stream, for every part (the core's store, or a gateway's vault). */
export type StreamKey = (ctx: RequestContext, id: string) => Promise<ManagedObject>;

/** Lends a key's bytes to `use` for a moment (zeroed when it returns): the first part builds its state. */
export type LendKey<S> = (ctx: RequestContext, object: ManagedObject, use: (key: Buffer) => S) => Promise<S>;

const USAGE_LIMITS_UNIT_BYTE = 1;

function countsBytes(object: ManagedObject): boolean {
  const limits = object.attributes.find((a) => a.name === 'UsageLimits')?.value;
  return (
    typeof limits === 'object' &&
    !(limits instanceof Uint8Array) &&
    !(limits instanceof Date) &&
    limits.UsageLimitsUnit === USAGE_LIMITS_UNIT_BYTE
  );
}

function textOf(body: StructureItem, tag: number): string | undefined {
  const c = child(body, tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

function joined(a: Buffer | undefined, b: Buffer | undefined): Buffer | undefined {
  if (a === undefined || a.length === 0) return b;
  if (b === undefined || b.length === 0) return a;
  return Buffer.concat([a, b]);
}

/**
 * Serves one part of a multi-part `op` at `site` (the key of a first part is `id`, else the
 * request's Unique Identifier or ID placeholder). A first or later part answers the Unique
 * Identifier, its output and the Correlation Value; the last one its output and results.
 */
export async function servePart<S extends StreamState>(
  ctx: RequestContext,
  body: StructureItem,
  part: StreamPart,
  op: StreamOperation<S>,
  site: StreamSite,
  id?: string,
): Promise<TtlvItem[]> {
  const streams = streamsOf(ctx);
  const data = bytesChild(body, Tag.Data, 'Data');
  let stream: OpenStream<S>;
  let object: ManagedObject;
  if (part.correlation === undefined) {
    object = await op.key(ctx, id ?? uniqueIdentifierOf(ctx, body));
    stream = streams.open(
      ctx,
      site,
      op.operation,
      object.id,
      await op.start(ctx, body, object, streams.limits),
    );
  } else {
    stream = streams.resume<S>(ctx, site, op.operation, part.correlation, textOf(body, Tag.UniqueIdentifier));
    try {
      object = await op.key(ctx, stream.keyId);
    } catch (err) {
      streams.close(stream);
      throw err;
    }
  }
  try {
    const length = data?.length ?? 0;
    streams.count(stream, length);
    let out = data !== undefined ? op.update(stream.state, data) : undefined;
    // Unit Object counts the stream once, on its first part; Unit Byte counts every byte protected.
    if (op.protects && (part.correlation === undefined || (length > 0 && countsBytes(object))))
      await consumeProtectUsage(servicesOf(ctx).store, ctx.tenant, object, length);
    const items: TtlvItem[] = [textString(Tag.UniqueIdentifier, object.id)];
    let results: readonly TtlvItem[] = [];
    if (part.final) {
      const last = await op.finish(ctx, stream.state, body, object);
      out = joined(out, last.data);
      results = last.items;
    }
    if (out !== undefined && out.length > 0) items.push(byteString(Tag.Data, out));
    if (part.correlation === undefined && op.first) items.push(...op.first(stream.state));
    items.push(...results);
    if (part.final) streams.close(stream);
    else items.push(byteString(Tag.CorrelationValue, stream.correlation));
    return items;
  } catch (err) {
    streams.close(stream);
    throw err;
  } finally {
    streams.release(stream);
  }
}

/** A bounded buffer for one-shot algorithms (Ed25519): over `max` bytes the stream ends. */
export class PartBuffer {
  private parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly max: number) {}

  add(data: Uint8Array): void {
    if (this.length + data.length > this.max)
      throw new KryptonError('KRY_STREAM_TOO_LARGE', `this algorithm buffers at most ${this.max} bytes`);
    this.parts.push(Buffer.from(data));
    this.length += data.length;
  }

  /** The whole input (a copy the caller zeroes). */
  take(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  dispose(): void {
    for (const p of this.parts) p.fill(0);
    this.parts = [];
    this.length = 0;
  }
}
