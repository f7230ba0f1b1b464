/**
 * Fuzz targets over the frame reader, the decoder, the message model and the dispatcher (through
 * the same endpoint function both transports call). A target throws only on a defect: a
 * non-coded exception, a dispatcher that rejects, an answer that is not a readable KMIP response,
 * a frame reader that loses or invents bytes. Inputs end as bytes, so any counterexample can be
 * saved as a regression vector and replayed (test/hardening/vectors/).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { Dispatcher } from '../../core/dispatch/dispatcher.js';
import { OperationRegistry } from '../../core/dispatch/registry.js';
import type { RequestServices } from '../../core/dispatch/operation.js';
import { encodeKmipJson } from '../../core/encodings/index.js';
import { KryptonError } from '../../core/errors.js';
import { parseRequestMessage, parseResponseMessage } from '../../core/messages/index.js';
import { handleKmipMessage } from '../../core/server/kmip-endpoint.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import { TtlvFrameReader } from '../../core/ttlv/frame-reader.js';
import { discoverVersions } from '../../plugins/discover-versions.js';
import { query } from '../../plugins/query.js';
import { ttlvTree } from '../support/fuzz.js';
import {
  PLACEHOLDER_GET,
  PLACEHOLDER_SET,
  RETURNS_UNENCODABLE,
  THROWS_LEAKY_ERROR,
  THROWS_NON_ERROR,
  placeholderGet,
  placeholderSet,
  returnsUnencodable,
  throwsLeakyError,
  throwsNonError,
} from './fixtures/hostile-plugin.js';
import {
  batchCount,
  batchItem,
  emptyPayload,
  hex,
  operation,
  protocolVersion,
  queryRequest,
  requestMessage,
  st,
} from './support.js';

export interface FuzzInput {
  bytes: Uint8Array;
  /** Chunk boundaries for the frame reader. */
  cuts?: number[];
}

export interface FuzzTarget {
  readonly arbitrary: fc.Arbitrary<FuzzInput>;
  run(input: FuzzInput): Promise<void> | void;
}

function codedOnly(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof KryptonError)) throw err;
  }
}

// --- a corpus of valid requests, mutated --------------------------------------------------------

const ubid = (n: number) => hex(`420093 08 00000001 ${n.toString(16).padStart(2, '0')} 00000000000000`);
const CORPUS: Buffer[] = [
  queryRequest(),
  queryRequest([], [], protocolVersion(1, 0)),
  queryRequest([hex('420074 05 00000004 00000003 00000000')], [hex('420050 02 00000004 00000100 00000000')]),
  requestMessage([batchCount(1)], [batchItem(operation(0x1e), st('420079', protocolVersion(1, 4)))]),
  requestMessage(
    [hex('42000e 05 00000004 00000001 00000000'), batchCount(3)],
    [
      batchItem(operation(PLACEHOLDER_SET), ubid(1), emptyPayload),
      batchItem(operation(PLACEHOLDER_GET), ubid(2), emptyPayload),
      batchItem(operation(0x18), ubid(3), st('420079', hex('420074 05 00000004 00000001 00000000'))),
    ],
  ),
  requestMessage(
    [hex('42000e 05 00000004 00000001 00000000'), batchCount(3)],
    [
      batchItem(operation(THROWS_LEAKY_ERROR), ubid(1), emptyPayload),
      batchItem(operation(RETURNS_UNENCODABLE), ubid(2), emptyPayload),
      batchItem(operation(THROWS_NON_ERROR), ubid(3), emptyPayload),
    ],
  ),
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 8, max: 64 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(seed);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    switch (m.kind) {
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'length': {
        // Item lengths sit at offset 4 of 8-byte aligned headers.
        const pos = (at & ~7) + 4;
        if (pos + 4 <= bytes.length) bytes.writeUInt32BE(m.value, pos);
        break;
      }
      case 'byte':
        bytes[at] = m.value;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + m.len), bytes.subarray(at)]);
        break;
    }
  }
  return bytes;
}

const mutatedRequest: fc.Arbitrary<FuzzInput> = fc
  .tuple(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 0, maxLength: 4 }))
  .map(([seed, ms]) => ({ bytes: mutate(seed, ms) }));
const randomTreeBytes: fc.Arbitrary<FuzzInput> = ttlvTree.map((t) => ({ bytes: encodeTtlv(t) }));
const randomBytes: fc.Arbitrary<FuzzInput> = fc.uint8Array({ maxLength: 256 }).map((b) => ({ bytes: b }));
const anyRequestBytes = fc.oneof(
  { weight: 6, arbitrary: mutatedRequest },
  { weight: 2, arbitrary: randomTreeBytes },
  { weight: 1, arbitrary: randomBytes },
);

// --- the dispatcher, as the server builds it ------------------------------------------------------

const registry = new OperationRegistry();
for (const d of [
  discoverVersions,
  query,
  placeholderSet,
  placeholderGet,
  throwsLeakyError,
  returnsUnencodable,
  throwsNonError,
]) {
  registry.add(d);
}
registry.seal();
let audited = 0;
const dispatcher = new Dispatcher({
  registry,
  log: pino({ level: 'silent' }),
  services: {} as RequestServices,
  maxBatchItems: 64,
  maxResponseBytes: 4 * 1024 * 1024,
  audit: () => {
    audited++;
  },
});
const origin = {
  transport: 'ttlv' as const,
  remoteAddress: '127.0.0.1',
  peerIdentity: Object.freeze({
    principal: 'fuzz',
    source: 'certificate' as const,
    tenant: 'fuzz',
    permissions: new Set(['*']),
    gateway: false,
  }),
};

/** The answer must be one readable Response Message with at least one batch item. */
function checkAnswer(answer: Buffer | string): void {
  const response = parseResponseMessage(decodeTtlv(answer as Buffer));
  if (response.batchItems.length < 1) throw new Error('response without batch items');
  for (const item of response.batchItems) {
    if (item.resultMessage !== undefined && /\bat .+\(|\.js:|SQLITE|\/var\//.test(item.resultMessage)) {
      throw new Error(`unsafe result message: ${item.resultMessage}`);
    }
  }
}

export const FUZZ_TARGETS: Readonly<Record<string, FuzzTarget>> = Object.freeze({
  'frame-reader': {
    arbitrary: fc
      .tuple(
        fc.array(
          fc.oneof(
            fc.constantFrom(...CORPUS),
            fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
          ),
          {
            maxLength: 4,
          },
        ),
        fc.array(fc.nat({ max: 2048 }), { maxLength: 8 }),
      )
      .map(([parts, cuts]) => ({ bytes: Buffer.concat(parts), cuts })),
    run({ bytes, cuts = [] }) {
      const reader = new TtlvFrameReader({ maxFrameBytes: 4096 });
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      let prev = 0;
      let out = 0;
      try {
        for (const p of [...points, bytes.length]) {
          for (const f of reader.push(bytes.subarray(prev, p))) {
            if (f.length !== 8 + f.readUInt32BE(4)) throw new Error('frame length differs from its header');
            if (f.length > reader.maxFrameBytes) throw new Error('frame over the limit');
            out += f.length;
          }
          prev = p;
        }
      } catch (err) {
        if (!(err instanceof KryptonError)) throw err;
        return;
      }
      if (out + reader.pendingBytes !== bytes.length) throw new Error('frame reader lost or invented bytes');
    },
  },
  decoder: {
    arbitrary: anyRequestBytes,
    run({ bytes }) {
      codedOnly(() => decodeTtlv(bytes, { maxDepth: 64 }));
    },
  },
  'message-model': {
    arbitrary: anyRequestBytes,
    run({ bytes }) {
      let tree;
      try {
        tree = decodeTtlv(bytes);
      } catch {
        return;
      }
      codedOnly(() => parseRequestMessage(tree));
    },
  },
  dispatcher: {
    arbitrary: anyRequestBytes,
    async run({ bytes }) {
      const before = audited;
      const answer = await handleKmipMessage(
        { dispatcher, maxDepth: 64 },
        Buffer.from(bytes),
        'ttlv',
        origin,
      );
      checkAnswer(answer);
      if (audited < before) throw new Error('audit counter went backwards');
    },
  },
  'dispatcher-json': {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...CORPUS.map((c) => encodeKmipJson(decodeTtlv(c)))),
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 8 })), { maxLength: 3 }),
      )
      .map(([text, edits]) => {
        let s = text;
        for (const [at, insert] of edits) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + insert + s.slice(i + (at % 3));
        }
        return { bytes: Buffer.from(s, 'utf8') };
      }),
    async run({ bytes }) {
      const answer = await handleKmipMessage(
        { dispatcher, maxDepth: 64 },
        Buffer.from(bytes).toString('utf8'),
        'json',
        { ...origin, transport: 'https' },
      );
      if (typeof answer !== 'string' || !answer.startsWith('{')) throw new Error('JSON answer expected');
    },
  },
});

/** Fixed per-target seeds for CI (reproducible); `KRYPTON_FUZZ_SEED` overrides. */
export const FUZZ_SEEDS: Readonly<Record<string, number>> = Object.freeze({
  'frame-reader': 0x4b520001,
  decoder: 0x4b520002,
  'message-model': 0x4b520003,
  dispatcher: 0x4b520004,
  'dispatcher-json': 0x4b520005,
});

/** Runs `numRuns` cases of a target; resolves with the counterexample, or undefined. */
export async function fuzzTarget(
  name: string,
  numRuns: number,
  seed: number,
): Promise<{ input: FuzzInput; error: string } | undefined> {
  const target = FUZZ_TARGETS[name];
  if (!target) throw new Error(`no fuzz target ${name}`);
  const details = await fc.check(
    fc.asyncProperty(target.arbitrary, async (input) => {
      await target.run(input);
    }),
    { numRuns, seed, endOnFailure: false, interruptAfterTimeLimit: 6 * 3600_000 },
  );
  if (!details.failed || !details.counterexample) return undefined;
  return { input: details.counterexample[0], error: String(details.errorInstance) };
}
