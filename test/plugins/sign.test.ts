/**
 * Sign and Signature Verify at the core through the real dispatcher, on SQLite and PostgreSQL:
 * every scheme of the profiles, parameters from the request or the key's attribute, the
 * lifecycle and usage rules, 1.x and 2.x reasons.
 */
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  HashingAlgorithm,
  KeyFormatType,
  PaddingMethod,
  Tag,
  ValidityIndicator,
} from '../../core/spec/index.js';
import { boolean, byteString, child, enumeration, structure } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import {
  Mask,
  activeNow,
  openAsymmetricHarness,
  privateKeyItem,
  publicKeyItem,
  registerOk,
  ObjectType,
} from './asymmetric-support.js';
import { call, identity, postgresSkip, uid, type Adapter, type CoreHarness } from './support.js';

const alice = identity('alice', 'tenant-a');
const bob = identity('bob', 'tenant-b');
const DATA = Buffer.from('01020304050607080910111213141516', 'hex');

function params(padding?: number, hash?: number, extra: TtlvItem[] = []): TtlvItem {
  return structure(Tag.CryptographicParameters, [
    ...(padding !== undefined ? [enumeration(Tag.PaddingMethod, padding)] : []),
    ...(hash !== undefined ? [enumeration(Tag.HashingAlgorithm, hash)] : []),
    ...extra,
  ]);
}

function bytesOfItem(item: TtlvItem | undefined): Buffer {
  assert.equal(item?.type, 'ByteString');
  return Buffer.from((item as { value: Uint8Array }).value);
}

function validity(payload: TtlvItem | undefined): number | undefined {
  const v = child(payload, Tag.ValidityIndicator);
  return v?.type === 'Enumeration' ? v.value : undefined;
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`Sign and Signature Verify on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openAsymmetricHarness(adapter);
    });
    after(async () => h?.close());

    async function pair(kind: 'rsa' | 'ec' | 'ed25519', attrs = activeNow(), version: '1.4' | '2.1' = '2.1') {
      const keys =
        kind === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : kind === 'ec'
            ? generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
            : generateKeyPairSync('ed25519');
      const privateId = await registerOk(
        h,
        alice,
        version,
        ObjectType.PrivateKey,
        privateKeyItem(keys.privateKey.export({ format: 'der', type: 'pkcs8' }), KeyFormatType.PKCS_8),
        [...attrs, { name: 'CryptographicUsageMask', value: Mask.Sign }],
      );
      const publicId = await registerOk(
        h,
        alice,
        version,
        ObjectType.PublicKey,
        publicKeyItem(keys.publicKey.export({ format: 'der', type: 'spki' })),
        [...attrs, { name: 'CryptographicUsageMask', value: Mask.Verify }],
      );
      return { keys, privateId, publicId };
    }

    async function signOk(
      id: string,
      extra: TtlvItem[] = [],
      version: '1.4' | '2.1' = '2.1',
    ): Promise<Buffer> {
      const r = await call(h, alice, version, 'Sign', [uid(id), ...extra, byteString(Tag.Data, DATA)]);
      assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
      return bytesOfItem(child(r.payload, Tag.SignatureData));
    }

    async function verifyResult(id: string, signature: Buffer, extra: TtlvItem[] = [], data = DATA) {
      const r = await call(h, alice, '2.1', 'SignatureVerify', [
        uid(id),
        ...extra,
        byteString(Tag.Data, data),
        byteString(Tag.SignatureData, signature),
      ]);
      assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
      return validity(r.payload);
    }

    it('rsa-pkcs1-and-pss-signatures-verify-with-node-and-through-krypton', async () => {
      const { keys, privateId, publicId } = await pair('rsa');
      const pkcs1 = await signOk(privateId, [params(PaddingMethod.PKCS1V1_5, HashingAlgorithm.SHA_256)]);
      assert.ok(verify('sha256', DATA, keys.publicKey, pkcs1));
      assert.equal(
        await verifyResult(publicId, pkcs1, [params(PaddingMethod.PKCS1V1_5, HashingAlgorithm.SHA_256)]),
        ValidityIndicator.Valid,
      );
      const pss = await signOk(privateId, [params(PaddingMethod.PSS, HashingAlgorithm.SHA_512)], '1.4');
      assert.ok(
        verify('sha512', DATA, { key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING }, pss),
      );
      assert.equal(
        await verifyResult(publicId, pss, [params(PaddingMethod.PSS, HashingAlgorithm.SHA_512)]),
        ValidityIndicator.Valid,
      );
      // Another hash, other data, a changed signature: Invalid, not an error.
      assert.equal(
        await verifyResult(publicId, pss, [params(PaddingMethod.PSS, HashingAlgorithm.SHA_1)]),
        ValidityIndicator.Invalid,
      );
      assert.equal(
        await verifyResult(
          publicId,
          pss,
          [params(PaddingMethod.PSS, HashingAlgorithm.SHA_512)],
          Buffer.from('x'),
        ),
        ValidityIndicator.Invalid,
      );
      const changed = Buffer.from(pss);
      changed[0]! ^= 0xff;
      assert.equal(
        await verifyResult(publicId, changed, [params(PaddingMethod.PSS, HashingAlgorithm.SHA_512)]),
        ValidityIndicator.Invalid,
      );
    });

    it('takes-the-scheme-from-the-key-attribute-when-the-request-has-none', async () => {
      const attrs = [
        ...activeNow(),
        {
          name: 'CryptographicParameters',
          value: {
            PaddingMethod: PaddingMethod.PSS,
            HashingAlgorithm: HashingAlgorithm.SHA_256,
            SaltLength: 222,
          },
        },
      ];
      const { keys, privateId, publicId } = await pair('rsa', attrs);
      const sig = await signOk(privateId);
      assert.ok(
        verify(
          'sha256',
          DATA,
          { key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 222 },
          sig,
        ),
      );
      assert.equal(await verifyResult(publicId, sig), ValidityIndicator.Valid);
    });

    it('ecdsa-and-ed25519-signatures-verify', async () => {
      const ec = await pair('ec');
      const sig = await signOk(ec.privateId, [params(undefined, HashingAlgorithm.SHA_384)]);
      assert.ok(verify('sha384', DATA, { key: ec.keys.publicKey, dsaEncoding: 'der' }, sig));
      assert.equal(
        await verifyResult(ec.publicId, sig, [params(undefined, HashingAlgorithm.SHA_384)]),
        ValidityIndicator.Valid,
      );
      const ed = await pair('ed25519');
      const edSig = await signOk(ed.privateId);
      assert.ok(verify(null, DATA, ed.keys.publicKey, edSig));
      assert.equal(await verifyResult(ed.publicId, edSig), ValidityIndicator.Valid);
    });

    it('signs-digested-data-with-rsa-pkcs1', async () => {
      const { keys, privateId } = await pair('rsa');
      const r = await call(h, alice, '2.1', 'Sign', [
        uid(privateId),
        byteString(Tag.DigestedData, createHash('sha256').update(DATA).digest()),
      ]);
      assert.equal(r.resultStatus, 0, r.resultMessage);
      assert.ok(verify('sha256', DATA, keys.publicKey, bytesOfItem(child(r.payload, Tag.SignatureData))));
    });

    it('refuses-per-lifecycle-usage-type-and-tenant-with-the-versions-reasons', async () => {
      const pre = await pair('ec', []);
      const sign = (id: string, v: '1.4' | '2.1' = '2.1', extra: TtlvItem[] = []) =>
        call(h, alice, v, 'Sign', [uid(id), ...extra, byteString(Tag.Data, DATA)]);
      assert.equal((await sign(pre.privateId)).reasonName, 'WrongKeyLifecycleState');
      assert.equal((await sign(pre.privateId, '1.4')).reasonName, 'PermissionDenied');
      const stopped = await pair('ec', [
        ...activeNow(),
        { name: 'ProtectStopDate', value: new Date(Date.now() - 60_000) },
        { name: 'ProcessStartDate', value: new Date(Date.now() + 3600_000) },
      ]);
      assert.equal((await sign(stopped.privateId)).reasonName, 'WrongKeyLifecycleState');
      const v = await call(h, alice, '2.1', 'SignatureVerify', [
        uid(stopped.publicId),
        byteString(Tag.Data, DATA),
        byteString(Tag.SignatureData, Buffer.alloc(64)),
      ]);
      assert.equal(v.reasonName, 'WrongKeyLifecycleState');
      const active = await pair('ec');
      // Sign with a public key, verify with a private key: wrong object type.
      assert.equal((await sign(active.publicId)).reasonName, 'InvalidObjectType');
      assert.equal((await sign(active.publicId, '1.4')).reasonName, 'IllegalOperation');
      // No Sign usage.
      const noUsage = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' })),
        [...activeNow(), { name: 'CryptographicUsageMask', value: Mask.Verify }],
      );
      assert.equal((await sign(noUsage)).reasonName, 'IncompatibleCryptographicUsageMask');
      assert.equal((await sign(noUsage, '1.4')).reasonName, 'PermissionDenied');
      // Parameters that do not fit the key; unsupported schemes; no data; a first part.
      assert.equal(
        (await sign(active.privateId, '2.1', [params(PaddingMethod.PSS)])).reasonName,
        'InvalidField',
      );
      assert.equal((await call(h, alice, '2.1', 'Sign', [uid(active.privateId)])).reasonName, 'MissingData');
      // A first part opens a stream (test/plugins/streaming.test.ts); both indicators is one part.
      const opened = await sign(active.privateId, '2.1', [boolean(Tag.InitIndicator, true)]);
      assert.equal(child(opened.payload, Tag.CorrelationValue)?.type, 'ByteString');
      assert.equal(child(opened.payload, Tag.SignatureData), undefined);
      const single = await sign(active.privateId, '2.1', [
        boolean(Tag.InitIndicator, true),
        boolean(Tag.FinalIndicator, true),
      ]);
      assert.equal(single.resultStatus, 0, single.resultMessage);
      assert.equal(
        (await call(h, bob, '2.1', 'Sign', [uid(active.privateId), byteString(Tag.Data, DATA)])).reasonName,
        'ObjectNotFound',
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
