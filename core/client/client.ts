/**
 * Krypton's KMIP client: mutual TLS (TTLV on :5696) or HTTPS `POST /kmip` (TTLV, JSON, XML),
 * pipelining, a connection pool, batches chained by the ID placeholder, version negotiation
 * (KMIP 1.0–2.1) and a typed method per operation. Used by the gateway's upstream pool, the
 * CLI, the benchmarks, the conformance harness and the tests.
 *
 * A batch item answered with Operation Failed becomes a `KmipResultError` carrying the Result
 * Reason (KMIP 1.4 §11.10 / 2.1 §11.46).
 */
import { KryptonError } from '../errors.js';
import { encodeRequestMessage, parseResponseMessage } from '../messages/index.js';
import type { RequestMessage, ResponseBatchItem, ResponseMessage } from '../messages/index.js';
import {
  BatchErrorContinuationOption,
  KMIP_VERSIONS,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
  enumForTag,
  parseVersion,
} from '../spec/index.js';
import type { KmipVersion } from '../spec/index.js';
import { enumeration, structure } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { KmipConnectionPool } from './pool.js';
import * as req from './requests.js';
import type { OperationRequest } from './requests.js';
import { HttpsTransport, TtlvTlsTransport } from './transport.js';
import type { HttpsEncoding, KmipTransport, TlsOptions } from './transport.js';

export interface KmipClientOptions extends TlsOptions {
  /** Protocol version of requests; default 2.1, or what `negotiate` settles on. */
  version?: KmipVersion;
  timeoutMs?: number;
  maxFrameBytes?: number;
  /** `ttlv` (default): TTLV over TLS. `https`: POST to `path` in `encoding`. */
  transport?: 'ttlv' | 'https';
  encoding?: HttpsEncoding;
  path?: string;
  /** TTLV connections kept open (default 1); requests go to the least busy one. */
  poolSize?: number;
  /** Run DiscoverVersions at connect and use the best common version. */
  negotiate?: boolean | readonly KmipVersion[];
}

const REASON = enumForTag(Tag.ResultReason);
const STATUS = enumForTag(Tag.ResultStatus);

/** A batch item answered with Operation Failed (or Pending / Undone): the server's Result Reason, typed. */
export class KmipResultError extends KryptonError {
  readonly operation: number | undefined;
  readonly resultStatus: number;
  /** Result Reason value (`ResultReason.ObjectNotFound` …). */
  readonly resultReason: number | undefined;
  /** Result Reason name (`ObjectNotFound`; `ItemNotFound` in 1.x …). */
  readonly resultReasonName: string | undefined;
  readonly resultMessage: string | undefined;

  constructor(item: ResponseBatchItem) {
    const reasonName = item.resultReason !== undefined ? REASON?.name(item.resultReason) : undefined;
    const status = STATUS?.name(item.resultStatus) ?? String(item.resultStatus);
    const op = item.operation !== undefined ? req.operationName(item.operation) : 'operation';
    const detail = [op, reasonName ?? status, item.resultMessage].filter(Boolean).join(': ');
    super('KRY_CLIENT_OPERATION_FAILED', detail);
    this.name = 'KmipResultError';
    this.operation = item.operation;
    this.resultStatus = item.resultStatus;
    this.resultReason = item.resultReason;
    this.resultReasonName = reasonName;
    this.resultMessage = item.resultMessage;
  }
}

/** The earlier name of KmipResultError. */
export const KmipOperationError = KmipResultError;
export type KmipOperationError = KmipResultError;

export interface BatchEntry {
  operation: number;
  payload?: TtlvItem[];
  uniqueBatchItemId?: Uint8Array;
}

export interface BatchOptions {
  version?: KmipVersion;
  continuation?: 'Stop' | 'Continue';
  maximumResponseSize?: number;
  /** An Authentication structure (KMIP 1.4 §6.2), e.g. a Username/Password credential. */
  authentication?: StructureItem;
  batchOrderOption?: boolean;
  clientCorrelationValue?: string;
}

/** Outcome of one item of `batchOf`: its parsed result, its error, or not run (Stop after a failure). */
export type BatchOutcome<R> =
  { status: 'ok'; value: R } | { status: 'failed'; error: KmipResultError } | { status: 'not-run' };

type Results<T extends readonly OperationRequest<unknown>[]> = {
  [K in keyof T]: T[K] extends OperationRequest<infer R> ? BatchOutcome<R> : never;
};

export class KmipClient {
  private currentVersion: KmipVersion;

  constructor(
    private readonly transport: KmipTransport,
    version: KmipVersion = '2.1',
  ) {
    this.currentVersion = version;
  }

  /** Connects (TTLV/TLS, a pool of them, or HTTPS) and, when asked, negotiates the version. */
  static async connect(opts: KmipClientOptions): Promise<KmipClient> {
    let transport: KmipTransport;
    if (opts.transport === 'https') transport = new HttpsTransport(opts);
    else if ((opts.poolSize ?? 1) > 1) transport = await KmipConnectionPool.open(opts, opts.poolSize ?? 1);
    else transport = await TtlvTlsTransport.connect(opts);
    const client = new KmipClient(transport, opts.version);
    if (opts.negotiate) {
      try {
        await client.negotiate(opts.negotiate === true ? undefined : opts.negotiate);
      } catch (err) {
        await client.close();
        throw err;
      }
    }
    return client;
  }

  get version(): KmipVersion {
    return this.currentVersion;
  }

  set version(v: KmipVersion) {
    this.currentVersion = v;
  }

  /** Sends one request message tree; resolves with the response tree. Requests may be pipelined. */
  send(request: TtlvItem, version?: KmipVersion): Promise<TtlvItem> {
    return this.transport.send(request, version ?? this.currentVersion);
  }

  /** Sends a batch; resolves with the parsed response message (failed items included). */
  async batch(entries: BatchEntry[], options: BatchOptions = {}): Promise<ResponseMessage> {
    const version = options.version ?? this.currentVersion;
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const message: RequestMessage = {
      header: {
        protocolVersion: { major, minor },
        ...(options.maximumResponseSize !== undefined && {
          maximumResponseSize: options.maximumResponseSize,
        }),
        ...(options.clientCorrelationValue !== undefined && {
          clientCorrelationValue: options.clientCorrelationValue,
        }),
        ...(options.authentication && { authentication: [options.authentication] }),
        ...(options.continuation && {
          batchErrorContinuationOption: BatchErrorContinuationOption[options.continuation],
        }),
        ...(options.batchOrderOption !== undefined && { batchOrderOption: options.batchOrderOption }),
        batchCount: entries.length,
      },
      batchItems: entries.map((e, i) => ({
        operation: e.operation,
        // Several items need distinct Unique Batch Item IDs (KMIP 1.4 §6.4).
        ...((e.uniqueBatchItemId ?? entries.length > 1) && {
          uniqueBatchItemId: e.uniqueBatchItemId ?? Uint8Array.of(i + 1),
        }),
        payload: structure(Tag.RequestPayload, e.payload ?? []),
      })),
    };
    return parseResponseMessage(await this.send(encodeRequestMessage(message), version));
  }

  /** One operation; resolves with its response payload, rejects with KmipResultError. */
  async call(
    operation: number,
    payload: TtlvItem[] = [],
    options: BatchOptions = {},
  ): Promise<StructureItem | undefined> {
    const response = await this.batch([{ operation, payload }], options);
    const item = response.batchItems[0];
    if (!item) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'BatchItem');
    if (item.resultStatus !== ResultStatus.Success) throw new KmipResultError(item);
    return item.payload;
  }

  /** Any operation by name or code with a hand-built payload: the escape hatch. */
  request(operation: number | string, payload: readonly TtlvItem[] = [], options: BatchOptions = {}) {
    return this.perform(req.rawRequest(operation, payload), options);
  }

  /** Runs one typed request; resolves with its parsed result. */
  async perform<R>(request: OperationRequest<R>, options: BatchOptions = {}): Promise<R> {
    const version = options.version ?? this.currentVersion;
    const payload = await this.call(request.operation, request.build(version), { ...options, version });
    return request.parse(payload, version);
  }

  /**
   * Several typed requests in one message. Requests without a Unique Identifier act on the ID
   * placeholder, i.e. the object the previous item created or named (KMIP 1.4 §4).
   */
  async batchOf<const T extends readonly OperationRequest<unknown>[]>(
    requests: T,
    options: BatchOptions = {},
  ): Promise<Results<T>> {
    const version = options.version ?? this.currentVersion;
    const ids = requests.map((_, i) => Uint8Array.of(i + 1));
    const response = await this.batch(
      requests.map((r, i) => ({
        operation: r.operation,
        payload: r.build(version),
        uniqueBatchItemId: ids[i]!,
      })),
      { ...options, version },
    );
    return requests.map((r, i) => {
      const item =
        response.batchItems.find(
          (b) => b.uniqueBatchItemId && Buffer.from(b.uniqueBatchItemId).equals(Buffer.from(ids[i]!)),
        ) ?? (requests.length === 1 ? response.batchItems[0] : undefined);
      if (!item) return { status: 'not-run' };
      if (item.resultStatus !== ResultStatus.Success)
        return { status: 'failed', error: new KmipResultError(item) };
      return { status: 'ok', value: r.parse(item.payload, version) };
    }) as Results<T>;
  }

  /**
   * Version negotiation (KMIP 1.4 §4.26): offers `offer` (default 2.1 … 1.0) and adopts the
   * server's first choice. A server that refuses the request's own version answers in one it
   * speaks; the offer is then repeated in that version. A 1.0 server has no Discover Versions.
   */
  async negotiate(offer: readonly KmipVersion[] = [...KMIP_VERSIONS].reverse()): Promise<KmipVersion> {
    let version: KmipVersion = offer[0] ?? this.currentVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await this.batch(
        [
          {
            operation: Operation.DiscoverVersions,
            payload: req.discoverVersionsRequest(offer).build(version),
          },
        ],
        { version },
      );
      const answered = parseVersion(
        response.header.protocolVersion.major,
        response.header.protocolVersion.minor,
      );
      const item = response.batchItems[0];
      if (item?.resultStatus === ResultStatus.Success) {
        const common = req.discoverVersionsRequest().parse(item.payload, version);
        const chosen = common[0];
        if (!chosen) throw new KryptonError('KRY_CLIENT_NO_COMMON_VERSION', offer.join(', '));
        this.currentVersion = chosen;
        return chosen;
      }
      if (item?.resultReason === ResultReason.OperationNotSupported && answered) {
        this.currentVersion = answered;
        return answered;
      }
      if (!answered || answered === version) break;
      version = answered;
    }
    throw new KryptonError('KRY_CLIENT_NO_COMMON_VERSION', offer.join(', '));
  }

  // ---- typed operations (KMIP 1.4 §4, 2.1 §6.1) ---------------------------------------------

  /** Discover Versions: the versions both sides speak, the server's preference first. */
  discoverVersions(offer: KmipVersion[] = [], options: BatchOptions = {}): Promise<KmipVersion[]> {
    return this.perform(req.discoverVersionsRequest(offer), options);
  }

  /** Query with the given functions (default: operations and objects); the raw response payload. */
  query(
    functions: number[] = [QueryFunction.QueryOperations, QueryFunction.QueryObjects],
    options: BatchOptions = {},
  ): Promise<StructureItem | undefined> {
    return this.call(
      Operation.Query,
      functions.map((f) => enumeration(Tag.QueryFunction, f)),
      options,
    );
  }

  /** Query, read: operation and object type names, vendor identification. */
  queryServer(functions?: readonly (number | string)[], options: BatchOptions = {}) {
    return this.perform(req.queryRequest(functions), options);
  }

  create(args: req.CreateArgs = {}, options?: BatchOptions) {
    return this.perform(req.createRequest(args), options);
  }
  createKeyPair(args: req.CreateKeyPairArgs, options?: BatchOptions) {
    return this.perform(req.createKeyPairRequest(args), options);
  }
  register(args: req.RegisterArgs, options?: BatchOptions) {
    return this.perform(req.registerRequest(args), options);
  }
  rekey(args: req.RekeyArgs = {}, options?: BatchOptions) {
    return this.perform(req.rekeyRequest(args), options);
  }
  locate(args: req.LocateArgs = {}, options?: BatchOptions) {
    return this.perform(req.locateRequest(args), options);
  }
  get(args: req.GetArgs | string = {}, options?: BatchOptions) {
    return this.perform(
      req.getRequest(typeof args === 'string' ? { uniqueIdentifier: args } : args),
      options,
    );
  }
  getAttributes(args: { uniqueIdentifier?: string; names?: readonly string[] } = {}, options?: BatchOptions) {
    return this.perform(req.getAttributesRequest(args), options);
  }
  getAttributeList(uniqueIdentifier?: string, options?: BatchOptions) {
    return this.perform(
      req.getAttributeListRequest(uniqueIdentifier !== undefined ? { uniqueIdentifier } : {}),
      options,
    );
  }
  addAttribute(args: req.AttributeChange, options?: BatchOptions) {
    return this.perform(req.addAttributeRequest(args), options);
  }
  modifyAttribute(args: Parameters<typeof req.modifyAttributeRequest>[0], options?: BatchOptions) {
    return this.perform(req.modifyAttributeRequest(args), options);
  }
  setAttribute(args: req.AttributeChange, options?: BatchOptions) {
    return this.perform(req.setAttributeRequest(args), options);
  }
  deleteAttribute(args: Parameters<typeof req.deleteAttributeRequest>[0], options?: BatchOptions) {
    return this.perform(req.deleteAttributeRequest(args), options);
  }
  activate(uniqueIdentifier?: string, options?: BatchOptions) {
    return this.perform(req.activateRequest(uniqueIdentifier), options);
  }
  revoke(args: req.RevokeArgs = {}, options?: BatchOptions) {
    return this.perform(req.revokeRequest(args), options);
  }
  destroy(uniqueIdentifier?: string, options?: BatchOptions) {
    return this.perform(req.destroyRequest(uniqueIdentifier), options);
  }
  archive(uniqueIdentifier?: string, options?: BatchOptions) {
    return this.perform(req.archiveRequest(uniqueIdentifier), options);
  }
  recover(uniqueIdentifier?: string, options?: BatchOptions) {
    return this.perform(req.recoverRequest(uniqueIdentifier), options);
  }
  check(args: Parameters<typeof req.checkRequest>[0] = {}, options?: BatchOptions) {
    return this.perform(req.checkRequest(args), options);
  }
  encrypt(args: req.CryptoArgs, options?: BatchOptions) {
    return this.perform(req.encryptRequest(args), options);
  }
  decrypt(args: Parameters<typeof req.decryptRequest>[0], options?: BatchOptions) {
    return this.perform(req.decryptRequest(args), options);
  }
  sign(args: req.SignArgs, options?: BatchOptions) {
    return this.perform(req.signRequest(args), options);
  }
  signatureVerify(args: Parameters<typeof req.signatureVerifyRequest>[0], options?: BatchOptions) {
    return this.perform(req.signatureVerifyRequest(args), options);
  }
  mac(args: Parameters<typeof req.macRequest>[0], options?: BatchOptions) {
    return this.perform(req.macRequest(args), options);
  }
  macVerify(args: Parameters<typeof req.macVerifyRequest>[0], options?: BatchOptions) {
    return this.perform(req.macVerifyRequest(args), options);
  }
  hash(args: Parameters<typeof req.hashRequest>[0], options?: BatchOptions) {
    return this.perform(req.hashRequest(args), options);
  }
  rngRetrieve(dataLength: number, options?: BatchOptions) {
    return this.perform(req.rngRetrieveRequest(dataLength), options);
  }
  poll(correlation: Uint8Array, options?: BatchOptions) {
    return this.perform(req.pollRequest(correlation), options);
  }
  cancel(correlation: Uint8Array, options?: BatchOptions) {
    return this.perform(req.cancelRequest(correlation), options);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
