/**
 * The delegate: how a gateway-role operation reaches the core. In the gateway profile it sends
 * the batch item to the core over the upstream pool, in the client's protocol version, with the
 * original client asserted in the header (core/auth/asserted-identity.ts) — the parts of a
 * multi-part operation over the one connection that carried its first part; in standalone it calls
 * the core-role descriptor's handler in-process with the same request context. Either way a
 * refusal by the core reaches the client with the core's Result Reason and message.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { assertionAuthentication } from '../auth/asserted-identity.js';
import { hasPermission, type Identity } from '../auth/identity.js';
import type { DefinedOperation, OperationRegistryView, RequestContext } from '../dispatch/operation.js';
import { KryptonError, type ResultReasonName } from '../errors.js';
import { encodeRequestMessage, parseResponseMessage } from '../messages/index.js';
import { BatchErrorContinuationOption, Operation, ResultStatus, Tag, enumForTag } from '../spec/index.js';
import type { KmipVersion } from '../spec/index.js';
import { child, structure, textString } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import {
  DEFAULT_STREAM_LIMITS,
  streamPartOf,
  type StreamOperationName,
  type StreamPart,
} from '../services/crypto-streams.js';
import { isV2 } from '../services/objects.js';
import { StreamPins, type StreamPinLimits } from './stream-pins.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-pool.js';

const REASON = enumForTag(Tag.ResultReason);

/** A batch item the core answered with Operation Failed: its Result Reason and message, as is. */
export class UpstreamResultError extends KryptonError {
  constructor(reasonName: string, message: string | undefined) {
    super('KRY_GW_UPSTREAM_RESULT');
    this.name = 'UpstreamResultError';
    Object.defineProperty(this, 'reason', { value: reasonName as ResultReasonName });
    if (message !== undefined) this.message = message;
  }
}

export type CorePayload = StructureItem | TtlvItem[] | undefined;

export interface CoreCallOptions {
  /**
   * Run as the gateway itself inside the request's tenant (fetching a wrapped L3, its transport
   * key, the tenant's service key), not as the client.
   */
  readonly asGateway?: boolean;
  /** Protocol version of the call; default the request's. */
  readonly version?: KmipVersion;
}

export interface CoreItem {
  /** Operation name as in the Operation enumeration (`Get`, `ReKey`, …). */
  readonly operation: keyof typeof Operation;
  readonly payload: CorePayload;
}

export type CoreItemResult =
  { ok: true; payload: StructureItem | undefined } | { ok: false; error: KryptonError };

export interface CoreDelegate {
  /** `remote`: over the upstream pool; `in-process`: the core handlers of this process. */
  readonly kind: 'remote' | 'in-process';
  /** One batch item at the core; its Response Payload, or the core's refusal as a KryptonError. */
  call(ctx: RequestContext, item: CoreItem, opts?: CoreCallOptions): Promise<StructureItem | undefined>;
  /** Several items as the gateway in the request's tenant, run independently (Continue). */
  callMany(
    ctx: RequestContext,
    items: readonly CoreItem[],
    opts?: CoreCallOptions,
  ): Promise<CoreItemResult[]>;
}

function payloadOf(p: CorePayload): StructureItem {
  if (p === undefined) return structure(Tag.RequestPayload, []);
  return Array.isArray(p) ? structure(Tag.RequestPayload, p) : p;
}

/** The gateway acting for itself inside a tenant (standalone: what the assertion means at the core). */
export function gatewayIdentity(tenant: string): Identity {
  return Object.freeze({
    principal: 'krypton-gateway',
    source: 'certificate' as const,
    tenant,
    permissions: new Set(['*']),
    gateway: true,
  });
}

/**
 * The gateway profile's delegate: batch items to the core over the upstream mutual-TLS pool; the
 * parts of a multi-part operation over the one connection that carried its first part (`callPart`).
 */
export class RemoteCoreDelegate implements CoreDelegate {
  readonly kind = 'remote' as const;
  private readonly pins: StreamPins<UpstreamConnection>;

  constructor(
    private readonly pool: UpstreamPool,
    streams: StreamPinLimits = {
      maxEntries: DEFAULT_STREAM_LIMITS.maxStreams,
      idleTimeoutMs: DEFAULT_STREAM_LIMITS.streamIdleTimeoutMs,
    },
    /** Where the pin metrics go (core/gateway/stream-pins.ts). */
    metrics?: Registry,
  ) {
    this.pins = new StreamPins(streams, Date.now, metrics);
  }

  async call(
    ctx: RequestContext,
    item: CoreItem,
    opts: CoreCallOptions = {},
  ): Promise<StructureItem | undefined> {
    const [result] = await this.send(ctx, [item], opts, BatchErrorContinuationOption.Stop);
    if (!result) throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'no batch item');
    if (!result.ok) throw result.error;
    return result.payload;
  }

  callMany(
    ctx: RequestContext,
    items: readonly CoreItem[],
    opts: CoreCallOptions = {},
  ): Promise<CoreItemResult[]> {
    return this.send(ctx, items, { ...opts, asGateway: true }, BatchErrorContinuationOption.Continue);
  }

  /**
   * One part of a multi-part operation (core/services/crypto-streams.ts) as the client: a first
   * part over any connection, the Correlation Value answered pinned to that connection; a later
   * part over its pinned connection only. A part whose pin is gone — never made here, idle past
   * `limits.streamIdleTimeoutMs`, or its connection closed — is answered as the core answers an
   * unknown Correlation Value; sending it over another connection could reach a core process
   * that never saw the stream, or one that holds it half-fed.
   */
  async callPart(ctx: RequestContext, item: CoreItem, part: StreamPart): Promise<StructureItem | undefined> {
    const owner = { tenant: ctx.tenant, principal: ctx.identity.principal };
    const request = this.request(ctx, [item], {}, BatchErrorContinuationOption.Stop);
    let result: CoreItemResult;
    if (part.correlation === undefined) {
      this.pins.reserve();
      try {
        const { answer, conn } = await this.pool.sendTracked(request);
        result = this.results([item], answer)[0]!;
        const correlation = result.ok ? child(result.payload, Tag.CorrelationValue) : undefined;
        if (correlation?.type === 'ByteString') this.pins.pin(owner, correlation.value, conn);
      } finally {
        this.pins.release();
      }
    } else {
      const conn = this.pins.connectionOf(owner, part.correlation);
      if (conn === undefined)
        throw new KryptonError(isV2(ctx.protocolVersion) ? 'KRY_STREAM_UNKNOWN' : 'KRY_STREAM_UNKNOWN_1X');
      try {
        result = this.results([item], await this.pool.sendOn(conn, request))[0]!;
      } catch (err) {
        this.pins.unpin(owner, part.correlation);
        throw err;
      }
      // The core ends a stream on its final part and on any error of a part.
      if (part.final || !result.ok) this.pins.unpin(owner, part.correlation);
    }
    if (!result.ok) throw result.error;
    return result.payload;
  }

  /** Drops the pins of open streams (the gateway stops). */
  close(): void {
    this.pins.clear();
  }

  private async send(
    ctx: RequestContext,
    items: readonly CoreItem[],
    opts: CoreCallOptions,
    continuation: number,
  ): Promise<CoreItemResult[]> {
    return this.results(items, await this.pool.send(this.request(ctx, items, opts, continuation)));
  }

  private request(
    ctx: RequestContext,
    items: readonly CoreItem[],
    opts: CoreCallOptions,
    continuation: number,
  ): TtlvItem {
    const version = opts.version ?? ctx.protocolVersion;
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const id = ctx.identity;
    return encodeRequestMessage({
      header: {
        protocolVersion: { major, minor },
        authentication: [
          assertionAuthentication(
            opts.asGateway
              ? { tenant: ctx.tenant }
              : { principal: id.principal, source: id.source, tenant: ctx.tenant },
          ),
        ],
        ...(items.length > 1 && { batchErrorContinuationOption: continuation }),
        batchCount: items.length,
      },
      batchItems: items.map((item, i) => ({
        operation: Operation[item.operation],
        ...(items.length > 1 && { uniqueBatchItemId: Uint8Array.of(i >> 8, i & 0xff) }),
        payload: payloadOf(item.payload),
      })),
    });
  }

  /** The core's answer to `items`, item by item. */
  private results(items: readonly CoreItem[], message: TtlvItem): CoreItemResult[] {
    const response = parseResponseMessage(message);
    if (response.batchItems.length === 0) throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'no batch item');
    // A whole-message refusal (authentication, header) is one item: it applies to every item.
    return items.map((_, i) => {
      const answer = response.batchItems.length === 1 ? response.batchItems[0]! : response.batchItems[i];
      if (!answer)
        return { ok: false, error: new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'missing batch item') };
      if (answer.resultStatus === ResultStatus.Success) return { ok: true, payload: answer.payload };
      const reason =
        answer.resultReason !== undefined
          ? (REASON?.name(answer.resultReason) ?? 'GeneralFailure')
          : 'GeneralFailure';
      return { ok: false, error: new UpstreamResultError(reason, answer.resultMessage) };
    });
  }
}

/**
 * Standalone's delegate: the core-role descriptors the plugin loader kept aside (shadowed by a
 * gateway-role one), called with the request's context — same placeholder, same store.
 */
export class InProcessCoreDelegate implements CoreDelegate {
  readonly kind = 'in-process' as const;

  constructor(
    private readonly shadowed: ReadonlyMap<string, DefinedOperation>,
    private readonly registry: OperationRegistryView,
  ) {}

  private descriptor(operation: string): DefinedOperation {
    const d =
      this.shadowed.get(operation) ??
      (this.registry.descriptors().find((r) => r.name === operation && r.roles.includes('core')) as
        DefinedOperation | undefined);
    if (!d) throw new KryptonError('KRY_SRV_OPERATION_NOT_SUPPORTED', operation);
    return d;
  }

  async call(
    ctx: RequestContext,
    item: CoreItem,
    opts: CoreCallOptions = {},
  ): Promise<StructureItem | undefined> {
    const d = this.descriptor(item.operation);
    const version = opts.version ?? ctx.protocolVersion;
    // The call's version decides the core's errors (a 2.x Wrong Key Lifecycle State, not 1.x's
    // Permission Denied), as it does over the wire.
    const run: RequestContext = opts.asGateway
      ? {
          ...ctx,
          identity: gatewayIdentity(ctx.tenant),
          placeholder: freshPlaceholder(),
          protocolVersion: version,
        }
      : version === ctx.protocolVersion
        ? ctx
        : { ...ctx, protocolVersion: version };
    if (!hasPermission(run.identity, d.permission))
      throw new KryptonError('KRY_AUTH_PERMISSION_DENIED', item.operation);
    const result = await d.handle(run, payloadOf(item.payload));
    if (result === undefined) return undefined;
    if (Array.isArray(result)) return structure(Tag.ResponsePayload, result);
    return result.tag === Tag.ResponsePayload ? result : structure(Tag.ResponsePayload, [result]);
  }

  async callMany(
    ctx: RequestContext,
    items: readonly CoreItem[],
    opts: CoreCallOptions = {},
  ): Promise<CoreItemResult[]> {
    const out: CoreItemResult[] = [];
    for (const item of items) {
      try {
        out.push({ ok: true, payload: await this.call(ctx, item, { ...opts, asGateway: true }) });
      } catch (err) {
        out.push({ ok: false, error: err instanceof KryptonError ? err : new KryptonError('KRY_INTERNAL') });
      }
    }
    return out;
  }
}

function freshPlaceholder(): RequestContext['placeholder'] {
  let value: string | undefined;
  return {
    get: () => value,
    set: (v) => {
      value = v;
    },
  };
}

/** Operations whose Unique Identifier defaults to the ID placeholder (KMIP 2.1 §6.1). */
const USES_PLACEHOLDER: ReadonlySet<string> = new Set([
  'Get',
  'GetAttributes',
  'GetAttributeList',
  'AddAttribute',
  'SetAttribute',
  'ModifyAttribute',
  'DeleteAttribute',
  'Activate',
  'Revoke',
  'Destroy',
  'Archive',
  'Recover',
  'ReKey',
  'ReKeyKeyPair',
  'Check',
  'Encrypt',
  'Decrypt',
  'Sign',
  'SignatureVerify',
  'MAC',
  'MACVerify',
  'ObtainLease',
  'GetUsageAllocation',
  'Certify',
  'ReCertify',
  'Export',
]);

/** Operations that leave the object they made or named in the ID placeholder (as the core plugins do). */
const SETS_PLACEHOLDER: ReadonlySet<string> = new Set([
  'Create',
  'Register',
  'ReKey',
  'DeriveKey',
  'Certify',
  'ReCertify',
  'CreateKeyPair',
  'ReKeyKeyPair',
]);

/** Operations with multi-part requests (KMIP 2.1 §6.1; core/services/crypto-streams.ts). */
const STREAMING: readonly StreamOperationName[] = [
  'Encrypt',
  'Decrypt',
  'Sign',
  'SignatureVerify',
  'MAC',
  'MACVerify',
];
const STREAM_OPERATIONS: ReadonlySet<string> = new Set(STREAMING);

/** The multi-part fields of a forwarded item; undefined for a single-part or malformed one. */
function forwardedPartOf(body: StructureItem): StreamPart | undefined {
  try {
    return streamPartOf(body);
  } catch {
    return undefined;
  }
}

/** The tag naming the object in a request and its answer: key pairs by their private key (§6.1.11). */
function idTagOf(operation: string): number {
  return operation === 'CreateKeyPair' || operation === 'ReKeyKeyPair'
    ? Tag.PrivateKeyUniqueIdentifier
    : Tag.UniqueIdentifier;
}

/**
 * Forwards one batch item of the client to the core. Remote: the core sees the item alone, so
 * the ID placeholder of the client's message (KMIP 2.1 §6.1.1, one per message) travels as an
 * explicit Unique Identifier and the core's answer sets it here — a batch mixing local and remote
 * items keeps one placeholder. In-process the context, placeholder included, is shared.
 */
export async function forwardItem(
  delegate: CoreDelegate,
  ctx: RequestContext,
  operation: keyof typeof Operation,
  payload: StructureItem | undefined,
): Promise<StructureItem | undefined> {
  if (delegate.kind === 'in-process') return delegate.call(ctx, { operation, payload });
  let body = payload ?? structure(Tag.RequestPayload, []);
  const held = ctx.placeholder.get();
  const idTag = idTagOf(operation);
  if (held !== undefined && USES_PLACEHOLDER.has(operation) && child(body, idTag) === undefined)
    body = structure(body.tag, [textString(idTag, held), ...body.value]);
  // Only an item of a streaming operation carrying Init Indicator or Correlation Value takes the
  // pinned path; anything else (single-part, or a malformed part the core refuses) goes as one item.
  const part = STREAM_OPERATIONS.has(operation) ? forwardedPartOf(body) : undefined;
  const answer =
    part !== undefined && delegate instanceof RemoteCoreDelegate
      ? await delegate.callPart(ctx, { operation, payload: body }, part)
      : await delegate.call(ctx, { operation, payload: body });
  const id = child(answer, idTag);
  if (id?.type === 'TextString' && SETS_PLACEHOLDER.has(operation)) ctx.placeholder.set(id.value);
  return answer;
}

/** A random identifier for a new L4 (the vault's objects share the core's UUID space). */
export function newObjectId(): string {
  return randomUUID();
}
