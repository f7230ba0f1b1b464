/**
 * Register of every object type at the core, and Get of what was registered in the Key Format
 * Types Krypton converts to, through the real dispatcher on SQLite and PostgreSQL. Sentinel:
 * the plaintext of private keys, Secret Data, Opaque Objects and HMAC keys never reaches storage.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KeyFormatType, Tag } from '../../core/spec/index.js';
import { byteString, child, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import { testPki } from '../e2e/support.js';
import {
  Alg,
  Mask,
  activeNow,
  attributesItem,
  keyBlock,
  openAsymmetricHarness,
  privateKeyItem,
  publicKeyItem,
  registerOk,
  ObjectType,
} from './asymmetric-support.js';
import {
  aesAttributes,
  call,
  createKey,
  identity,
  postgresSkip,
  uid,
  type Adapter,
  type CoreHarness,
} from './support.js';

const alice = identity('alice', 'tenant-a');
const carol = identity('carol', 'tenant-a');
const bob = identity('bob', 'tenant-b');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ed = generateKeyPairSync('ed25519');
const pkcs8 = (k: typeof rsa.privateKey): Buffer => k.export({ format: 'der', type: 'pkcs8' });
const spki = (k: typeof rsa.publicKey): Buffer => k.export({ format: 'der', type: 'spki' });

function keyMaterialOf(payload: TtlvItem | undefined, objectTag: number): TtlvItem | undefined {
  return child(child(child(child(payload, objectTag), Tag.KeyBlock), Tag.KeyValue), Tag.KeyMaterial);
}

function formatOf(payload: TtlvItem | undefined, objectTag: number): number | undefined {
  const f = child(child(child(payload, objectTag), Tag.KeyBlock), Tag.KeyFormatType);
  return f?.type === 'Enumeration' ? f.value : undefined;
}

function bytes(item: TtlvItem | undefined): Buffer {
  assert.equal(item?.type, 'ByteString');
  return Buffer.from((item as { value: Uint8Array }).value);
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`Register and Get of every object type on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openAsymmetricHarness(adapter);
    });
    after(async () => h?.close());

    it('registers-a-pkcs1-rsa-private-key-sealed-without-a-level-and-gets-it-back-in-every-format', async () => {
      const der = rsa.privateKey.export({ format: 'der', type: 'pkcs1' });
      const id = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(der, KeyFormatType.PKCS_1, Alg.RSA, 2048),
        [{ name: 'CryptographicUsageMask', value: Mask.Sign }],
      );
      const stored = await h.services.store.get('tenant-a', id);
      assert.equal(stored.keyLevel, undefined);
      assert.equal(stored.objectType, ObjectType.PrivateKey);
      assert.equal(stored.cryptographicLength, 2048);
      assert.ok(stored.keyMaterial);
      assert.equal((await h.services.store.get('tenant-a', stored.keyMaterial.wrappingKeyId)).keyLevel, 2);
      // Default: the registered format.
      const plain = await call(h, carol, '2.1', 'Get', [uid(id)]);
      assert.equal(plain.resultStatus, 0, plain.resultMessage);
      assert.equal(formatOf(plain.payload, Tag.PrivateKey), KeyFormatType.PKCS_1);
      assert.deepEqual(bytes(keyMaterialOf(plain.payload, Tag.PrivateKey)), der);
      const as8 = await call(h, alice, '1.4', 'Get', [
        uid(id),
        enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_8),
      ]);
      assert.deepEqual(bytes(keyMaterialOf(as8.payload, Tag.PrivateKey)), pkcs8(rsa.privateKey));
      const transparent = await call(h, alice, '2.1', 'Get', [
        uid(id),
        enumeration(Tag.KeyFormatType, KeyFormatType.TransparentRSAPrivateKey),
      ]);
      const m = keyMaterialOf(transparent.payload, Tag.PrivateKey);
      const n = child(m, Tag.Modulus);
      assert.equal(n?.type, 'BigInteger');
      assert.equal(
        (n as { value: bigint }).value,
        BigInt(`0x${Buffer.from(rsa.publicKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`),
      );
      const x509 = await call(h, alice, '2.1', 'Get', [
        uid(id),
        enumeration(Tag.KeyFormatType, KeyFormatType.X_509),
      ]);
      assert.equal(x509.reasonName, 'KeyFormatTypeNotSupported');
    });

    it('registers-ec-and-ed25519-keys-in-their-formats-and-converts-them', async () => {
      const sec1 = ec.privateKey.export({ format: 'der', type: 'sec1' });
      const ecId = await registerOk(
        h,
        alice,
        '1.4',
        ObjectType.PrivateKey,
        privateKeyItem(sec1, KeyFormatType.ECPrivateKey, Alg.EC, 256),
      );
      const ecGet = await call(h, alice, '1.4', 'Get', [
        uid(ecId),
        enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_8),
      ]);
      assert.deepEqual(bytes(keyMaterialOf(ecGet.payload, Tag.PrivateKey)), pkcs8(ec.privateKey));
      const ecPub = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PublicKey,
        publicKeyItem(spki(ec.publicKey)),
      );
      const t = await call(h, alice, '2.1', 'Get', [
        uid(ecPub),
        enumeration(Tag.KeyFormatType, KeyFormatType.TransparentECPublicKey),
      ]);
      const q = child(keyMaterialOf(t.payload, Tag.PublicKey), Tag.QString);
      assert.deepEqual(bytes(q), spki(ec.publicKey).subarray(-65));
      const raw = pkcs8(ed.privateKey).subarray(-32);
      const edId = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(raw, KeyFormatType.Raw, Alg.Ed25519),
      );
      const edGet = await call(h, alice, '2.1', 'Get', [
        uid(edId),
        enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_8),
      ]);
      assert.deepEqual(bytes(keyMaterialOf(edGet.payload, Tag.PrivateKey)), pkcs8(ed.privateKey));
      assert.equal((await h.services.store.get('tenant-a', edId)).cryptographicAlgorithm, Alg.Ed25519);
    });

    it('registers-public-keys-in-pkcs1-and-x509-and-keeps-them-in-the-clear', async () => {
      const pkcs1 = rsa.publicKey.export({ format: 'der', type: 'pkcs1' });
      const id = await registerOk(
        h,
        alice,
        '1.4',
        ObjectType.PublicKey,
        publicKeyItem(pkcs1, KeyFormatType.PKCS_1, Alg.RSA, 2048),
      );
      const stored = await h.services.store.get('tenant-a', id);
      assert.deepEqual(Buffer.from(stored.publicMaterial!), spki(rsa.publicKey));
      assert.equal(stored.keyMaterial, undefined);
      const back = await call(h, alice, '1.4', 'Get', [uid(id)]);
      assert.equal(formatOf(back.payload, Tag.PublicKey), KeyFormatType.PKCS_1);
      const spkiBack = await call(h, alice, '1.4', 'Get', [
        uid(id),
        enumeration(Tag.KeyFormatType, KeyFormatType.X_509),
      ]);
      assert.deepEqual(bytes(keyMaterialOf(spkiBack.payload, Tag.PublicKey)), spki(rsa.publicKey));
    });

    it('registers-a-certificate-secret-data-and-an-opaque-object-and-returns-them', async () => {
      const { files } = await testPki();
      const pem = (await import('node:fs')).readFileSync(files.ca, 'utf8');
      const der = Buffer.from(new (await import('node:crypto')).X509Certificate(pem).raw);
      const certId = await registerOk(
        h,
        alice,
        '1.4',
        ObjectType.Certificate,
        structure(Tag.Certificate, [
          enumeration(Tag.CertificateType, 1),
          byteString(Tag.CertificateValue, der),
        ]),
      );
      const cert = await call(h, alice, '1.4', 'Get', [uid(certId)]);
      assert.deepEqual(bytes(child(child(cert.payload, Tag.Certificate), Tag.CertificateValue)), der);

      const password = Buffer.from('krypton-secret-sentinel-password');
      const secretId = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SecretData,
        structure(Tag.SecretData, [
          enumeration(Tag.SecretDataType, 1),
          keyBlock(KeyFormatType.Opaque, password),
        ]),
      );
      const secret = await call(h, alice, '2.1', 'Get', [uid(secretId)]);
      assert.deepEqual(bytes(keyMaterialOf(secret.payload, Tag.SecretData)), password);
      const st = child(child(secret.payload, Tag.SecretData), Tag.SecretDataType);
      assert.equal(st?.type === 'Enumeration' && st.value, 1);

      const blob = randomBytes(6000);
      const opaqueId = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.OpaqueObject,
        structure(Tag.OpaqueObject, [
          enumeration(Tag.OpaqueDataType, 0x80000001),
          byteString(Tag.OpaqueDataValue, blob),
        ]),
      );
      const opaque = await call(h, alice, '2.1', 'Get', [uid(opaqueId)]);
      assert.deepEqual(bytes(child(child(opaque.payload, Tag.OpaqueObject), Tag.OpaqueDataValue)), blob);
      const destroyed = await call(h, alice, '2.1', 'Destroy', [uid(opaqueId)]);
      assert.equal(destroyed.resultStatus, 0, destroyed.resultMessage);
      assert.equal((await h.services.store.get('tenant-a', opaqueId)).keyMaterial, undefined);
    });

    it('keeps-a-non-aes-symmetric-key-sealed-outside-the-hierarchy-and-aes-keys-at-l3', async () => {
      const hmacKey = randomBytes(32);
      const id = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SymmetricKey,
        structure(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, hmacKey, Alg.HMAC_SHA256, 256)]),
      );
      const stored = await h.services.store.get('tenant-a', id);
      assert.equal(stored.keyLevel, undefined);
      const back = await call(h, alice, '2.1', 'Get', [
        uid(id),
        enumeration(Tag.KeyFormatType, KeyFormatType.TransparentSymmetricKey),
      ]);
      assert.deepEqual(bytes(child(keyMaterialOf(back.payload, Tag.SymmetricKey), Tag.Key)), hmacKey);
      const aes = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SymmetricKey,
        structure(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, randomBytes(16), Alg.AES, 128)]),
      );
      assert.equal((await h.services.store.get('tenant-a', aes)).keyLevel, 3);
    });

    it('returns-a-private-key-wrapped-under-an-l3-with-key-wrap-with-padding', async () => {
      const id = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(pkcs8(ec.privateKey)),
      );
      const kek = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x10 | 0x20 | 0x04 | 0x08, activeNow()),
      );
      const r = await call(h, alice, '2.1', 'Get', [
        uid(id),
        structure(Tag.KeyWrappingSpecification, [
          enumeration(Tag.WrappingMethod, 1),
          structure(Tag.EncryptionKeyInformation, [
            textString(Tag.UniqueIdentifier, kek),
            structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, 0x0c)]),
          ]),
          enumeration(Tag.EncodingOption, 1), // No Encoding: the PKCS#8 bytes themselves
        ]),
      ]);
      assert.equal(r.resultStatus, 0, r.resultMessage);
      const wrapped = bytes(child(child(child(r.payload, Tag.PrivateKey), Tag.KeyBlock), Tag.KeyValue));
      assert.ok(!wrapped.includes(pkcs8(ec.privateKey).subarray(-32)));
      // Unwrap with the same L3 through Decrypt: the key comes back.
      const d = await call(h, alice, '2.1', 'Decrypt', [
        uid(kek),
        structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, 0x0c)]),
        byteString(Tag.Data, wrapped),
      ]);
      assert.equal(d.resultStatus, 0, d.resultMessage);
      assert.deepEqual(bytes(child(d.payload, Tag.Data)), pkcs8(ec.privateKey));
    });

    it('refuses-what-the-spec-refuses', async () => {
      const reg = async (
        v: '1.4' | '2.1',
        type: number,
        object: TtlvItem,
        attrs: Parameters<typeof registerOk>[5] = [],
      ) =>
        call(h, alice, v, 'Register', [
          enumeration(Tag.ObjectType, type),
          attributesItem(v, attrs ?? []),
          object,
        ]);
      // L4 anywhere at the core: Permission Denied; a level on an object outside the hierarchy: Invalid Field.
      assert.equal(
        (
          await reg('2.1', ObjectType.PrivateKey, privateKeyItem(pkcs8(ec.privateKey)), [
            { name: 'x-krypton-level', value: 'L4' },
          ])
        ).reasonName,
        'PermissionDenied',
      );
      assert.equal(
        (
          await reg('2.1', ObjectType.PrivateKey, privateKeyItem(pkcs8(ec.privateKey)), [
            { name: 'x-krypton-level', value: 'L3' },
          ])
        ).reasonName,
        'InvalidField',
      );
      // A format that does not fit the object; malformed material; a mismatched length or algorithm.
      assert.equal(
        (await reg('2.1', ObjectType.PrivateKey, privateKeyItem(pkcs8(ec.privateKey), KeyFormatType.X_509)))
          .reasonName,
        'KeyFormatTypeNotSupported',
      );
      assert.equal(
        (await reg('2.1', ObjectType.PrivateKey, privateKeyItem(Buffer.from('3003020100', 'hex'))))
          .reasonName,
        'InvalidField',
      );
      assert.equal(
        (
          await reg(
            '1.4',
            ObjectType.PublicKey,
            publicKeyItem(spki(rsa.publicKey), KeyFormatType.X_509, Alg.RSA, 4096),
          )
        ).reasonName,
        'InvalidField',
      );
      assert.equal(
        (
          await reg(
            '1.4',
            ObjectType.PublicKey,
            publicKeyItem(spki(ec.publicKey), KeyFormatType.X_509, Alg.RSA),
          )
        ).reasonName,
        'InvalidField',
      );
      // Certificate types other than X.509; a certificate that is not one.
      assert.equal(
        (
          await reg(
            '2.1',
            ObjectType.Certificate,
            structure(Tag.Certificate, [
              enumeration(Tag.CertificateType, 2),
              byteString(Tag.CertificateValue, Buffer.from('x')),
            ]),
          )
        ).reasonName,
        'FeatureNotSupported',
      );
      assert.equal(
        (
          await reg(
            '2.1',
            ObjectType.Certificate,
            structure(Tag.Certificate, [
              enumeration(Tag.CertificateType, 1),
              byteString(Tag.CertificateValue, Buffer.from('not a cert')),
            ]),
          )
        ).reasonName,
        'InvalidField',
      );
      // Wrapped key blocks are taken with Wrapping Method Encrypt only (MAC/sign here); Secret Data
      // without its type is Missing Data.
      const wrappedBlock = structure(Tag.PrivateKey, [
        structure(Tag.KeyBlock, [
          enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_8),
          byteString(Tag.KeyValue, randomBytes(48)),
          structure(Tag.KeyWrappingData, [enumeration(Tag.WrappingMethod, 2)]),
        ]),
      ]);
      assert.equal((await reg('2.1', ObjectType.PrivateKey, wrappedBlock)).reasonName, 'FeatureNotSupported');
      assert.equal(
        (
          await reg(
            '2.1',
            ObjectType.SecretData,
            structure(Tag.SecretData, [keyBlock(KeyFormatType.Opaque, Buffer.from('pw'))]),
          )
        ).reasonName,
        'MissingData',
      );
      assert.equal(
        (await reg('2.1', ObjectType.SplitKey, structure(Tag.SplitKey, []))).reasonName,
        'InvalidField',
      );
    });

    it('another-tenant-sees-object-not-found-and-sensitive-or-unextractable-objects-stay-inside', async () => {
      const id = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(pkcs8(ec.privateKey)),
      );
      assert.equal((await call(h, bob, '2.1', 'Get', [uid(id)])).reasonName, 'ObjectNotFound');
      const sensitive = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(pkcs8(ec.privateKey)),
        [{ name: 'Sensitive', value: true }],
      );
      assert.equal((await call(h, alice, '2.1', 'Get', [uid(sensitive)])).reasonName, 'Sensitive');
      const locked = await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.PrivateKey,
        privateKeyItem(pkcs8(ec.privateKey)),
        [{ name: 'Extractable', value: false }],
      );
      assert.equal((await call(h, alice, '2.1', 'Get', [uid(locked)])).reasonName, 'NotExtractable');
    });

    it('no-plaintext-secret-reaches-storage', async () => {
      const sentinel = Buffer.from('KRYPTON-SENTINEL-7f3a9c-secret-data-never-stored');
      const hmacKey = Buffer.from('KRYPTON-SENTINEL-hmac-key-32byte');
      const priv = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const privDer = pkcs8(priv);
      await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SecretData,
        structure(Tag.SecretData, [
          enumeration(Tag.SecretDataType, 1),
          keyBlock(KeyFormatType.Opaque, sentinel),
        ]),
      );
      await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.OpaqueObject,
        structure(Tag.OpaqueObject, [
          enumeration(Tag.OpaqueDataType, 0x80000001),
          byteString(Tag.OpaqueDataValue, sentinel),
        ]),
      );
      await registerOk(
        h,
        alice,
        '2.1',
        ObjectType.SymmetricKey,
        structure(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, hmacKey, Alg.HMAC_SHA256, 256)]),
      );
      await registerOk(h, alice, '2.1', ObjectType.PrivateKey, privateKeyItem(privDer));
      const persisted = await h.services.store.get(
        'tenant-a',
        (await h.services.store.locate('tenant-a', { objectType: ObjectType.SecretData })).ids[0]!,
      );
      assert.ok(persisted.keyMaterial);
      const all = await h.persistedBytes();
      const prime = Buffer.from(priv.export({ format: 'jwk' }).p!, 'base64url');
      for (const [name, needle] of [
        ['secret data', sentinel],
        ['hmac key', hmacKey],
        ['private key prime', prime.subarray(0, 32)],
      ] as const) {
        assert.equal(all.includes(needle), false, `${name} found in storage`);
        assert.equal(
          all.includes(Buffer.from(needle.toString('hex'))),
          false,
          `${name} (hex) found in storage`,
        );
      }
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
