/**
 * Multi-part Hash (KMIP 2.1 §6.1.24, 1.4 §4.37: Init Indicator, Correlation Value, Final
 * Indicator) over real TLS: at a standalone server, the digest of the parts equals node:crypto's
 * one-shot digest (SHA-256, SHA-512, and SHA3-256 from 1.4) in 1.3, 1.4 and 2.1; the stream
 * belongs to its caller and its Hashing Algorithm; the bounds (per identity, bytes, idle time)
 * apply; 1.2 has no multi-part fields. At a gateway in front of a core (two processes), the gateway hashes itself:
 * its streams live there and the core knows none of their values.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KmipClient } from '../../core/client/client.js';
import { HashingAlgorithm, Operation, Tag, type KmipVersion } from '../../core/spec/index.js';
import { boolean, byteString, enumeration, structure } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { startTwoIdentities, type TwoIdentities } from '../e2e/support.js';
import { startSplit, type Split } from '../gateway/split-support.js';
import { bytesOf, reasonOf, split } from '../support/kmip-results.js';

const LIMITS = {
  maxStreams: 6,
  maxStreamsPerIdentity: 3,
  maxStreamBytes: 4096,
  maxStreamBufferedBytes: 1024,
  streamIdleTimeoutMs: 1500,
};

const DIGESTS = [
  [HashingAlgorithm.SHA_256, 'sha256'],
  [HashingAlgorithm.SHA_512, 'sha512'],
  [HashingAlgorithm.SHA3_256, 'sha3-256'],
] as const;

function params(algorithm: number): TtlvItem {
  return structure(Tag.CryptographicParameters, [enumeration(Tag.HashingAlgorithm, algorithm)]);
}

/** The first part: Init Indicator true, the Correlation Value answered. */
async function open(
  c: KmipClient,
  algorithm: number,
  data?: Buffer,
  version: KmipVersion = '2.1',
): Promise<Buffer> {
  const answer = await c.call(
    Operation.Hash,
    [params(algorithm), ...(data ? [byteString(Tag.Data, data)] : []), boolean(Tag.InitIndicator, true)],
    { version },
  );
  assert.equal(bytesOf(answer, Tag.Data), undefined, 'no digest before the last part');
  const correlation = bytesOf(answer, Tag.CorrelationValue);
  assert.equal(correlation?.length, 16);
  return correlation!;
}

/** A later part; the last one with Final Indicator true. */
function next(
  c: KmipClient,
  algorithm: number,
  correlation: Buffer,
  data: Buffer | undefined,
  final: boolean,
  version: KmipVersion = '2.1',
): Promise<StructureItem | undefined> {
  return c.call(
    Operation.Hash,
    [
      params(algorithm),
      ...(data ? [byteString(Tag.Data, data)] : []),
      byteString(Tag.CorrelationValue, correlation),
      ...(final ? [boolean(Tag.FinalIndicator, true)] : []),
    ],
    { version },
  );
}

/** Hashes `chunks` as one stream: the digest of the last answer. */
async function hashParts(
  c: KmipClient,
  algorithm: number,
  chunks: readonly Buffer[],
  version: KmipVersion = '2.1',
): Promise<Buffer | undefined> {
  const correlation = await open(c, algorithm, chunks[0], version);
  for (let i = 1; i < chunks.length - 1; i++) {
    const middle = await next(c, algorithm, correlation, chunks[i], false, version);
    assert.deepEqual(bytesOf(middle, Tag.CorrelationValue), correlation, 'a middle part answers the value');
    assert.equal(bytesOf(middle, Tag.Data), undefined);
  }
  const last = await next(c, algorithm, correlation, chunks[chunks.length - 1], true, version);
  assert.equal(bytesOf(last, Tag.CorrelationValue), undefined, 'the last answer ends the stream');
  return bytesOf(last, Tag.Data);
}

describe('multi-part Hash at a standalone server', () => {
  let running: TwoIdentities | undefined;
  let alice: KmipClient;
  let mallory: KmipClient;
  before(async () => ({ alice, mallory } = running = await startTwoIdentities({ limits: LIMITS })));
  after(async () => running?.close());

  it('sha-2-and-sha-3-streams-equal-the-one-shot-digests-in-1.3-1.4-and-2.1', async () => {
    const data = randomBytes(1000);
    for (const version of ['1.3', '1.4', '2.1'] as const)
      for (const [algorithm, name] of DIGESTS) {
        // SHA-3 is a KMIP 1.4 Hashing Algorithm: a 1.3 request naming it is Invalid Field.
        if (version === '1.3' && algorithm === HashingAlgorithm.SHA3_256) {
          assert.equal(await reasonOf(open(alice, algorithm, data, version)), 'InvalidField');
          continue;
        }
        const expected = createHash(name).update(data).digest();
        // Parts of many sizes, an empty one; the first part without Data, the last with none left.
        assert.deepEqual(await hashParts(alice, algorithm, split(data, [1, 63, 0, 500]), version), expected);
        assert.deepEqual(await hashParts(alice, algorithm, [Buffer.alloc(0), data], version), expected);
        assert.deepEqual(await hashParts(alice, algorithm, split(data, [1000]), version), expected);
        // Both indicators true and no Correlation Value: one part, as a single-part request.
        const one = await alice.call(
          Operation.Hash,
          [
            params(algorithm),
            byteString(Tag.Data, data),
            boolean(Tag.InitIndicator, true),
            boolean(Tag.FinalIndicator, true),
          ],
          { version },
        );
        assert.deepEqual(bytesOf(one, Tag.Data), expected);
        assert.equal(bytesOf(one, Tag.CorrelationValue), undefined);
      }
    // A stream over nothing at all is the digest of nothing.
    const empty = await open(alice, HashingAlgorithm.SHA_256);
    const last = await next(alice, HashingAlgorithm.SHA_256, empty, undefined, true);
    assert.deepEqual(bytesOf(last, Tag.Data), createHash('sha256').digest());
  });

  it('a-foreign-unknown-finished-or-other-algorithm-value-is-an-unknown-one', async () => {
    const sha256 = HashingAlgorithm.SHA_256;
    const data = randomBytes(64);
    const mine = await open(alice, sha256, data.subarray(0, 10));
    const foreign = await reasonOf(next(mallory, sha256, mine, data, true));
    assert.equal(foreign, 'InvalidCorrelationValue');
    assert.equal(await reasonOf(next(mallory, sha256, randomBytes(16), data, true)), foreign);
    assert.equal(await reasonOf(next(mallory, sha256, mine, data, true, '1.4')), 'ItemNotFound');
    // The owner with another Hashing Algorithm: the stream is bound to SHA-256.
    assert.equal(
      await reasonOf(next(alice, HashingAlgorithm.SHA_512, mine, data, true)),
      'InvalidCorrelationValue',
    );
    // None of these touched it: the owner's stream goes on and ends with the right digest.
    const done = await next(alice, sha256, mine, data.subarray(10), true);
    assert.deepEqual(bytesOf(done, Tag.Data), createHash('sha256').update(data).digest());
    // Finished: the value is gone.
    assert.equal(await reasonOf(next(alice, sha256, mine, undefined, true)), 'InvalidCorrelationValue');
    // A later part without its Correlation Value, a value with Init Indicator: malformed.
    const other = await open(alice, sha256);
    for (const malformed of [
      [byteString(Tag.Data, data), boolean(Tag.FinalIndicator, true)],
      [byteString(Tag.CorrelationValue, other), boolean(Tag.InitIndicator, true)],
    ])
      assert.equal(
        await reasonOf(alice.call(Operation.Hash, [params(sha256), ...malformed])),
        'InvalidField',
      );
    await next(alice, sha256, other, undefined, true);
  });

  it('caps-open-streams-per-identity-bytes-per-stream-and-idle-time', async () => {
    const sha256 = HashingAlgorithm.SHA_256;
    const mine: Buffer[] = [];
    for (let i = 0; i < LIMITS.maxStreamsPerIdentity; i++) mine.push(await open(alice, sha256));
    assert.equal(await reasonOf(open(alice, sha256)), 'PermissionDenied', 'per identity');
    for (const c of mine) await next(alice, sha256, c, undefined, true);
    // Bytes: over maxStreamBytes the stream ends.
    const big = await open(alice, sha256, randomBytes(LIMITS.maxStreamBytes));
    assert.equal(await reasonOf(next(alice, sha256, big, Buffer.alloc(1), false)), 'PermissionDenied');
    assert.equal(await reasonOf(next(alice, sha256, big, undefined, true)), 'InvalidCorrelationValue');
    // Idle: the stream ends after streamIdleTimeoutMs without a part, and its slot is free again.
    const idle = await open(alice, sha256, randomBytes(8));
    await new Promise((r) => setTimeout(r, LIMITS.streamIdleTimeoutMs + 300));
    assert.equal(await reasonOf(next(alice, sha256, idle, undefined, true)), 'InvalidCorrelationValue');
    assert.equal(await reasonOf(next(alice, sha256, idle, undefined, true, '1.4')), 'ItemNotFound');
    const again = await open(alice, sha256);
    await next(alice, sha256, again, undefined, true);
  });

  it('kmip-1.2-has-no-multi-part-hash', async () => {
    const data = randomBytes(32);
    const one = await alice.call(
      Operation.Hash,
      [params(HashingAlgorithm.SHA_256), byteString(Tag.Data, data)],
      { version: '1.2' },
    );
    assert.deepEqual(bytesOf(one, Tag.Data), createHash('sha256').update(data).digest());
    assert.equal(
      await reasonOf(
        alice.call(
          Operation.Hash,
          [params(HashingAlgorithm.SHA_256), byteString(Tag.Data, data), boolean(Tag.InitIndicator, true)],
          { version: '1.2' },
        ),
      ),
      // Init Indicator is a 1.3 tag (core/messages/in-version.ts).
      'InvalidField',
    );
  });
});

describe('multi-part Hash at a gateway in front of a core', () => {
  let split2: Split;
  let gw: KmipClient;
  let core: KmipClient;

  before(async () => {
    split2 = await startSplit({ logLevel: 'warn' });
    gw = await split2.client();
    core = await split2.client({ to: 'core' });
  });

  after(async () => {
    await split2?.close();
  });

  it('the-gateway-hashes-the-parts-itself-and-the-core-knows-none-of-its-values', async () => {
    const data = randomBytes(3000);
    for (const version of ['1.4', '2.1'] as const)
      for (const [algorithm, name] of DIGESTS)
        assert.deepEqual(
          await hashParts(gw, algorithm, split(data, [100, 0, 2000]), version),
          createHash(name).update(data).digest(),
        );
    const sha512 = HashingAlgorithm.SHA_512;
    // A stream opened at the gateway is not the core's (the same client identity asks both).
    const atGateway = await open(gw, sha512, data);
    assert.equal(await reasonOf(next(core, sha512, atGateway, undefined, true)), 'InvalidCorrelationValue');
    // Nor is a stream opened at the core the gateway's: the gateway forwards no Hash.
    const atCore = await open(core, sha512, data);
    assert.equal(await reasonOf(next(gw, sha512, atCore, undefined, true)), 'InvalidCorrelationValue');
    assert.equal(await reasonOf(next(gw, sha512, atCore, undefined, true, '1.4')), 'ItemNotFound');
    // Each ends where it lives.
    const fromGateway = await next(gw, sha512, atGateway, undefined, true);
    const fromCore = await next(core, sha512, atCore, undefined, true);
    const expected = createHash('sha512').update(data).digest();
    assert.deepEqual(bytesOf(fromGateway, Tag.Data), expected);
    assert.deepEqual(bytesOf(fromCore, Tag.Data), expected);
  });
});
