/**
 * The dispatcher: one request message in, one response message out, in the version the request
 * was sent in. Header rules (KMIP 2.1 §6 / 1.4 §6), identity, permission, tenant scoping, the
 * audit hook and error mapping happen here, once, for every operation.
 */
import type { Logger } from 'pino';
import { hasPermission } from '../auth/identity.js';
import type { Identity } from '../auth/identity.js';
import type { CredentialVerifier, UsernamePasswordCredential } from '../auth/credentials.js';
import { findAssertion } from '../auth/asserted-identity.js';
import { KryptonError, REASON_IN_OLDER_VERSIONS, isKryptonError } from '../errors.js';
import type { ResultReasonName } from '../errors.js';
import { encodeResponseMessage, notInVersion, parseRequestMessage, versionOf } from '../messages/index.js';
import type {
  ProtocolVersion,
  RequestBatchItem,
  RequestMessage,
  ResponseBatchItem,
} from '../messages/index.js';
import {
  BatchErrorContinuationOption,
  CredentialType,
  KMIP_VERSIONS,
  ResultReason,
  ResultStatus,
  Tag,
  enumForTag,
  operationByCode,
} from '../spec/index.js';
import type { KmipVersion } from '../spec/index.js';
import { encodeTtlv } from '../ttlv/encoder.js';
import { child, structure } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import type { IdPlaceholder, OperationResult, RequestContext, RequestServices } from './operation.js';
import { AsyncOperations, type AsyncOperationOptions, type PollAnswer } from './pending.js';
import type { OperationRegistry } from './registry.js';

export interface RequestOrigin {
  readonly transport: 'ttlv' | 'https' | 'in-process';
  readonly remoteAddress: string;
  /** Identity proven by the TLS client certificate, if any. */
  readonly peerIdentity: Identity | undefined;
}

export interface AuditRecord {
  readonly time: Date;
  readonly principal: string;
  readonly tenant: string;
  readonly transport: RequestOrigin['transport'];
  readonly remoteAddress: string;
  readonly operation: string;
  readonly batchIndex: number;
  /** Unique Identifiers named by the request and the response payload (never key material). */
  readonly identifiers?: readonly string[];
  readonly resultStatus: 'Success' | 'OperationFailed';
  readonly resultReason?: ResultReasonName | string;
}

/** Called before the response leaves; a rejection fails the batch item (fail-closed). */
export type AuditHook = (record: AuditRecord) => void | Promise<void>;

export interface OperationObserver {
  (operation: string, status: 'Success' | 'OperationFailed', seconds: number): void;
}

export interface DispatcherOptions {
  registry: OperationRegistry;
  log: Logger;
  services: RequestServices;
  maxBatchItems: number;
  /** Server cap on a response, bytes of TTLV; the request's Maximum Response Size can only lower it. */
  maxResponseBytes: number;
  verifier?: CredentialVerifier | undefined;
  credentialsRequired?: boolean;
  audit?: AuditHook | undefined;
  /**
   * Honours a client identity asserted by a gateway (core/auth/asserted-identity.ts); absent, an
   * assertion is refused. Throws unless the TLS peer is a gateway identity (checklist 29).
   */
  assertion?: ((credential: StructureItem, peer: Identity | undefined) => Identity) | undefined;
  observe?: OperationObserver | undefined;
  /** Versions answered; default all of 1.0–2.1. */
  versions?: readonly KmipVersion[];
  /** Asynchronous operations (Asynchronous Indicator, Poll, Cancel): table size, scheduling. */
  asynchronous?: AsyncOperationOptions | undefined;
}

export interface DispatchResult {
  readonly response: StructureItem;
  /** The response encoded as TTLV (computed for the Maximum Response Size check). */
  readonly ttlv: Buffer;
  readonly version: KmipVersion;
}

interface ItemOutcome {
  readonly item: ResponseBatchItem;
  readonly failed: boolean;
}

const RESULT_REASON = enumForTag(Tag.ResultReason);
const BATCH_CONTINUATION = enumForTag(Tag.BatchErrorContinuationOption);
const ATTESTATION_TYPE = enumForTag(Tag.AttestationType);

/**
 * The Result Reason a version answers with: the error's own when the version defines it, else
 * the older version's equivalent (Object Not Found → 1.x Item Not Found), else General Failure.
 * The one place a reason depends on the negotiated version for every operation, core or gateway,
 * local or forwarded — a foreign tenant's object and a missing one stay alike in each version.
 */
function reasonIn(name: string, version: KmipVersion): string {
  if (RESULT_REASON?.value(name, version) !== undefined) return name;
  const older = REASON_IN_OLDER_VERSIONS[name as ResultReasonName];
  return older !== undefined && RESULT_REASON?.value(older, version) !== undefined ? older : 'GeneralFailure';
}

/** Result Reason value for a version (see reasonIn). */
function reasonValue(name: string, version: KmipVersion): number {
  return RESULT_REASON?.value(reasonIn(name, version), version) ?? ResultReason.GeneralFailure;
}

/** The version to answer a request in whose version is not served: nearest of the same major. */
export function nearestVersion(
  v: ProtocolVersion | undefined,
  versions: readonly KmipVersion[],
): KmipVersion {
  const sorted = [...versions];
  const lowest = sorted[0] ?? '1.0';
  const highest = sorted[sorted.length - 1] ?? '2.1';
  if (!v || !Number.isInteger(v.major)) return lowest;
  const sameMajor = sorted.filter((s) => Number(s.split('.')[0]) === v.major);
  if (sameMajor.length > 0) {
    const below = sameMajor.filter((s) => Number(s.split('.')[1]) <= v.minor);
    return (below[below.length - 1] ?? sameMajor[0]) as KmipVersion;
  }
  return v.major > Number(highest.split('.')[0]) ? highest : lowest;
}

/** Reads a Protocol Version out of a request that did not parse, to answer in it. */
function sniffVersion(request: TtlvItem): ProtocolVersion | undefined {
  const pv = child(child(request, Tag.RequestHeader), Tag.ProtocolVersion);
  const major = child(pv, Tag.ProtocolVersionMajor);
  const minor = child(pv, Tag.ProtocolVersionMinor);
  if (major?.type === 'Integer' && minor?.type === 'Integer')
    return { major: major.value, minor: minor.value };
  return undefined;
}

function textOf(item: TtlvItem | undefined): string | undefined {
  return item?.type === 'TextString' ? item.value : undefined;
}

/** The first Username and Password credential of the header (KMIP 2.1 §2.1.2). */
function credentialOf(msg: RequestMessage): UsernamePasswordCredential | 'unsupported' | undefined {
  const auth = msg.header.authentication?.[0];
  if (!auth) return undefined;
  const credential = child(auth, Tag.Credential);
  const type = child(credential, Tag.CredentialType);
  if (type?.type !== 'Enumeration' || type.value !== CredentialType.UsernameAndPassword) return 'unsupported';
  const value = child(credential, Tag.CredentialValue);
  const username = textOf(child(value, Tag.Username));
  const password = textOf(child(value, Tag.Password)) ?? '';
  if (username === undefined) return 'unsupported';
  return { type: 'UsernameAndPassword', username, password };
}

/** Unique Identifier texts directly under the request and response payloads, for the audit record. */
function identifiersOf(request: StructureItem | undefined, response: StructureItem | undefined): string[] {
  const out: string[] = [];
  for (const p of [request, response]) {
    if (p === undefined) continue;
    for (const c of p.value) {
      if (
        c.tag === Tag.UniqueIdentifier &&
        c.type === 'TextString' &&
        out.length < 16 &&
        !out.includes(c.value)
      )
        out.push(c.value);
    }
  }
  return out;
}

function createPlaceholder(): IdPlaceholder {
  let value: string | undefined;
  return {
    get: () => value,
    set: (id) => {
      value = id;
    },
    clear: () => {
      value = undefined;
    },
  };
}

/** Whose asynchronous operations a request may poll or cancel: its identity's own. */
function ownerOf(identity: Identity): string {
  return `${identity.tenant}\u0000${identity.principal}`;
}

function toPayload(result: OperationResult): StructureItem | undefined {
  if (result === undefined) return undefined;
  if (Array.isArray(result)) return structure(Tag.ResponsePayload, result);
  return result.tag === Tag.ResponsePayload ? result : structure(Tag.ResponsePayload, [result]);
}

const noop = (): void => undefined;

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
const GATED = new Set<string | symbol>(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

const VERSION_PARTS = new Map<KmipVersion, { readonly major: number; readonly minor: number }>();

/** "2.1" → { major: 2, minor: 1 }, worked out once per version. */
function versionParts(version: KmipVersion): { readonly major: number; readonly minor: number } {
  let parts = VERSION_PARTS.get(version);
  if (parts === undefined) {
    const [major, minor] = version.split('.').map(Number) as [number, number];
    parts = { major, minor };
    VERSION_PARTS.set(version, parts);
  }
  return parts;
}

let lastSecond = -1;
let lastSecondBig = 0n;

/** The Time Stamp of a response: now in whole seconds, as a bigint made once per second. */
function nowSeconds(): bigint {
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondBig = BigInt(second);
  }
  return lastSecondBig;
}

/**
 * A response batch item with every field the encoder reads present from the start: one object
 * shape for all items, so the encoder's property loads stay monomorphic (conditional spreads and
 * later additions give each combination its own shape).
 */
function answerItem(
  item: RequestBatchItem,
  resultStatus: number,
  payload?: StructureItem,
): ResponseBatchItem {
  return {
    operation: item.operation,
    uniqueBatchItemId: item.uniqueBatchItemId,
    resultStatus,
    resultReason: undefined,
    resultMessage: undefined,
    asynchronousCorrelationValue: undefined,
    payload,
    messageExtension: undefined,
  };
}

/**
 * The item's logger as handlers see it: a level method below the server's level is a no-op that
 * never builds the item's child logger (a Create logs "key created" at info; under a
 * `warn` profile that line cost a pino child per request); anything else builds it on first use.
 */
function levelGated(base: Logger, make: () => Logger): Logger {
  return new Proxy(base, {
    get(_target, prop) {
      if (GATED.has(prop) && !base.isLevelEnabled(prop as string)) return noop;
      const log = make();
      const value: unknown = Reflect.get(log, prop, log);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(log) : value;
    },
  });
}

export class Dispatcher {
  private readonly versions: readonly KmipVersion[];
  /** Operations answered Pending and not yet polled (KMIP 2.1 §6.1.38). */
  readonly pending: AsyncOperations;

  constructor(private readonly opts: DispatcherOptions) {
    this.versions = opts.versions ?? KMIP_VERSIONS;
    this.pending = new AsyncOperations(opts.asynchronous);
  }

  get supportedVersions(): readonly KmipVersion[] {
    return this.versions;
  }

  /** Never throws: every failure becomes a response the client can read. */
  dispatch(request: TtlvItem, origin: RequestOrigin): Promise<DispatchResult> {
    // dispatchMessage is async: whatever fails in it arrives here as a rejection. A handler of
    // the rejection rather than an async wrapper: one promise reaction, not a suspended frame.
    return this.dispatchMessage(request, origin).catch((err: unknown) =>
      // A defect below must cost one request, never the connection or the process.
      this.failWhole(this.answerVersion(sniffVersion(request)), [], err),
    );
  }

  private async dispatchMessage(request: TtlvItem, origin: RequestOrigin): Promise<DispatchResult> {
    let msg: RequestMessage;
    try {
      msg = parseRequestMessage(request);
    } catch (err) {
      const version = this.answerVersion(sniffVersion(request));
      const operation = child(child(request, Tag.BatchItem), Tag.Operation);
      return this.failWhole(
        version,
        [{ operation: operation?.type === 'Enumeration' ? operation.value : undefined }],
        err,
      );
    }
    const requested = versionOf(msg.header.protocolVersion);
    if (!requested || !this.versions.includes(requested)) {
      const err = new KryptonError(
        'KRY_MSG_BAD_VERSION',
        `${msg.header.protocolVersion.major}.${msg.header.protocolVersion.minor}`,
      );
      return this.failWhole(this.answerVersion(msg.header.protocolVersion), msg.batchItems, err);
    }
    const version = requested;
    const headerError = this.checkHeader(msg);
    if (headerError) return this.failWhole(version, msg.batchItems, headerError);

    let identity: Identity;
    try {
      // Synchronous unless a credential has to be verified: no promise turn for a TLS identity.
      const authenticated = this.authenticate(msg, origin);
      identity = authenticated instanceof Promise ? await authenticated : authenticated;
    } catch (err) {
      return this.failWhole(version, msg.batchItems, err);
    }

    const placeholder = createPlaceholder();
    const stopOnError =
      (msg.header.batchErrorContinuationOption ?? BatchErrorContinuationOption.Stop) ===
      BatchErrorContinuationOption.Stop;
    const outcomes: ResponseBatchItem[] = [];
    for (let index = 0; index < msg.batchItems.length; index++) {
      const item = msg.batchItems[index] as RequestBatchItem;
      const outcome =
        (msg.header.asynchronousIndicator === true &&
          this.startAsync(item, index, version, identity, placeholder, origin)) ||
        (await this.runItem(item, index, version, identity, placeholder, origin));
      outcomes.push(outcome.item);
      // Stop: later items are not processed and not reported (KMIP 2.1 §6.1.4).
      if (outcome.failed && stopOnError) break;
    }
    const limit = Math.min(msg.header.maximumResponseSize ?? Infinity, this.opts.maxResponseBytes);
    return this.respond(version, outcomes, limit);
  }

  /** The answer to a message that could not be decoded at all. */
  dispatchUndecodable(_request: TtlvItem, err: KryptonError): DispatchResult {
    return this.failWhole(this.answerVersion(undefined), [], err);
  }

  private answerVersion(v: ProtocolVersion | undefined): KmipVersion {
    const exact = v ? versionOf(v) : undefined;
    return exact && this.versions.includes(exact) ? exact : nearestVersion(v, this.versions);
  }

  private checkHeader(msg: RequestMessage): KryptonError | undefined {
    const h = msg.header;
    const version = versionOf(h.protocolVersion) as KmipVersion;
    // An enumeration value the version does not define is Invalid Field, not a silent default.
    const continuation = h.batchErrorContinuationOption;
    if (continuation !== undefined && !BATCH_CONTINUATION?.inVersion(continuation, version)) {
      return new KryptonError('KRY_MSG_UNDEFINED_ENUM', 'BatchErrorContinuationOption', {
        field: 'RequestMessage/RequestHeader/BatchErrorContinuationOption',
      });
    }
    for (const a of h.attestationType ?? []) {
      if (!ATTESTATION_TYPE?.inVersion(a, version)) {
        return new KryptonError('KRY_MSG_UNDEFINED_ENUM', 'AttestationType', {
          field: 'RequestMessage/RequestHeader/AttestationType',
        });
      }
    }
    if (h.batchErrorContinuationOption === BatchErrorContinuationOption.Undo) {
      return new KryptonError('KRY_SRV_UNDO_NOT_SUPPORTED');
    }
    if (msg.batchItems.length > this.opts.maxBatchItems) {
      return new KryptonError('KRY_SRV_TOO_MANY_BATCH_ITEMS', `at most ${this.opts.maxBatchItems}`);
    }
    if (msg.batchItems.length > 1) {
      const seen = new Set<string>();
      for (const item of msg.batchItems) {
        if (!item.uniqueBatchItemId) return new KryptonError('KRY_SRV_BATCH_ITEM_ID_MISSING');
        const key = Buffer.from(item.uniqueBatchItemId).toString('hex');
        if (seen.has(key)) return new KryptonError('KRY_SRV_BATCH_ITEM_ID_DUPLICATE');
        seen.add(key);
      }
    }
    return undefined;
  }

  private authenticate(msg: RequestMessage, origin: RequestOrigin): Identity | Promise<Identity> {
    const asserted = findAssertion(msg.header.authentication);
    if (asserted) {
      if (!this.opts.assertion) throw new KryptonError('KRY_AUTH_ASSERTION_REFUSED');
      return this.opts.assertion(asserted, origin.peerIdentity);
    }
    const credential = credentialOf(msg);
    const { verifier } = this.opts;
    if (credential === 'unsupported')
      throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL', 'credential type not supported');
    if (credential && verifier) {
      return (async () => {
        const identity = await verifier.verify(credential, origin.peerIdentity);
        if (!identity) throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL');
        return identity;
      })();
    }
    if (this.opts.credentialsRequired)
      throw new KryptonError('KRY_AUTH_NO_IDENTITY', 'a Credential is required');
    if (!origin.peerIdentity) throw new KryptonError('KRY_AUTH_NO_IDENTITY');
    return origin.peerIdentity;
  }

  /**
   * Asynchronous Indicator (KMIP 2.1 §6.7): an operation that allows it is answered Pending with
   * a correlation value and run later, exactly as synchronously, with a copy of the ID
   * placeholder as it is now. Undefined: run it synchronously (not allowed, not permitted or
   * carrying what its version does not define — the synchronous path gives the error — or the
   * table is full).
   */
  private startAsync(
    item: RequestBatchItem,
    index: number,
    version: KmipVersion,
    identity: Identity,
    placeholder: IdPlaceholder,
    origin: RequestOrigin,
  ): ItemOutcome | undefined {
    const descriptor = this.opts.registry.get(item.operation);
    if (!descriptor?.asynchronous || (descriptor.versions && !descriptor.versions.includes(version)))
      return undefined;
    if (!hasPermission(identity, descriptor.permission)) return undefined;
    if (notInVersion(item.payload, version) !== undefined) return undefined;
    const snapshot = createPlaceholder();
    const held = placeholder.get();
    if (held !== undefined) snapshot.set(held);
    const correlation = this.pending.submit(ownerOf(identity), async () => {
      const { item: answered, failed } = await this.runItem(item, index, version, identity, snapshot, origin);
      const reason =
        answered.resultReason !== undefined ? RESULT_REASON?.name(answered.resultReason, version) : undefined;
      return {
        failed,
        ...(reason !== undefined && { reason }),
        ...(answered.resultMessage !== undefined && { message: answered.resultMessage }),
        ...(answered.payload && { payload: answered.payload }),
      };
    });
    if (!correlation) return undefined;
    return {
      item: {
        operation: item.operation,
        ...(item.uniqueBatchItemId && { uniqueBatchItemId: item.uniqueBatchItemId }),
        resultStatus: ResultStatus.OperationPending,
        asynchronousCorrelationValue: correlation,
      },
      failed: false,
    };
  }

  private async runItem(
    item: RequestBatchItem,
    index: number,
    version: KmipVersion,
    identity: Identity,
    placeholder: IdPlaceholder,
    origin: RequestOrigin,
  ): Promise<ItemOutcome> {
    const started = performance.now();
    const descriptor = this.opts.registry.get(item.operation);
    const opName =
      descriptor?.name ?? operationByCode(item.operation)?.camel ?? `0x${item.operation.toString(16)}`;
    // Built on first use: most items log nothing, and a pino child costs its bindings and redaction.
    const baseLog = this.opts.log;
    let itemLog: Logger | undefined;
    const logOf = (): Logger =>
      (itemLog ??= this.opts.log.child({
        op: opName,
        principal: identity.principal,
        tenant: identity.tenant,
      }));
    let payload: StructureItem | undefined;
    let polled: PollAnswer | undefined;
    let error: unknown;
    // A flag, not `error !== undefined`: `throw undefined` is a failure too.
    let failed = false;
    try {
      if (!descriptor || (descriptor.versions && !descriptor.versions.includes(version))) {
        throw new KryptonError('KRY_SRV_OPERATION_NOT_SUPPORTED', opName);
      }
      if (!hasPermission(identity, descriptor.permission))
        throw new KryptonError('KRY_AUTH_PERMISSION_DENIED', opName);
      const undefinedHere = notInVersion(item.payload, version);
      if (undefinedHere !== undefined)
        throw new KryptonError('KRY_MSG_NOT_IN_VERSION', `${undefinedHere} in KMIP ${version}`);
      const ctx: RequestContext = {
        identity,
        tenant: identity.tenant,
        protocolVersion: version,
        placeholder,
        // A data property, not a getter: an accessor in an object literal is defined through
        // V8's slow path on every item. The gate is cheap; the child logger is made on first use.
        log: levelGated(baseLog, logOf),
        services: this.opts.services,
        batchItem: item.uniqueBatchItemId ? { index, uniqueBatchItemId: item.uniqueBatchItemId } : { index },
        registry: this.opts.registry,
        transport: origin.transport,
        asynchronous: {
          operations: this.pending,
          owner: ownerOf(identity),
          answer: (a) => {
            polled = a;
          },
        },
      };
      // A handler that answers in this turn (the gateway's Encrypt/Decrypt under a cached L3)
      // returns its result, not a promise: no await, no extra turn of the microtask queue.
      const handled = descriptor.handle(ctx, item.payload);
      payload = toPayload(isPromise(handled) ? await handled : handled);
      // Poll answers with the stored outcome of the operation it names (KMIP 2.1 §6.1.38).
      const stored = polled?.state === 'done' ? polled.outcome : undefined;
      if (stored) {
        payload = stored.payload;
        if (stored.failed) {
          failed = true;
          error = new KryptonError('KRY_INTERNAL');
          Object.defineProperty(error, 'reason', { value: stored.reason ?? 'GeneralFailure' });
          Object.defineProperty(error, 'message', { value: stored.message ?? '' });
        }
      }
    } catch (err) {
      error = err;
      failed = true;
      payload = undefined;
    }
    let status: 'Success' | 'OperationFailed' = failed ? 'OperationFailed' : 'Success';
    // The audit record names the reason the client is answered with, in its version.
    let reason: string | undefined = failed ? reasonIn(this.reasonOf(error, logOf()), version) : undefined;
    if (this.opts.audit) {
      try {
        // One shape for every record (no conditional spread): `resultReason` is undefined on success.
        await this.opts.audit({
          time: new Date(),
          principal: identity.principal,
          tenant: identity.tenant,
          transport: origin.transport,
          remoteAddress: origin.remoteAddress,
          operation: opName,
          batchIndex: index,
          identifiers: identifiersOf(item.payload, payload),
          resultStatus: status,
          resultReason: reason,
        });
      } catch (auditErr) {
        // Fail closed: no payload leaves without its audit record (SECURITY-CHECKLIST 32).
        logOf().error({ err: (auditErr as Error).message }, 'audit record failed');
        error = new KryptonError('KRY_AUDIT_UNAVAILABLE');
        failed = true;
        status = 'OperationFailed';
        reason = 'GeneralFailure';
        payload = undefined;
      }
    }
    this.opts.observe?.(opName, status, (performance.now() - started) / 1000);
    if (polled?.state === 'pending')
      return { item: answerItem(item, ResultStatus.OperationPending), failed: false };
    if (!failed) return { item: answerItem(item, ResultStatus.Success, payload), failed: false };
    const answer = answerItem(item, ResultStatus.OperationFailed);
    answer.resultReason = reasonValue(reason ?? 'GeneralFailure', version);
    answer.resultMessage = this.messageOf(error);
    return { item: answer, failed: true };
  }

  private reasonOf(err: unknown, log: Logger): string {
    if (isKryptonError(err)) return err.reason;
    log.error({ err }, 'operation handler failed');
    return 'GeneralFailure';
  }

  /** Coded errors carry a client-safe message; anything else is "internal error". */
  private messageOf(err: unknown): string {
    return isKryptonError(err) ? err.message : 'internal error';
  }

  private failWhole(
    version: KmipVersion,
    items: readonly { operation?: number | undefined; uniqueBatchItemId?: Uint8Array | undefined }[],
    err: unknown,
  ): DispatchResult {
    const reason = isKryptonError(err) ? err.reason : 'GeneralFailure';
    const message = this.messageOf(err);
    if (!isKryptonError(err)) this.opts.log.error({ err }, 'request failed');
    const list = items.length > 0 ? items : [{}];
    const out: ResponseBatchItem[] = list.map((i) => ({
      ...(i.operation !== undefined && { operation: i.operation }),
      ...(i.uniqueBatchItemId && { uniqueBatchItemId: i.uniqueBatchItemId }),
      resultStatus: ResultStatus.OperationFailed,
      resultReason: reasonValue(reason, version),
      resultMessage: message,
    }));
    return this.respond(version, out, this.opts.maxResponseBytes);
  }

  private respond(version: KmipVersion, items: ResponseBatchItem[], limit: number): DispatchResult {
    const { major, minor } = versionParts(version);
    const build = (batchItems: ResponseBatchItem[]) =>
      encodeResponseMessage({
        header: {
          protocolVersion: { major, minor },
          timeStamp: nowSeconds(),
          batchCount: batchItems.length,
        },
        batchItems,
      });
    let response = build(items);
    let ttlv: Buffer;
    try {
      ttlv = encodeTtlv(response);
    } catch (err) {
      // A handler returned a payload the encoder refuses: those items become General Failure.
      this.opts.log.error({ err: (err as Error)?.message }, 'response payload not encodable');
      items = items.map((i) =>
        i.payload
          ? {
              ...(i.operation !== undefined && { operation: i.operation }),
              ...(i.uniqueBatchItemId && { uniqueBatchItemId: i.uniqueBatchItemId }),
              resultStatus: ResultStatus.OperationFailed,
              resultReason: reasonValue('GeneralFailure', version),
              resultMessage: new KryptonError('KRY_INTERNAL').message,
            }
          : i,
      );
      response = build(items);
      ttlv = encodeTtlv(response);
    }
    if (ttlv.length > limit) {
      // Maximum Response Size (KMIP 2.1 §6.1.23): items that carry a payload become Response Too Large.
      const shrunk = items.map((i) =>
        i.payload
          ? {
              ...(i.operation !== undefined && { operation: i.operation }),
              ...(i.uniqueBatchItemId && { uniqueBatchItemId: i.uniqueBatchItemId }),
              resultStatus: ResultStatus.OperationFailed,
              resultReason: reasonValue('ResponseTooLarge', version),
              resultMessage: new KryptonError('KRY_SRV_RESPONSE_TOO_LARGE').message,
            }
          : i,
      );
      response = build(shrunk);
      ttlv = encodeTtlv(response);
    }
    return { response, ttlv, version };
  }
}
