/**
 * Hash, RNG Retrieve, RNG Seed, Interop and Log: stateless operations served by the core and the
 * gateway, through the real dispatcher (no storage touched).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Tag } from '../../core/spec/index.js';
import { byteString, child, enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import {
  CORE_PLUGINS,
  PHASE_3_4_PLUGINS,
  bytesOf,
  call,
  identity,
  openHarness,
  type CoreHarness,
} from './support.js';
import { rngRetrieve } from '../../plugins/rng-retrieve.js';
import { hash } from '../../plugins/hash.js';
import { interop } from '../../plugins/interop.js';
import { log } from '../../plugins/log.js';
import { rngSeed } from '../../plugins/rng-seed.js';
import { poll } from '../../plugins/poll.js';
import { cancel } from '../../plugins/cancel.js';

const alice = identity('alice', 'tenant-a');
const data = Buffer.from('01020304050607080910111213141516', 'hex');
const hashOf = (algorithm: number) => [
  structure(Tag.CryptographicParameters, [enumeration(Tag.HashingAlgorithm, algorithm)]),
  byteString(Tag.Data, data),
];

describe('stateless operations', () => {
  let h: CoreHarness;
  before(async () => {
    h = await openHarness('sqlite', { plugins: [...CORE_PLUGINS, ...PHASE_3_4_PLUGINS] });
  });
  after(async () => h?.close());

  it('hash-answers-the-oasis-cs-ac-m-7-digests', async () => {
    // CS-AC-M-7-14/21: SHA-256 and SHA-512 of 0102…16.
    const sha256 = await call(h, alice, '1.4', 'Hash', hashOf(6));
    assert.equal(
      Buffer.from(bytesOf(sha256.payload, Tag.Data)!).toString('hex'),
      'ad41233d22cf9322e3a7ff49a13da434797abed3bab80950a1a0d4e582b7ea72',
    );
    const sha512 = await call(h, alice, '2.1', 'Hash', hashOf(8));
    assert.equal(
      Buffer.from(bytesOf(sha512.payload, Tag.Data)!).toString('hex').slice(0, 16),
      '406a806f76c06b90',
    );
    assert.equal((await call(h, alice, '2.1', 'Hash', hashOf(14))).resultStatus, 0, 'SHA3-224');
  });

  it('hash-refuses-md5-1.2-streaming-and-missing-fields', async () => {
    assert.equal((await call(h, alice, '2.1', 'Hash', hashOf(3))).reasonName, 'FeatureNotSupported');
    // Multi-part Hash is KMIP 1.3+ (test/plugins/hash-streaming.test.ts): 1.2 has no such fields,
    // and a request carrying a tag of a later version is Invalid Field (core/messages/in-version.ts).
    const streaming = await call(h, alice, '1.2', 'Hash', [
      ...hashOf(6),
      { tag: Tag.InitIndicator, type: 'Boolean', value: true },
    ]);
    assert.equal(streaming.reasonName, 'InvalidField');
    assert.equal(
      (await call(h, alice, '2.1', 'Hash', [byteString(Tag.Data, data)])).reasonName,
      'InvalidMessage',
    );
    assert.equal(
      (await call(h, alice, '1.1', 'Hash', hashOf(6))).reasonName,
      'OperationNotSupported',
      'Hash is 1.2+',
    );
  });

  it('rng-retrieve-returns-the-length-asked-within-bounds', async () => {
    const a = await call(h, alice, '1.4', 'RNGRetrieve', [integer(Tag.DataLength, 32)]);
    const b = await call(h, alice, '2.1', 'RNGRetrieve', [integer(Tag.DataLength, 32)]);
    assert.equal(bytesOf(a.payload, Tag.Data)?.length, 32);
    assert.notDeepEqual(bytesOf(a.payload, Tag.Data), bytesOf(b.payload, Tag.Data));
    for (const n of [0, -1, 65537])
      assert.equal(
        (await call(h, alice, '2.1', 'RNGRetrieve', [integer(Tag.DataLength, n)])).reasonName,
        'InvalidField',
      );
    assert.equal((await call(h, alice, '2.1', 'RNGRetrieve', [])).reasonName, 'InvalidMessage');
  });

  it('rng-seed-is-read-and-not-used', async () => {
    const r = await call(h, alice, '2.1', 'RNGSeed', [byteString(Tag.Data, Buffer.alloc(32, 7))]);
    assert.equal(child(r.payload, Tag.DataLength)?.value, 0);
    assert.equal((await call(h, alice, '2.1', 'RNGSeed', [])).reasonName, 'InvalidMessage');
  });

  it('interop-and-log-answer-an-empty-payload-in-2x-only', async () => {
    const begin = await call(h, alice, '2.1', 'Interop', [
      enumeration(Tag.InteropFunction, 1),
      textString(Tag.InteropIdentifier, 'BL-M-1-21'),
    ]);
    assert.equal(begin.resultStatus, 0, begin.resultMessage);
    assert.deepEqual(begin.payload?.value, []);
    const bad = await call(h, alice, '2.1', 'Interop', [
      enumeration(Tag.InteropFunction, 9),
      textString(Tag.InteropIdentifier, 'x'),
    ]);
    assert.equal(bad.reasonName, 'InvalidField');
    const logged = await call(h, alice, '2.1', 'Log', [
      textString(Tag.LogMessage, 'Registered a symmetric key.'),
    ]);
    assert.deepEqual(logged.payload?.value, []);
    assert.equal((await call(h, alice, '2.1', 'Log', [])).reasonName, 'InvalidMessage');
    assert.equal(
      (await call(h, alice, '1.4', 'Log', [textString(Tag.LogMessage, 'm')])).reasonName,
      'OperationNotSupported',
    );
  });

  it('stateless-operations-are-offered-to-the-gateway-role-and-need-no-store', () => {
    for (const d of [hash, rngRetrieve, rngSeed, interop, log, poll, cancel]) {
      assert.deepEqual([...d.roles].sort(), ['core', 'gateway'], String(d.operation));
      assert.equal(d.dependencies, undefined, String(d.operation));
    }
  });
});
