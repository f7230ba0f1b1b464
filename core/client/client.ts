/**
 * KMIP client over TTLV/TLS: mutual TLS, pipelined requests matched to responses in order,
 * a per-request deadline, frame limits from the codec. Used by tests, the CLI and (later) the
 * gateway's upstream pool.
 */
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { KryptonError } from '../errors.js';
import { encodeRequestMessage, parseResponseMessage } from '../messages/index.js';
import type { RequestMessage, ResponseBatchItem, ResponseMessage } from '../messages/index.js';
import {
  BatchErrorContinuationOption,
  Operation,
  QueryFunction,
  ResultStatus,
  Tag,
  parseVersion,
} from '../spec/index.js';
import type { KmipVersion } from '../spec/index.js';
import { decodeTtlv } from '../ttlv/decoder.js';
import { encodeTtlv } from '../ttlv/encoder.js';
import { TtlvFrameReader } from '../ttlv/frame-reader.js';
import { child, children, enumeration, integer, structure } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';

export interface KmipClientOptions {
  host: string;
  port: number;
  ca: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  /** Protocol version of requests; default 2.1. */
  version?: KmipVersion;
  timeoutMs?: number;
  maxFrameBytes?: number;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** A batch item answered with Operation Failed. */
export class KmipOperationError extends KryptonError {
  readonly resultStatus: number;
  readonly resultReason: number | undefined;
  readonly resultMessage: string | undefined;

  constructor(item: ResponseBatchItem) {
    super('KRY_CLIENT_OPERATION_FAILED', item.resultMessage);
    this.resultStatus = item.resultStatus;
    this.resultReason = item.resultReason;
    this.resultMessage = item.resultMessage;
  }
}

export interface BatchEntry {
  operation: number;
  payload?: TtlvItem[];
  uniqueBatchItemId?: Uint8Array;
}

export interface BatchOptions {
  version?: KmipVersion;
  continuation?: 'Stop' | 'Continue';
  maximumResponseSize?: number;
  /** Extra header items, e.g. an Authentication structure. */
  authentication?: StructureItem;
}

interface Pending {
  resolve(item: TtlvItem): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class KmipClient {
  private readonly pending: Pending[] = [];
  private readonly reader: TtlvFrameReader;
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    private readonly opts: KmipClientOptions,
  ) {
    this.reader = new TtlvFrameReader(
      opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {},
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) this.settle(frame);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
      }
    });
    socket.on('close', () => this.fail(new KryptonError('KRY_CLIENT_CLOSED')));
    socket.on('error', (err) => this.fail(err));
  }

  static connect(opts: KmipClientOptions): Promise<KmipClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: opts.host,
        port: opts.port,
        ca: opts.ca,
        ...(opts.cert !== undefined && { cert: opts.cert }),
        ...(opts.key !== undefined && { key: opts.key }),
        servername: opts.servername ?? (/^[\d.]+$/.test(opts.host) ? undefined : opts.host),
        minVersion: opts.minVersion ?? 'TLSv1.2',
        maxVersion: opts.maxVersion ?? 'TLSv1.3',
      });
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        resolve(new KmipClient(socket, opts));
      });
    });
  }

  get version(): KmipVersion {
    return this.opts.version ?? '2.1';
  }

  /** Sends one request message; resolves with the response tree. Requests may be pipelined. */
  send(request: TtlvItem): Promise<TtlvItem> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new KryptonError('KRY_CLIENT_TIMEOUT'));
        this.socket.destroy();
      }, this.opts.timeoutMs ?? 30_000);
      this.pending.push({ resolve, reject, timer });
      this.socket.write(encodeTtlv(request));
    });
  }

  /** Sends a batch; resolves with the parsed response message (failed items included). */
  async batch(entries: BatchEntry[], options: BatchOptions = {}): Promise<ResponseMessage> {
    const version = options.version ?? this.version;
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const message: RequestMessage = {
      header: {
        protocolVersion: { major, minor },
        ...(options.maximumResponseSize !== undefined && {
          maximumResponseSize: options.maximumResponseSize,
        }),
        ...(options.authentication && { authentication: [options.authentication] }),
        ...(options.continuation && {
          batchErrorContinuationOption: BatchErrorContinuationOption[options.continuation],
        }),
        batchCount: entries.length,
      },
      batchItems: entries.map((e, i) => ({
        operation: e.operation,
        ...((e.uniqueBatchItemId ?? entries.length > 1) && {
          uniqueBatchItemId: e.uniqueBatchItemId ?? Uint8Array.of(i + 1),
        }),
        payload: structure(Tag.RequestPayload, e.payload ?? []),
      })),
    };
    return parseResponseMessage(await this.send(encodeRequestMessage(message)));
  }

  /** One operation; resolves with its response payload, rejects with KmipOperationError. */
  async call(
    operation: number,
    payload: TtlvItem[] = [],
    options: BatchOptions = {},
  ): Promise<StructureItem | undefined> {
    const response = await this.batch([{ operation, payload }], options);
    const item = response.batchItems[0];
    if (!item) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'BatchItem');
    if (item.resultStatus !== ResultStatus.Success) throw new KmipOperationError(item);
    return item.payload;
  }

  /** Discover Versions: the versions both sides speak, the server's preference first. */
  async discoverVersions(offer: KmipVersion[] = [], options: BatchOptions = {}): Promise<KmipVersion[]> {
    const payload = offer.map((v) => {
      const [major, minor] = v.split('.').map(Number) as [number, number];
      return structure(Tag.ProtocolVersion, [
        integer(Tag.ProtocolVersionMajor, major),
        integer(Tag.ProtocolVersionMinor, minor),
      ]);
    });
    const out = await this.call(Operation.DiscoverVersions, payload, options);
    return children(out, Tag.ProtocolVersion).flatMap((pv) => {
      const major = child(pv, Tag.ProtocolVersionMajor);
      const minor = child(pv, Tag.ProtocolVersionMinor);
      const v =
        major?.type === 'Integer' && minor?.type === 'Integer'
          ? parseVersion(major.value, minor.value)
          : undefined;
      return v ? [v] : [];
    });
  }

  /** Query with the given functions (default: operations and objects). */
  async query(
    functions: number[] = [QueryFunction.QueryOperations, QueryFunction.QueryObjects],
    options: BatchOptions = {},
  ): Promise<StructureItem | undefined> {
    return this.call(
      Operation.Query,
      functions.map((f) => enumeration(Tag.QueryFunction, f)),
      options,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private settle(frame: Buffer): void {
    const next = this.pending.shift();
    if (!next) return;
    clearTimeout(next.timer);
    try {
      next.resolve(decodeTtlv(frame));
    } catch (err) {
      next.reject(err as Error);
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
