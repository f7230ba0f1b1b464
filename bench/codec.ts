/**
 * `npm run bench:codec` — decode+encode throughput of the TTLV codec on one core, for a typical
 * Create request and a ~4 KB Locate response. A benchmark, not a test: it prints figures.
 *
 *   node dist/bench/codec.js [--seconds 3]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { encodeRequestMessage, encodeResponseMessage } from '../core/messages/index.js';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  NameType,
  ObjectType,
  Operation,
  ResultStatus,
  Tag,
} from '../core/spec/index.js';
import {
  decodeTtlv,
  encodeTtlv,
  enumeration,
  integer,
  structure,
  textString,
  type TtlvItem,
} from '../core/ttlv/index.js';

function attribute(name: string, value: TtlvItem): TtlvItem {
  return structure(Tag.Attribute, [
    textString(Tag.AttributeName, name),
    { ...value, tag: Tag.AttributeValue },
  ]);
}

/** A KMIP 1.4 Create of an AES-256 key with usage mask and name, as classic clients send it. */
export function createRequest(): Buffer {
  return encodeTtlv(
    encodeRequestMessage({
      header: { protocolVersion: { major: 1, minor: 4 }, batchCount: 1 },
      batchItems: [
        {
          operation: Operation.Create,
          payload: structure(Tag.RequestPayload, [
            enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
            structure(Tag.TemplateAttribute, [
              attribute('Cryptographic Algorithm', enumeration(0, CryptographicAlgorithm.AES)),
              attribute('Cryptographic Length', integer(0, 256)),
              attribute(
                'Cryptographic Usage Mask',
                integer(0, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
              ),
              structure(Tag.Attribute, [
                textString(Tag.AttributeName, 'Name'),
                structure(Tag.AttributeValue, [
                  textString(Tag.NameValue, 'payments/service-kek'),
                  enumeration(Tag.NameType, NameType.UninterpretedTextString),
                ]),
              ]),
            ]),
          ]),
        },
      ],
    }),
  );
}

/** A Locate response listing 84 UUIDs: about 4 KB on the wire. */
export function locateResponse(): Buffer {
  const ids: TtlvItem[] = [];
  for (let i = 0; i < 84; i++) ids.push(textString(Tag.UniqueIdentifier, crypto.randomUUID()));
  return encodeTtlv(
    encodeResponseMessage({
      header: {
        protocolVersion: { major: 2, minor: 1 },
        timeStamp: BigInt(Math.floor(Date.now() / 1000)),
        batchCount: 1,
      },
      batchItems: [
        {
          operation: Operation.Locate,
          resultStatus: ResultStatus.Success,
          payload: structure(Tag.ResponsePayload, [integer(Tag.LocatedItems, ids.length), ...ids]),
        },
      ],
    }),
  );
}

export interface CodecFigure {
  name: string;
  bytes: number;
  perSecond: number;
  mbPerSecond: number;
}

export function measure(name: string, frame: Buffer, seconds: number): CodecFigure {
  // warm-up so the JIT has settled before the clock starts
  for (let i = 0; i < 20_000; i++) encodeTtlv(decodeTtlv(frame));
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 1000; i++) encodeTtlv(decodeTtlv(frame));
    n += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  const perSecond = n / (Number(elapsed) / 1e9);
  return { name, bytes: frame.length, perSecond, mbPerSecond: (perSecond * frame.length) / 1e6 };
}

function main(): void {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
  const seconds = Number(values.seconds);
  const figures = [
    measure('Create request (1.4)', createRequest(), seconds),
    measure('Locate response (2.1)', locateResponse(), seconds),
  ];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`TTLV decode+encode, one core, Node ${process.version}, ${cpu}\n\n`);
  process.stdout.write('| message | bytes | decode+encode/s | MB/s |\n|---|---:|---:|---:|\n');
  for (const f of figures) {
    process.stdout.write(
      `| ${f.name} | ${f.bytes} | ${Math.round(f.perSecond).toLocaleString('en-US')} | ${f.mbPerSecond.toFixed(1)} |\n`,
    );
  }
}

main();
