/**
 * Multi-part operations (Init Indicator, Correlation Value, Final Indicator) over real TLS against
 * the standalone profile: streams on L3 keys are the core's, on L4 keys the gateway role's vault.
 * Round trips per operation and algorithm against node:crypto and single-part answers; the bounds
 * (per identity, overall, bytes, buffered bytes, idle time); another identity's Correlation Value;
 * Revoke and Destroy ending a stream; Usage Limits of Sign, MAC and Encrypt consumed per part.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KmipClient } from '../../core/client/client.js';
import { symmetricKeyObject } from '../../core/client/requests.js';
import { aesCmac } from '../../core/crypto/cmac.js';
import { BlockCipherMode, Operation, PaddingMethod, Tag, ValidityIndicator } from '../../core/spec/index.js';
import type { KmipVersion } from '../../core/spec/index.js';
import {
  boolean,
  byteString,
  child,
  enumeration,
  integer,
  structure,
  textString,
} from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { startTwoIdentities, type TwoIdentities } from '../e2e/support.js';
import { bytesOf, reasonOf, registerAes, split } from '../support/kmip-results.js';

const LIMITS = {
  maxStreams: 6,
  maxStreamsPerIdentity: 4,
  maxStreamBytes: 4096,
  maxStreamBufferedBytes: 1024,
  streamIdleTimeoutMs: 3000,
};

let running: TwoIdentities | undefined;
let alice: KmipClient;
let mallory: KmipClient;
before(async () => ({ alice, mallory } = running = await startTwoIdentities({ limits: LIMITS })));
after(async () => running?.close());

const ACTIVE = () => ({ ActivationDate: new Date(Date.now() - 1000) });

function aesKey(level: 'L3' | 'L4', key: Buffer, usage: string[], extra: Record<string, unknown> = {}) {
  return registerAes(alice, level, key, usage, extra);
}

interface Streamed {
  readonly answers: (StructureItem | undefined)[];
  /** The Data of every answer, joined. */
  readonly data: Buffer;
}

/**
 * Runs a stream: the first part with `first` and chunk 0, the middle parts with their chunk and
 * only the Correlation Value (no Unique Identifier), the last with `last` and Final Indicator.
 */
async function stream(
  c: KmipClient,
  operation: number,
  id: string,
  chunks: readonly Buffer[],
  first: TtlvItem[] = [],
  last: TtlvItem[] = [],
  version: KmipVersion = '2.1',
): Promise<Streamed> {
  const answers: (StructureItem | undefined)[] = [];
  const opened = await c.call(
    operation,
    [
      textString(Tag.UniqueIdentifier, id),
      ...first,
      byteString(Tag.Data, chunks[0]!),
      boolean(Tag.InitIndicator, true),
    ],
    { version },
  );
  answers.push(opened);
  const correlation = bytesOf(opened, Tag.CorrelationValue);
  assert.ok(correlation, 'the first answer carries a Correlation Value');
  for (let i = 1; i < chunks.length; i++) {
    const final = i === chunks.length - 1;
    answers.push(
      await c.call(
        operation,
        [
          byteString(Tag.Data, chunks[i]!),
          byteString(Tag.CorrelationValue, correlation),
          ...(final ? [...last, boolean(Tag.FinalIndicator, true)] : []),
        ],
        { version },
      ),
    );
  }
  return { answers, data: Buffer.concat(answers.map((a) => bytesOf(a, Tag.Data) ?? Buffer.alloc(0))) };
}

function params(items: TtlvItem[]): TtlvItem {
  return structure(Tag.CryptographicParameters, items);
}

const GCM = params([enumeration(Tag.BlockCipherMode, BlockCipherMode.GCM)]);
const CBC = params([
  enumeration(Tag.BlockCipherMode, BlockCipherMode.CBC),
  enumeration(Tag.PaddingMethod, PaddingMethod.PKCS5),
]);
const ECB = params([
  enumeration(Tag.BlockCipherMode, BlockCipherMode.ECB),
  enumeration(Tag.PaddingMethod, PaddingMethod.None),
]);

describe('multi-part Encrypt and Decrypt', () => {
  for (const level of ['L3', 'L4'] as const) {
    it(`gcm-cbc-ecb-streams-match-one-shot-ciphers-with-an-${level}`, async () => {
      const key = randomBytes(32);
      const id = await aesKey(level, key, ['Encrypt', 'Decrypt']);
      const plain = randomBytes(100);
      const aad = randomBytes(20);

      // GCM: the server draws the IV (first answer), the tag comes with the last one.
      const gcm = await stream(alice, Operation.Encrypt, id, split(plain, [33, 0, 40]), [
        GCM,
        byteString(Tag.AuthenticatedEncryptionAdditionalData, aad),
      ]);
      const iv = bytesOf(gcm.answers[0], Tag.IVCounterNonce)!;
      assert.equal(iv.length, 12);
      const tag = bytesOf(gcm.answers.at(-1), Tag.AuthenticatedEncryptionTag)!;
      const ref = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      const expected = Buffer.concat([ref.update(plain), ref.final()]);
      assert.deepEqual(gcm.data, expected);
      assert.deepEqual(tag, ref.getAuthTag());
      assert.equal(
        child(gcm.answers.at(-1), Tag.CorrelationValue),
        undefined,
        'no Correlation Value at the end',
      );

      // GCM Decrypt: tag on the first part (KMIP 2.1 §6.1.11) or on the last; plaintext only at the end.
      const first = [
        GCM,
        byteString(Tag.IVCounterNonce, iv),
        byteString(Tag.AuthenticatedEncryptionAdditionalData, aad),
      ];
      const back = await stream(alice, Operation.Decrypt, id, split(expected, [50, 10]), [
        ...first,
        byteString(Tag.AuthenticatedEncryptionTag, tag),
      ]);
      assert.deepEqual(back.data, plain);
      assert.equal(bytesOf(back.answers[0], Tag.Data), undefined, 'no plaintext before the tag is checked');
      const tagLast = await stream(alice, Operation.Decrypt, id, split(expected, [7]), first, [
        byteString(Tag.AuthenticatedEncryptionTag, tag),
      ]);
      assert.deepEqual(tagLast.data, plain);
      const forged = Buffer.from(tag);
      forged[0]! ^= 1;
      assert.equal(
        await reasonOf(
          stream(alice, Operation.Decrypt, id, split(expected, [60]), first, [
            byteString(Tag.AuthenticatedEncryptionTag, forged),
          ]),
        ),
        'CryptographicFailure',
      );

      // CBC with PKCS#5 padding, parts that are not block multiples, the IV given.
      const cbcIv = randomBytes(16);
      const cbc = await stream(alice, Operation.Encrypt, id, split(plain, [5, 17, 16]), [
        CBC,
        byteString(Tag.IVCounterNonce, cbcIv),
      ]);
      const c2 = createCipheriv('aes-256-cbc', key, cbcIv);
      assert.deepEqual(cbc.data, Buffer.concat([c2.update(plain), c2.final()]));
      const cbcBack = await stream(alice, Operation.Decrypt, id, split(cbc.data, [3, 29, 64]), [
        CBC,
        byteString(Tag.IVCounterNonce, cbcIv),
      ]);
      assert.deepEqual(cbcBack.data, plain);

      // ECB without padding: block multiples only; a ragged end is a Cryptographic Failure.
      const blocks = randomBytes(64);
      const ecb = await stream(alice, Operation.Encrypt, id, split(blocks, [16, 20]), [ECB]);
      const c3 = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      assert.deepEqual(ecb.data, Buffer.concat([c3.update(blocks), c3.final()]));
      assert.equal(
        await reasonOf(stream(alice, Operation.Encrypt, id, split(randomBytes(20), [16]), [ECB])),
        'CryptographicFailure',
      );
    });
  }

  it('replays-the-oasis-cs-bc-m-gcm-3-two-part-vector', async () => {
    const key = Buffer.from('feffe9928665731c6d6a8f9467308308', 'hex');
    for (const level of ['L3', 'L4'] as const) {
      for (const version of ['1.4', '2.1'] as const) {
        const id = await aesKey(level, key, ['Encrypt', 'Decrypt']);
        const out = await stream(
          alice,
          Operation.Encrypt,
          id,
          [
            Buffer.from('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72', 'hex'),
            Buffer.from('1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39', 'hex'),
          ],
          [
            params([enumeration(Tag.BlockCipherMode, BlockCipherMode.GCM), integer(Tag.TagLength, 16)]),
            byteString(Tag.IVCounterNonce, Buffer.from('cafebabefacedbad', 'hex')),
            byteString(
              Tag.AuthenticatedEncryptionAdditionalData,
              Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex'),
            ),
          ],
          [],
          version,
        );
        assert.equal(
          out.data.toString('hex'),
          '61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423' +
            '73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598',
        );
        assert.equal(
          bytesOf(out.answers[1], Tag.AuthenticatedEncryptionTag)?.toString('hex'),
          '3612d2e79e3b0785561be14aaca2fccb',
        );
      }
    }
  });

  it('key-wrap-modes-and-rsa-are-single-part-and-both-indicators-are-one-part', async () => {
    const id = await aesKey('L3', randomBytes(32), ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey']);
    const kw = params([enumeration(Tag.BlockCipherMode, BlockCipherMode.AESKeyWrapPadding)]);
    assert.equal(
      await reasonOf(stream(alice, Operation.Encrypt, id, [randomBytes(16), randomBytes(16)], [kw])),
      'FeatureNotSupported',
    );
    const one = await alice.call(Operation.Encrypt, [
      textString(Tag.UniqueIdentifier, id),
      kw,
      byteString(Tag.Data, randomBytes(32)),
      boolean(Tag.InitIndicator, true),
      boolean(Tag.FinalIndicator, true),
    ]);
    assert.equal(bytesOf(one, Tag.Data)?.length, 40);
    assert.equal(child(one, Tag.CorrelationValue), undefined);
    // A Final Indicator without a Correlation Value names no stream.
    assert.equal(
      await reasonOf(
        alice.call(Operation.Encrypt, [
          textString(Tag.UniqueIdentifier, id),
          byteString(Tag.Data, randomBytes(16)),
          boolean(Tag.FinalIndicator, true),
        ]),
      ),
      'InvalidField',
    );
  });
});

async function keyPair(common: Record<string, unknown>): Promise<{ priv: string; pub: string }> {
  const pair = await alice.createKeyPair({
    commonAttributes: { ...common, ...ACTIVE() },
    privateKeyAttributes: { CryptographicUsageMask: ['Sign'] },
    publicKeyAttributes: { CryptographicUsageMask: ['Verify'] },
  });
  return { priv: pair.privateKeyUniqueIdentifier, pub: pair.publicKeyUniqueIdentifier };
}

describe('multi-part Sign and Signature Verify', () => {
  const message = randomBytes(300);
  const chunks = split(message, [1, 150, 0]);
  const cases: [string, Record<string, unknown>, TtlvItem[]][] = [
    ['rsa-pkcs1', { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048 }, []],
    [
      'rsa-pss',
      { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048 },
      [params([enumeration(Tag.PaddingMethod, PaddingMethod.PSS)])],
    ],
    ['ecdsa-p256', { CryptographicAlgorithm: 'EC', CryptographicLength: 256 }, []],
    ['ed25519', { CryptographicAlgorithm: 'Ed25519' }, []],
  ];
  for (const [name, common, extra] of cases) {
    it(`${name}-stream-signatures-verify-single-part-and-multi-part`, async () => {
      const { priv, pub } = await keyPair(common);
      const signed = await stream(alice, Operation.Sign, priv, chunks, extra);
      assert.equal(child(signed.answers[0], Tag.SignatureData), undefined, 'no signature before the end');
      const signature = bytesOf(signed.answers.at(-1), Tag.SignatureData)!;
      if (name === 'rsa-pkcs1' || name === 'ed25519') {
        // Deterministic schemes: the same signature as one part.
        const one = await alice.call(Operation.Sign, [
          textString(Tag.UniqueIdentifier, priv),
          ...extra,
          byteString(Tag.Data, message),
        ]);
        assert.deepEqual(bytesOf(one, Tag.SignatureData), signature);
      }
      const single = await alice.call(Operation.SignatureVerify, [
        textString(Tag.UniqueIdentifier, pub),
        ...extra,
        byteString(Tag.Data, message),
        byteString(Tag.SignatureData, signature),
      ]);
      assert.equal(child(single, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      // Multi-part verify: the signature on the last part, then on the first; a changed message is Invalid.
      const verified = await stream(alice, Operation.SignatureVerify, pub, chunks, extra, [
        byteString(Tag.SignatureData, signature),
      ]);
      assert.equal(child(verified.answers[0], Tag.ValidityIndicator), undefined, 'no verdict before the end');
      assert.equal(child(verified.answers.at(-1), Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      const tampered = chunks.map((c) => Buffer.from(c));
      tampered[1]![0]! ^= 1;
      const bad = await stream(alice, Operation.SignatureVerify, pub, tampered, [
        ...extra,
        byteString(Tag.SignatureData, signature),
      ]);
      assert.equal(child(bad.answers.at(-1), Tag.ValidityIndicator)?.value, ValidityIndicator.Invalid);
    });
  }

  it('ed25519-buffers-at-most-the-buffer-bound-and-digested-data-is-single-part', async () => {
    const { priv } = await keyPair({ CryptographicAlgorithm: 'Ed25519' });
    const over = split(randomBytes(LIMITS.maxStreamBufferedBytes + 1), [600]);
    assert.equal(await reasonOf(stream(alice, Operation.Sign, priv, over)), 'PermissionDenied');
    const rsa = await keyPair({ CryptographicAlgorithm: 'RSA', CryptographicLength: 2048 });
    assert.equal(
      await reasonOf(
        alice.call(Operation.Sign, [
          textString(Tag.UniqueIdentifier, rsa.priv),
          byteString(Tag.DigestedData, randomBytes(32)),
          boolean(Tag.InitIndicator, true),
        ]),
      ),
      'FeatureNotSupported',
    );
  });
});

describe('multi-part MAC and MAC Verify', () => {
  const data = randomBytes(97);
  const shapes = [[0], [1, 15], [16, 16], [17, 33, 16], [97]];
  it('hmac-and-cmac-streams-match-one-shot-macs-with-l3-l4-and-sealed-keys', async () => {
    const hmacKey = randomBytes(32);
    const { uniqueIdentifier: hmacId } = await alice.register({
      objectType: 'SymmetricKey',
      attributes: { CryptographicUsageMask: ['MACGenerate', 'MACVerify'], ...ACTIVE() },
      object: symmetricKeyObject(hmacKey, 'HMAC_SHA256'),
    });
    const aes = randomBytes(32);
    const l3 = await aesKey('L3', aes, ['MACGenerate', 'MACVerify']);
    const l4 = await aesKey('L4', aes, ['MACGenerate', 'MACVerify']);
    for (const [id, expected] of [
      [hmacId, createHmac('sha256', hmacKey).update(data).digest()],
      [l3, aesCmac(aes, data)],
      [l4, aesCmac(aes, data)],
    ] as const) {
      for (const shape of shapes) {
        const macd = await stream(alice, Operation.MAC, id, split(data, shape));
        assert.deepEqual(bytesOf(macd.answers.at(-1), Tag.MACData), expected, `${id} ${shape.join(',')}`);
        assert.equal(child(macd.answers[0], Tag.MACData), undefined);
      }
      const ok = await stream(alice, Operation.MACVerify, id, split(data, [40]), [
        byteString(Tag.MACData, expected),
      ]);
      assert.equal(child(ok.answers.at(-1), Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      assert.equal(child(ok.answers[0], Tag.ValidityIndicator), undefined);
      const wrong = Buffer.from(expected);
      wrong[5]! ^= 1;
      const no = await stream(
        alice,
        Operation.MACVerify,
        id,
        split(data, [40]),
        [],
        [byteString(Tag.MACData, wrong)],
      );
      assert.equal(child(no.answers.at(-1), Tag.ValidityIndicator)?.value, ValidityIndicator.Invalid);
    }
  });
});

/** Opens a GCM Encrypt stream on `id`; returns its Correlation Value. */
async function open(c: KmipClient, id: string, version: KmipVersion = '2.1'): Promise<Buffer> {
  const answer = await c.call(
    Operation.Encrypt,
    [
      textString(Tag.UniqueIdentifier, id),
      GCM,
      byteString(Tag.Data, randomBytes(8)),
      boolean(Tag.InitIndicator, true),
    ],
    { version },
  );
  return bytesOf(answer, Tag.CorrelationValue)!;
}

function next(
  c: KmipClient,
  correlation: Uint8Array,
  final = false,
  version: KmipVersion = '2.1',
  extra: TtlvItem[] = [],
) {
  return c.call(
    Operation.Encrypt,
    [
      ...extra,
      byteString(Tag.Data, randomBytes(8)),
      byteString(Tag.CorrelationValue, correlation),
      ...(final ? [boolean(Tag.FinalIndicator, true)] : []),
    ],
    { version },
  );
}

describe('stream bounds and ownership', () => {
  it('another-identitys-correlation-value-is-answered-as-an-unknown-one', async () => {
    for (const level of ['L3', 'L4'] as const) {
      const id = await aesKey(level, randomBytes(32), ['Encrypt', 'Decrypt']);
      const mine = await open(alice, id);
      const foreign = await reasonOf(next(mallory, mine));
      const unknown = await reasonOf(next(mallory, randomBytes(16)));
      assert.equal(foreign, 'InvalidCorrelationValue');
      assert.equal(foreign, unknown);
      assert.equal(await reasonOf(next(mallory, mine, false, '1.4')), 'ItemNotFound');
      // Another key or operation with the right value is as unknown; the owner's stream goes on.
      const otherKey = await aesKey(level, randomBytes(32), ['Encrypt', 'Decrypt']);
      assert.equal(
        await reasonOf(next(alice, mine, false, '2.1', [textString(Tag.UniqueIdentifier, otherKey)])),
        'InvalidCorrelationValue',
      );
      assert.equal(
        await reasonOf(
          alice.call(Operation.MAC, [
            byteString(Tag.CorrelationValue, mine),
            boolean(Tag.FinalIndicator, true),
          ]),
        ),
        'InvalidCorrelationValue',
      );
      const done = await next(alice, mine, true);
      assert.equal(bytesOf(done, Tag.AuthenticatedEncryptionTag)?.length, 16);
      // Finished: the value is gone.
      assert.equal(await reasonOf(next(alice, mine, true)), 'InvalidCorrelationValue');
    }
  });

  it('caps-open-streams-per-identity-and-overall-and-bytes-per-stream', async () => {
    const id = await aesKey('L3', randomBytes(32), ['Encrypt', 'Decrypt']);
    const mine: Buffer[] = [];
    for (let i = 0; i < LIMITS.maxStreamsPerIdentity; i++) mine.push(await open(alice, id));
    assert.equal(await reasonOf(open(alice, id)), 'PermissionDenied', 'per identity');
    // Another identity may open until the overall cap.
    const theirKey = await aesKey('L3', randomBytes(32), ['Encrypt', 'Decrypt']);
    const theirs: Buffer[] = [];
    for (let i = 0; i < LIMITS.maxStreams - LIMITS.maxStreamsPerIdentity; i++)
      theirs.push(await open(mallory, theirKey));
    assert.equal(await reasonOf(open(mallory, theirKey)), 'PermissionDenied', 'overall');
    for (const c of mine) await next(alice, c, true);
    for (const c of theirs) await next(mallory, c, true);
    // Bytes: over maxStreamBytes the stream ends.
    const big = await open(alice, id);
    const over = alice.call(Operation.Encrypt, [
      byteString(Tag.Data, randomBytes(LIMITS.maxStreamBytes)),
      byteString(Tag.CorrelationValue, big),
    ]);
    assert.equal(await reasonOf(over), 'PermissionDenied');
    assert.equal(await reasonOf(next(alice, big, true)), 'InvalidCorrelationValue');
  });

  it('an-idle-stream-ends-after-the-idle-timeout', async () => {
    const id = await aesKey('L4', randomBytes(32), ['Encrypt', 'Decrypt']);
    const c = await open(alice, id);
    await next(alice, c);
    await new Promise((r) => setTimeout(r, LIMITS.streamIdleTimeoutMs + 300));
    assert.equal(await reasonOf(next(alice, c, true)), 'InvalidCorrelationValue');
    // The slot is free again.
    const again = await open(alice, id);
    await next(alice, again, true);
  });

  it('revoke-and-destroy-end-the-streams-of-the-key', async () => {
    for (const level of ['L3', 'L4'] as const) {
      const id = await aesKey(level, randomBytes(32), ['Encrypt', 'Decrypt']);
      const c = await open(alice, id);
      await alice.revoke({ uniqueIdentifier: id });
      assert.equal(await reasonOf(next(alice, c, true)), 'InvalidCorrelationValue', level);
      // Date-Times are whole seconds: a Deactivation Date on the next second but one.
      const at = Math.ceil((Date.now() + 1000) / 1000) * 1000;
      const id2 = await aesKey(level, randomBytes(32), ['Encrypt', 'Decrypt'], {
        DeactivationDate: new Date(at),
      });
      const c2 = await open(alice, id2);
      await new Promise((r) => setTimeout(r, at - Date.now() + 200));
      // Deactivated by its date: the next part checks the key again and the stream ends.
      assert.equal(await reasonOf(next(alice, c2)), 'WrongKeyLifecycleState', level);
      assert.equal(await reasonOf(next(alice, c2, true)), 'InvalidCorrelationValue', level);
      const id3 = await aesKey(level, randomBytes(32), ['Encrypt', 'Decrypt']);
      const c3 = await open(alice, id3);
      await alice.revoke({ uniqueIdentifier: id3 });
      await alice.destroy(id3);
      assert.equal(await reasonOf(next(alice, c3, true)), 'InvalidCorrelationValue', level);
    }
  });
});

async function usageCount(id: string): Promise<bigint | undefined> {
  const { attributes } = await alice.getAttributes({ uniqueIdentifier: id, names: ['UsageLimits'] });
  const value = attributes.find((a) => a.name === 'UsageLimits')?.value as
    Record<string, unknown> | undefined;
  return value?.UsageLimitsCount as bigint | undefined;
}

const OBJECTS = (total: bigint) => ({ UsageLimits: { UsageLimitsTotal: total, UsageLimitsUnit: 'Object' } });
const BYTES = (total: bigint) => ({ UsageLimits: { UsageLimitsTotal: total, UsageLimitsUnit: 'Byte' } });

describe('Usage Limits of the operations that protect (KMIP 2.1 §4.59)', () => {
  it('sign-consumes-one-per-signature-a-stream-once-verify-nothing', async () => {
    const pair = await alice.createKeyPair({
      commonAttributes: { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048, ...ACTIVE() },
      privateKeyAttributes: { CryptographicUsageMask: ['Sign'], ...OBJECTS(2n) },
      publicKeyAttributes: { CryptographicUsageMask: ['Verify'] },
    });
    const priv = pair.privateKeyUniqueIdentifier;
    const sign = (data: Buffer) =>
      alice.call(Operation.Sign, [textString(Tag.UniqueIdentifier, priv), byteString(Tag.Data, data)]);
    const signature = bytesOf(await sign(Buffer.from('one')), Tag.SignatureData)!;
    assert.equal(await usageCount(priv), 1n);
    const streamed = await stream(alice, Operation.Sign, priv, [
      randomBytes(10),
      randomBytes(10),
      randomBytes(10),
    ]);
    assert.ok(bytesOf(streamed.answers.at(-1), Tag.SignatureData));
    assert.equal(await usageCount(priv), 0n, 'a stream is one signature');
    assert.equal(await reasonOf(sign(Buffer.from('three'))), 'PermissionDenied');
    assert.equal(await reasonOf(stream(alice, Operation.Sign, priv, [randomBytes(4)])), 'PermissionDenied');
    const verified = await alice.call(Operation.SignatureVerify, [
      textString(Tag.UniqueIdentifier, pair.publicKeyUniqueIdentifier),
      byteString(Tag.Data, Buffer.from('one')),
      byteString(Tag.SignatureData, signature),
    ]);
    assert.equal(child(verified, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
    assert.equal(
      (await alice.getAttributes({ uniqueIdentifier: priv, names: ['State'] })).attributes[0]?.value,
      2,
      'still Active',
    );
  });

  it('mac-and-encrypt-consume-bytes-part-by-part-mac-verify-and-decrypt-nothing', async () => {
    const hmacKey = randomBytes(32);
    const { uniqueIdentifier: mac } = await alice.register({
      objectType: 'SymmetricKey',
      attributes: { CryptographicUsageMask: ['MACGenerate', 'MACVerify'], ...ACTIVE(), ...BYTES(40n) },
      object: symmetricKeyObject(hmacKey, 'HMAC_SHA256'),
    });
    const data = randomBytes(32);
    const one = await alice.call(Operation.MAC, [
      textString(Tag.UniqueIdentifier, mac),
      byteString(Tag.Data, data),
    ]);
    assert.equal(await usageCount(mac), 8n);
    assert.equal(
      await reasonOf(
        alice.call(Operation.MAC, [
          textString(Tag.UniqueIdentifier, mac),
          byteString(Tag.Data, randomBytes(16)),
        ]),
      ),
      'PermissionDenied',
    );
    assert.equal(
      await reasonOf(stream(alice, Operation.MAC, mac, [randomBytes(4), randomBytes(5)])),
      'PermissionDenied',
    );
    assert.equal(await usageCount(mac), 4n, 'the part that fitted was consumed, the next one refused');
    const ok = await alice.call(Operation.MACVerify, [
      textString(Tag.UniqueIdentifier, mac),
      byteString(Tag.Data, data),
      byteString(Tag.MACData, bytesOf(one, Tag.MACData)!),
    ]);
    assert.equal(child(ok, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);

    for (const level of ['L3', 'L4'] as const) {
      const key = randomBytes(32);
      const id = await aesKey(level, key, ['Encrypt', 'Decrypt'], BYTES(48n));
      const iv = randomBytes(12);
      const first = [GCM, byteString(Tag.IVCounterNonce, iv)];
      const enc = await stream(
        alice,
        Operation.Encrypt,
        id,
        [randomBytes(16), randomBytes(16), randomBytes(16)],
        first,
      );
      assert.equal(await usageCount(id), 0n, level);
      assert.equal(
        await reasonOf(stream(alice, Operation.Encrypt, id, [randomBytes(1)], first)),
        'PermissionDenied',
        level,
      );
      const back = await stream(alice, Operation.Decrypt, id, split(enc.data, [20]), [
        ...first,
        byteString(
          Tag.AuthenticatedEncryptionTag,
          bytesOf(enc.answers.at(-1), Tag.AuthenticatedEncryptionTag)!,
        ),
      ]);
      assert.equal(back.data.length, 48, `${level} decrypts after exhaustion`);
    }
  });
});
