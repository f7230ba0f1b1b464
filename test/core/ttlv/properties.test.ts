import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KryptonError } from '../../../core/errors.js';
import { TtlvFrameReader, decodeTtlv, encodeTtlv } from '../../../core/ttlv/index.js';
import { fuzzParams, ttlvTree } from '../../support/fuzz.js';

function onlyCodedErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof KryptonError)) throw err;
  }
}

test('decode-of-encode-is-identity-for-random-trees', () => {
  fc.assert(
    fc.property(ttlvTree, (tree) => {
      assert.deepEqual(decodeTtlv(encodeTtlv(tree), { maxDepth: 1000 }), tree);
    }),
    fuzzParams(2000),
  );
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('overwrite-length' as const),
    at: fc.nat(),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);

test('random-mutations-of-valid-frames-raise-only-coded-errors', () => {
  fc.assert(
    fc.property(ttlvTree, fc.array(mutation, { minLength: 1, maxLength: 4 }), (tree, mutations) => {
      let bytes = Buffer.from(encodeTtlv(tree));
      for (const m of mutations) {
        if (m.kind === 'truncate') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
        else if (m.kind === 'garbage') bytes = Buffer.concat([bytes, Buffer.from(m.bytes)]);
        else if (bytes.length >= 8) {
          const at = m.at % bytes.length;
          if (m.kind === 'flip') bytes[at] = m.value;
          else {
            // items start on 8-byte boundaries: overwrite the length field of the header there
            const header = at - (at % 8);
            if (header + 8 <= bytes.length) bytes.writeUInt32BE(m.value, header + 4);
          }
        }
      }
      onlyCodedErrors(() => decodeTtlv(bytes));
      onlyCodedErrors(() => {
        const reader = new TtlvFrameReader({ maxFrameBytes: 4096 });
        for (const frame of reader.push(bytes)) decodeTtlv(frame);
      });
    }),
    fuzzParams(5000),
  );
});

test('random-bytes-raise-only-coded-errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      onlyCodedErrors(() => decodeTtlv(bytes));
      const withHeader = Buffer.concat([Buffer.from([0x42, 0x00, 0x78, 0x01]), Buffer.from(bytes)]);
      onlyCodedErrors(() => decodeTtlv(withHeader));
    }),
    fuzzParams(5000),
  );
});
