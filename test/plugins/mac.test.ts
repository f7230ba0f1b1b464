/**
 * MAC and MAC Verify at the core through the real dispatcher, on SQLite and PostgreSQL: HMAC
 * with a sealed HMAC key, the OASIS CS-AC-M-4 vector (an AES key used with HMAC-SHA-256 from its
 * Cryptographic Parameters), CMAC-AES with an L3, and the spec's error cases.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { aesCmac } from '../../core/crypto/cmac.js';
import { KeyFormatType, Tag, ValidityIndicator } from '../../core/spec/index.js';
import { byteString, child, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import {
  Alg,
  Mask,
  activeNow,
  keyBlock,
  openAsymmetricHarness,
  registerOk,
  ObjectType,
} from './asymmetric-support.js';
import {
  call,
  identity,
  postgresSkip,
  uid,
  type Adapter,
  type AttrSpec,
  type CoreHarness,
} from './support.js';

const alice = identity('alice', 'tenant-a');
const bob = identity('bob', 'tenant-b');
const DATA = Buffer.from('01020304050607080910111213141516', 'hex');

function macOf(payload: TtlvItem | undefined): Buffer {
  const m = child(payload, Tag.MACData);
  assert.equal(m?.type, 'ByteString');
  return Buffer.from((m as { value: Uint8Array }).value);
}

function algParams(alg: number): TtlvItem {
  return structure(Tag.CryptographicParameters, [enumeration(Tag.CryptographicAlgorithm, alg)]);
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`MAC and MAC Verify on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openAsymmetricHarness(adapter);
    });
    after(async () => h?.close());

    const symmetric = (key: Buffer, alg: number, attrs: AttrSpec[], version: '1.4' | '2.1' = '2.1') =>
      registerOk(
        h,
        alice,
        version,
        ObjectType.SymmetricKey,
        structure(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, key, alg, key.length * 8)]),
        attrs,
      );

    async function macVerify(
      id: string,
      mac: Buffer,
      extra: TtlvItem[] = [],
      version: '1.4' | '2.1' = '2.1',
    ) {
      return call(h, alice, version, 'MACVerify', [
        uid(id),
        ...extra,
        byteString(Tag.Data, DATA),
        byteString(Tag.MACData, mac),
      ]);
    }

    it('replays-the-oasis-cs-ac-m-4-hmac-vector-with-an-aes-l3', async () => {
      for (const v of ['1.4', '2.1'] as const) {
        const id = await symmetric(
          Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
          Alg.AES,
          [
            ...activeNow(),
            {
              name: 'CryptographicUsageMask',
              value: Mask.Encrypt | Mask.Decrypt | Mask.MACGenerate | Mask.MACVerify,
            },
            { name: 'CryptographicParameters', value: { CryptographicAlgorithm: Alg.HMAC_SHA256 } },
          ],
          v,
        );
        assert.equal((await h.services.store.get('tenant-a', id)).keyLevel, 3);
        const r = await call(h, alice, v, 'MAC', [uid(id), byteString(Tag.Data, DATA)]);
        assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
        assert.equal(
          macOf(r.payload).toString('hex'),
          'c911e78196d64c30f631bb079ea37b97a95936d4da764d6a171df030c895ecf9',
        );
        const ok = await macVerify(id, macOf(r.payload), [], v);
        assert.equal(child(ok.payload, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      }
    });

    it('hmac-with-a-sealed-hmac-key-and-cmac-with-an-l3', async () => {
      const hmacKey = randomBytes(48);
      const id = await symmetric(hmacKey, Alg.HMAC_SHA256, activeNow());
      assert.equal((await h.services.store.get('tenant-a', id)).keyLevel, undefined);
      const r = await call(h, alice, '2.1', 'MAC', [uid(id), byteString(Tag.Data, DATA)]);
      assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
      assert.deepEqual(macOf(r.payload), createHmac('sha256', hmacKey).update(DATA).digest());
      const sha512 = await call(h, alice, '2.1', 'MAC', [uid(id), algParams(11), byteString(Tag.Data, DATA)]);
      assert.deepEqual(macOf(sha512.payload), createHmac('sha512', hmacKey).update(DATA).digest());
      const aesKey = randomBytes(32);
      const l3 = await symmetric(aesKey, Alg.AES, [
        ...activeNow(),
        { name: 'CryptographicUsageMask', value: Mask.MACGenerate | Mask.MACVerify },
      ]);
      const cmac = await call(h, alice, '2.1', 'MAC', [uid(l3), byteString(Tag.Data, DATA)]);
      assert.deepEqual(macOf(cmac.payload), aesCmac(aesKey, DATA));
      const valid = await macVerify(l3, aesCmac(aesKey, DATA));
      assert.equal(child(valid.payload, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      const bad = aesCmac(aesKey, DATA);
      bad[3]! ^= 1;
      const invalid = await macVerify(l3, bad);
      assert.equal(child(invalid.payload, Tag.ValidityIndicator)?.value, ValidityIndicator.Invalid);
    });

    it('refuses-per-lifecycle-usage-type-algorithm-and-tenant', async () => {
      const mac = (id: string, v: '1.4' | '2.1' = '2.1', extra: TtlvItem[] = []) =>
        call(h, alice, v, 'MAC', [uid(id), ...extra, byteString(Tag.Data, DATA)]);
      const pre = await symmetric(randomBytes(32), Alg.HMAC_SHA256, []);
      assert.equal((await mac(pre)).reasonName, 'WrongKeyLifecycleState');
      assert.equal((await mac(pre, '1.4')).reasonName, 'PermissionDenied');
      assert.equal((await macVerify(pre, Buffer.alloc(32))).reasonName, 'WrongKeyLifecycleState');
      const noUsage = await symmetric(randomBytes(32), Alg.HMAC_SHA256, [
        ...activeNow(),
        { name: 'CryptographicUsageMask', value: Mask.MACVerify },
      ]);
      assert.equal((await mac(noUsage)).reasonName, 'IncompatibleCryptographicUsageMask');
      assert.equal((await mac(noUsage, '1.4')).reasonName, 'PermissionDenied');
      const active = await symmetric(randomBytes(32), Alg.HMAC_SHA256, activeNow());
      assert.equal((await mac(active, '2.1', [algParams(Alg.RSA)])).reasonName, 'FeatureNotSupported');
      assert.equal((await call(h, alice, '2.1', 'MAC', [uid(active)])).reasonName, 'MissingData');
      assert.equal(
        (await call(h, alice, '2.1', 'MACVerify', [uid(active), byteString(Tag.Data, DATA)])).reasonName,
        'MissingData',
      );
      assert.equal(
        (await call(h, bob, '2.1', 'MAC', [uid(active), byteString(Tag.Data, DATA)])).reasonName,
        'ObjectNotFound',
      );
      const secret = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SecretData,
        structure(Tag.SecretData, [
          enumeration(Tag.SecretDataType, 1),
          keyBlock(KeyFormatType.Opaque, Buffer.from('pw')),
        ]),
        activeNow(),
      );
      assert.equal((await mac(secret)).reasonName, 'InvalidObjectType');
      assert.equal(
        (await mac(active, '2.1', [textString(Tag.CorrelationValue, 'x')])).reasonName,
        'InvalidField',
      );
      // A Deactivated key still verifies but no longer computes.
      const revoked = await symmetric(randomBytes(32), Alg.HMAC_SHA256, activeNow());
      const m = macOf((await mac(revoked)).payload);
      const rv = await call(h, alice, '2.1', 'Revoke', [
        uid(revoked),
        structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, 5)]),
      ]);
      assert.equal(rv.resultStatus, 0, rv.resultMessage);
      assert.equal((await mac(revoked)).reasonName, 'WrongKeyLifecycleState');
      assert.equal(
        child((await macVerify(revoked, m)).payload, Tag.ValidityIndicator)?.value,
        ValidityIndicator.Valid,
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
