/**
 * Register of key material wrapped under a key the server holds (Key Wrapping Data, KMIP 2.1
 * §3.3, §6.1.43; 1.4 §2.1.5, §4.3), over real mutual TLS: at a core (SQLite and PostgreSQL), at a
 * gateway in front of a core (two processes; L3s cached), and at a standalone server (L3s
 * `core-only`). Round trips: what Get with a Key Wrapping Specification returns registers back as
 * the same key material; the spec's refusals with their reasons in 1.4 and 2.1; the plaintext
 * never reaches storage.
 */
import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAttributes, type KmipAttribute } from '../../core/attributes/index.js';
import { KmipClient, KmipResultError } from '../../core/client/client.js';
import { secretDataObject, symmetricKeyObject } from '../../core/client/requests.js';
import type { RunningServer } from '../../core/server/server.js';
import {
  BlockCipherMode,
  EncodingOption,
  HashingAlgorithm,
  KeyFormatType,
  LinkType,
  PaddingMethod,
  Tag,
  WrappingMethod,
  type KmipVersion,
} from '../../core/spec/index.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import { byteString, child, enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { clientFor, startTestServer } from '../e2e/support.js';
import { startSplit, type Split } from '../gateway/split-support.js';
import {
  postgresSkip,
  startCore,
  tenantPki,
  type Adapter,
  type CoreServer,
  type Who,
} from '../hardening/tenants.js';

const AES = 3;
const past = (): Date => new Date(Date.now() - 60_000);
const KEK_USAGE = ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'];
const L3_KEK = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: KEK_USAGE,
  'x-krypton-level': 'L3',
};
const BLOCK = Buffer.from('sixteen byte blk');
const ECB = { BlockCipherMode: 'ECB', PaddingMethod: 'None' };

function params(mode: number): TtlvItem {
  return structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, mode)]);
}

function oaep(hash: number): TtlvItem {
  return structure(Tag.CryptographicParameters, [
    enumeration(Tag.PaddingMethod, PaddingMethod.OAEP),
    enumeration(Tag.HashingAlgorithm, hash),
  ]);
}

function wrappingSpec(keyId: string, parameters?: TtlvItem, encoding?: number): StructureItem {
  return structure(Tag.KeyWrappingSpecification, [
    enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
    structure(Tag.EncryptionKeyInformation, [
      textString(Tag.UniqueIdentifier, keyId),
      ...(parameters ? [parameters] : []),
    ]),
    ...(encoding !== undefined ? [enumeration(Tag.EncodingOption, encoding)] : []),
  ]);
}

/** A Key Block wrapped by the test itself (the spec's form: the Key Value is the wrapped bytes). */
function wrappedBlock(
  objectTag: number,
  format: number,
  wrapped: Uint8Array,
  data: TtlvItem[],
  algorithm?: { alg: number; length: number },
): StructureItem {
  return structure(objectTag, [
    structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, format),
      byteString(Tag.KeyValue, wrapped),
      ...(algorithm
        ? [
            enumeration(Tag.CryptographicAlgorithm, algorithm.alg),
            integer(Tag.CryptographicLength, algorithm.length),
          ]
        : []),
      structure(Tag.KeyWrappingData, data),
    ]),
  ]);
}

function keyData(
  keyId: string,
  parameters?: TtlvItem,
  encoding: number = EncodingOption.NoEncoding,
): TtlvItem[] {
  return [
    enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
    structure(Tag.EncryptionKeyInformation, [
      textString(Tag.UniqueIdentifier, keyId),
      ...(parameters ? [parameters] : []),
    ]),
    enumeration(Tag.EncodingOption, encoding),
  ];
}

function aesKeyWrap(kek: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  return Buffer.concat([c.update(plain), c.final()]);
}

async function reasonOf(
  p: Promise<unknown>,
): Promise<{ reason: string | undefined; message: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KmipResultError) return { reason: err.resultReasonName, message: err.resultMessage };
    throw err;
  }
  assert.fail('expected the request to fail');
}

async function kek(c: KmipClient, usage = KEK_USAGE, active = true): Promise<string> {
  return (
    await c.create({
      attributes: {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        CryptographicUsageMask: usage,
        ...(active && { ActivationDate: past() }),
      },
    })
  ).uniqueIdentifier;
}

async function ecb(c: KmipClient, id: string): Promise<Buffer> {
  const out = await c.encrypt({ uniqueIdentifier: id, cryptographicParameters: ECB, data: BLOCK });
  return Buffer.from(out.data!);
}

function registerAs(
  c: KmipClient,
  objectType: string,
  object: StructureItem,
  attributes: Record<string, unknown> = {},
  version?: KmipVersion,
): Promise<string> {
  return c
    .register(
      {
        objectType,
        attributes: { ActivationDate: past(), ...attributes } as never,
        object,
      },
      version !== undefined ? { version } : {},
    )
    .then((r) => r.uniqueIdentifier);
}

function filesUnder(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) parts.push(filesUnder(p));
    else parts.push(readFileSync(p));
  }
  return Buffer.concat(parts);
}

/**
 * At a gateway or a standalone server (where a new key is an L4 by default): Get of a local L4 and
 * of the core's Secret Data wrapped under, and Register of a DEK wrapped under, a destroyed or
 * archived wrapping key — an L4 of the vault or an L3 of the core — answer as the core does
 * (Wrapping Object Destroyed / Archived; 1.4 §11.12: Permission Denied). Recover restores the key.
 */
async function refusesWrappingKeysDestroyedOrArchived(c: KmipClient, version: KmipVersion): Promise<void> {
  c.version = version;
  const v2 = version === '2.1';
  const destroyed = v2 ? 'WrappingObjectDestroyed' : 'PermissionDenied';
  const archived = v2 ? 'WrappingObjectArchived' : 'PermissionDenied';
  const create = async (attributes: Record<string, unknown>) =>
    (await c.create({ attributes: { ActivationDate: past(), ...attributes } as never })).uniqueIdentifier;
  const dek = { CryptographicAlgorithm: 'AES', CryptographicLength: 256 };
  const a = await create({ ...dek, CryptographicUsageMask: ['Encrypt', 'Decrypt'] });
  const secret = await registerAs(c, 'SecretData', secretDataObject(Buffer.from('core secret')));
  const l4 = () => create({ ...dek, CryptographicUsageMask: KEK_USAGE });
  const l3 = () => create(L3_KEK);
  const keys = { local: [await l4(), await l4()], core: [await l3(), await l3()] };
  const getUnder = (id: string, keyId: string) =>
    c.get({ uniqueIdentifier: id, keyWrappingSpecification: wrappingSpec(keyId) });
  const wrapped = async (p: ReturnType<typeof getUnder>) =>
    assert.ok(child(child((await p).object, Tag.KeyBlock), Tag.KeyWrappingData));
  // The core holds no L4 to wrap its Secret Data under: only its own keys do.
  const wrapsFor = (kind: 'local' | 'core') => (kind === 'local' ? [a] : [a, secret]);
  for (const kind of ['local', 'core'] as const) {
    const [gone, shelved] = keys[kind] as [string, string];
    for (const id of wrapsFor(kind)) for (const k of [gone, shelved]) await wrapped(getUnder(id, k));
    // The DEK as a Get under each key answers it, to register back once the key is gone.
    const [underGone, underShelved] = await Promise.all([getUnder(a, gone), getUnder(a, shelved)]);
    const registerBack = (got: typeof underGone) => registerAs(c, 'SymmetricKey', got.object!);

    await c.revoke({ uniqueIdentifier: gone });
    await c.destroy(gone);
    for (const id of wrapsFor(kind))
      assert.equal((await reasonOf(getUnder(id, gone))).reason, destroyed, `${kind} ${id}`);
    assert.equal((await reasonOf(registerBack(underGone))).reason, destroyed, kind);

    await c.archive(shelved);
    for (const id of wrapsFor(kind))
      assert.equal((await reasonOf(getUnder(id, shelved))).reason, archived, `${kind} ${id}`);
    assert.equal((await reasonOf(registerBack(underShelved))).reason, archived, kind);
    await c.recover(shelved);
    for (const id of wrapsFor(kind)) await wrapped(getUnder(id, shelved));
    assert.ok(await registerBack(underShelved));
  }
}

function coreSuite(adapter: Adapter, skip: string | false): void {
  describe(`Register wrapped at the core on ${adapter}`, { skip }, () => {
    let core: CoreServer;
    const clients: KmipClient[] = [];
    let alice: KmipClient;
    let gateway: KmipClient;
    let bob: KmipClient;

    async function connect(who: Who): Promise<KmipClient> {
      const p = await tenantPki();
      const c = await KmipClient.connect({
        host: '127.0.0.1',
        port: core.port,
        ca: readFileSync(p.ca),
        cert: readFileSync(p.certs[who].cert),
        key: readFileSync(p.certs[who].key),
      });
      clients.push(c);
      return c;
    }

    before(async () => {
      core = await startCore(adapter);
      alice = await connect('alice');
      gateway = await connect('gateway');
      bob = await connect('bob');
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await core?.close();
    });

    for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
      it(`an-l3-got-wrapped-under-another-l3-registers-back-as-the-same-key-in-${version}`, async () => {
        alice.version = version;
        gateway.version = version;
        const k = await kek(alice);
        const a = await kek(alice, ['Encrypt', 'Decrypt']);
        const cases: [TtlvItem | undefined, number | undefined][] = [
          [undefined, undefined], // NIST key wrap, TTLV encoding: what Get does by default
          [params(BlockCipherMode.AESKeyWrapPadding), EncodingOption.NoEncoding],
          [params(BlockCipherMode.NISTKeyWrap), EncodingOption.TTLVEncoding],
        ];
        for (const [p, encoding] of cases) {
          // An L3 leaves the core only wrapped, and only to gateways.
          const got = await gateway.get({
            uniqueIdentifier: a,
            keyWrappingSpecification: wrappingSpec(k, p, encoding),
          });
          assert.ok(child(child(got.object, Tag.KeyBlock), Tag.KeyWrappingData), 'returned wrapped');
          const c = await registerAs(alice, 'SymmetricKey', got.object!, {
            CryptographicUsageMask: ['Encrypt', 'Decrypt'],
          });
          assert.notEqual(c, a);
          assert.deepEqual(await ecb(alice, c), await ecb(alice, a), 'same key material');
          // KMIP 2.1 §6.1.43: a Wrapping Key Link to the key it came wrapped under. The Link Type
          // is 2.0's: a 1.x Register creates none (a 1.x client could not read it).
          const attrs = await alice.getAttributes({ uniqueIdentifier: c }, { version: '2.1' });
          const link = attrs.attributes.find((x) => x.name === 'Link')?.value as
            Record<string, unknown> | undefined;
          assert.deepEqual(
            link && { type: link.LinkType, id: link.LinkedObjectIdentifier },
            version === '2.1' ? { type: 0x10e, id: k } : undefined,
          );
        }
      });

      it(`secret-data-and-a-private-key-register-wrapped-and-get-back-equal-in-${version}`, async () => {
        alice.version = version;
        const k = await kek(alice);
        const secret = Buffer.from('a registered secret, wrapped in transit');
        const s = await registerAs(alice, 'SecretData', secretDataObject(secret));
        const der = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          format: 'der',
          type: 'pkcs8',
        });
        const priv = await registerAs(
          alice,
          'PrivateKey',
          structure(Tag.PrivateKey, [
            structure(Tag.KeyBlock, [
              enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_8),
              structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, der)]),
              enumeration(Tag.CryptographicAlgorithm, 4),
              integer(Tag.CryptographicLength, 2048),
            ]),
          ]),
          { CryptographicUsageMask: ['Sign'] },
        );
        for (const [id, type] of [
          [s, 'SecretData'],
          [priv, 'PrivateKey'],
        ] as const) {
          for (const encoding of [EncodingOption.NoEncoding, EncodingOption.TTLVEncoding]) {
            const got = await alice.get({
              uniqueIdentifier: id,
              keyWrappingSpecification: wrappingSpec(k, params(BlockCipherMode.AESKeyWrapPadding), encoding),
            });
            const copy = await registerAs(
              alice,
              type,
              got.object!,
              type === 'PrivateKey' ? { CryptographicUsageMask: ['Sign'] } : {},
            );
            const original = await alice.get(id);
            const back = await alice.get(copy);
            assert.deepEqual(Buffer.from(back.keyMaterial!), Buffer.from(original.keyMaterial!), `${type}`);
          }
        }
      });
    }

    it('rsa-oaep-with-sha-1-or-sha-256-unwraps-with-the-private-key-or-through-its-public-key', async () => {
      alice.version = '2.1';
      const pair = await alice.createKeyPair({
        commonAttributes: {
          CryptographicAlgorithm: 'RSA',
          CryptographicLength: 2048,
          ActivationDate: past(),
        },
        privateKeyAttributes: { CryptographicUsageMask: ['Decrypt', 'UnwrapKey'] },
        publicKeyAttributes: { CryptographicUsageMask: ['Encrypt', 'WrapKey'] },
      });
      const spki = (
        await alice.get({
          uniqueIdentifier: pair.publicKeyUniqueIdentifier,
          keyFormatType: KeyFormatType.X_509,
        })
      ).keyMaterial!;
      const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      const cases = [
        [pair.privateKeyUniqueIdentifier, 'sha1', HashingAlgorithm.SHA_1],
        [pair.publicKeyUniqueIdentifier, 'sha256', HashingAlgorithm.SHA_256],
      ] as const;
      for (const [named, hash, hashEnum] of cases) {
        const key = randomBytes(32);
        const wrapped = publicEncrypt(
          { key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
          key,
        );
        const id = await registerAs(
          alice,
          'SymmetricKey',
          wrappedBlock(Tag.SymmetricKey, KeyFormatType.Raw, wrapped, keyData(named, oaep(hashEnum)), {
            alg: AES,
            length: 256,
          }),
          { CryptographicUsageMask: ['Encrypt', 'Decrypt'] },
        );
        const local = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(BLOCK);
        assert.deepEqual(
          await ecb(alice, id),
          local,
          `OAEP ${hash} via ${named === pair.publicKeyUniqueIdentifier ? 'the public key' : 'the private key'}`,
        );
      }
      // An L3 got wrapped under the pair's public key (the transport-key path) registers back too.
      const a = await kek(alice, ['Encrypt', 'Decrypt']);
      const got = await gateway.get({
        uniqueIdentifier: a,
        keyWrappingSpecification: wrappingSpec(
          pair.publicKeyUniqueIdentifier,
          oaep(HashingAlgorithm.SHA_256),
          EncodingOption.NoEncoding,
        ),
      });
      const c = await registerAs(alice, 'SymmetricKey', got.object!, { CryptographicUsageMask: ['Encrypt'] });
      assert.deepEqual(await ecb(alice, c), await ecb(alice, a));
    });

    for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
      it(`refuses-with-the-spec-reasons-in-${version}`, async () => {
        alice.version = version;
        bob.version = version;
        const v2 = version === '2.1';
        const kekBytes = randomBytes(32);
        // A KEK whose bytes the test knows: registered (AES-256, an L3 with Unwrap Key).
        const k = await registerAs(alice, 'SymmetricKey', symmetricKeyObject(kekBytes, 'AES'), {
          CryptographicUsageMask: KEK_USAGE,
        });
        const dek = randomBytes(32);
        const wrapped = aesKeyWrap(kekBytes, dek);
        const aes256 = { alg: AES, length: 256 };
        const reg = (object: StructureItem, c: KmipClient = alice) =>
          reasonOf(registerAs(c, 'SymmetricKey', object, { CryptographicUsageMask: ['Encrypt'] }));
        const block = (data: TtlvItem[], bytes: Uint8Array = wrapped, format: number = KeyFormatType.Raw) =>
          wrappedBlock(Tag.SymmetricKey, format, bytes, data, aes256);
        // It works as sent: the control.
        const ok = await registerAs(alice, 'SymmetricKey', block(keyData(k)), {
          CryptographicUsageMask: ['Encrypt'],
        });
        const local = createCipheriv('aes-256-ecb', dek, null).setAutoPadding(false).update(BLOCK);
        assert.deepEqual(await ecb(alice, ok), local);

        // A missing wrapping key and another tenant's are the same answer: Wrapping Object Not
        // Found (KMIP 2.0), which 1.x lacks: Item Not Found there.
        const missing = await reg(block(keyData(`no-such-${randomBytes(4).toString('hex')}`)));
        assert.equal(missing.reason, v2 ? 'WrappingObjectNotFound' : 'ItemNotFound');
        const bobs = await kek(bob);
        assert.deepEqual(await reg(block(keyData(bobs))), missing);
        // Bob cannot use alice's key either.
        assert.deepEqual(await reg(block(keyData(k)), bob), missing);

        // Without Unwrap Key; not Active.
        const noUnwrap = await kek(alice, ['Encrypt', 'Decrypt', 'WrapKey']);
        assert.equal(
          (await reg(block(keyData(noUnwrap)))).reason,
          v2 ? 'IncompatibleCryptographicUsageMask' : 'PermissionDenied',
        );
        const preActive = await kek(alice, KEK_USAGE, false);
        assert.equal(
          (await reg(block(keyData(preActive)))).reason,
          v2 ? 'WrongKeyLifecycleState' : 'PermissionDenied',
        );

        // A value that fails its integrity check: Cryptographic Failure, one message for every cause.
        const tampered = Buffer.from(wrapped);
        tampered[5]! ^= 1;
        const bad = await reg(block(keyData(k), tampered));
        assert.equal(bad.reason, 'CryptographicFailure');
        const short = await reg(block(keyData(k), wrapped.subarray(0, 16)));
        assert.deepEqual(short, bad);
        const kwp = await reg(block(keyData(k, params(BlockCipherMode.AESKeyWrapPadding))));
        assert.deepEqual(kwp, bad, 'the wrong mode fails as a wrong key does');
        assert.doesNotMatch(bad.message ?? '', /[0-9a-f]{16}/i, 'no bytes in the message');

        // Methods and information Krypton does not unwrap.
        const mac = [
          enumeration(Tag.WrappingMethod, WrappingMethod.MACSign),
          structure(Tag.MACSignatureKeyInformation, [textString(Tag.UniqueIdentifier, k)]),
        ];
        assert.equal((await reg(block(mac))).reason, 'FeatureNotSupported');
        assert.equal(
          (
            await reg(
              block([
                ...keyData(k),
                structure(Tag.MACSignatureKeyInformation, [textString(Tag.UniqueIdentifier, k)]),
              ]),
            )
          ).reason,
          'FeatureNotSupported',
        );
        assert.equal(
          (await reg(block(keyData(k, params(BlockCipherMode.GCM))))).reason,
          'FeatureNotSupported',
        );
        assert.equal(
          (await reg(block([enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt)]))).reason,
          'MissingData',
        );

        // The length the block claims must be the key's.
        const short128 = aesKeyWrap(kekBytes, randomBytes(16));
        assert.equal((await reg(block(keyData(k), short128))).reason, 'InvalidField');

        // Encoding Option: No Encoding of a Transparent key; TTLV encoding of bytes that are none.
        assert.equal(
          (await reg(block(keyData(k), wrapped, KeyFormatType.TransparentSymmetricKey))).reason,
          'EncodingOptionError',
        );
        assert.equal(
          (await reg(block(keyData(k, undefined, EncodingOption.TTLVEncoding)))).reason,
          'EncodingOptionError',
        );

        // A Public Key is registered unwrapped.
        const pub = wrappedBlock(Tag.PublicKey, KeyFormatType.X_509, wrapped, keyData(k), {
          alg: 4,
          length: 2048,
        });
        assert.equal((await reasonOf(registerAs(alice, 'PublicKey', pub))).reason, 'FeatureNotSupported');
      });
    }

    for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
      it(`get-wrapped-under-a-missing-or-foreign-key-is-wrapping-object-not-found-in-${version}`, async () => {
        alice.version = version;
        bob.version = version;
        gateway.version = version;
        const wrappingGone = version === '2.1' ? 'WrappingObjectNotFound' : 'ItemNotFound';
        const k = await kek(alice);
        const secret = await registerAs(alice, 'SecretData', secretDataObject(Buffer.from('a secret')));
        const l3 = await kek(alice, ['Encrypt', 'Decrypt']);
        const nobody = `no-such-${randomBytes(4).toString('hex')}`;
        const bobs = await kek(bob);
        const getUnder = (c: KmipClient, id: string, keyId: string) =>
          reasonOf(c.get({ uniqueIdentifier: id, keyWrappingSpecification: wrappingSpec(keyId) }));
        for (const [c, id] of [
          [alice, secret],
          [gateway, l3],
        ] as const) {
          const missing = await getUnder(c, id, nobody);
          assert.equal(missing.reason, wrappingGone);
          assert.deepEqual(await getUnder(c, id, bobs), missing, "another tenant's key is a missing one");
          // The control: the same request under the tenant's key succeeds.
          const got = await c.get({ uniqueIdentifier: id, keyWrappingSpecification: wrappingSpec(k) });
          assert.ok(child(child(got.object, Tag.KeyBlock), Tag.KeyWrappingData));
        }
        // The object itself missing is still Object Not Found (1.x Item Not Found).
        assert.equal(
          (await getUnder(alice, nobody, k)).reason,
          version === '2.1' ? 'ObjectNotFound' : 'ItemNotFound',
        );
        // A key wrapped 2.x-style carries a Wrapping Key Link (a 2.0 Link Type): no 1.x answer shows it.
        const got = await gateway.get({ uniqueIdentifier: l3, keyWrappingSpecification: wrappingSpec(k) });
        const copy = await registerAs(
          alice,
          'SymmetricKey',
          got.object!,
          { CryptographicUsageMask: ['Encrypt'] },
          '2.1',
        );
        const links14 = await alice.getAttributes(
          { uniqueIdentifier: copy, names: ['Link'] },
          { version: '1.4' },
        );
        assert.deepEqual(links14.attributes, []);
        const list14 = await alice.getAttributeList(copy, { version: '1.4' });
        assert.ok(!list14.names.includes('Link'), 'no Link is listed to 1.x');
        assert.ok(list14.names.includes('CryptographicAlgorithm'));
        const links21 = await alice.getAttributes(
          { uniqueIdentifier: copy, names: ['Link'] },
          { version: '2.1' },
        );
        assert.deepEqual(
          links21.attributes.map((a) => (a.value as Record<string, unknown>).LinkType),
          [LinkType.WrappingKeyLink],
        );
        assert.ok((await alice.getAttributeList(copy, { version: '2.1' })).names.includes('Link'));
      });
    }

    for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
      it(`attributes-wrapped-with-the-key-material-count-as-request-attributes-in-${version}`, async () => {
        alice.version = version;
        const kekBytes = randomBytes(32);
        const k = await registerAs(alice, 'SymmetricKey', symmetricKeyObject(kekBytes, 'AES'), {
          CryptographicUsageMask: KEK_USAGE,
        });
        const usage: KmipAttribute = { name: 'CryptographicUsageMask', value: 0x04 | 0x08 | 0x80 };
        // The Key Value wrapped TTLV-encoded (the default), its attributes in the version's form.
        const written = writeAttributes([usage], version);
        const keyValue = structure(Tag.KeyValue, [
          byteString(Tag.KeyMaterial, randomBytes(32)),
          ...(version === '2.1' ? [structure(Tag.Attributes, written)] : written),
        ]);
        const object = wrappedBlock(
          Tag.SymmetricKey,
          KeyFormatType.Raw,
          aesKeyWrap(kekBytes, encodeTtlv(keyValue)),
          keyData(k, undefined, EncodingOption.TTLVEncoding),
          { alg: AES, length: 256 },
        );
        const id = (await alice.register({ objectType: 'SymmetricKey', object })).uniqueIdentifier;
        const attrs = await alice.getAttributes({
          uniqueIdentifier: id,
          names: ['Cryptographic Usage Mask'],
        });
        assert.equal(attrs.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value, usage.value);
      });
    }

    for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
      it(`a-destroyed-or-archived-wrapping-key-is-wrapping-object-destroyed-or-archived-in-${version}`, async () => {
        alice.version = version;
        const v2 = version === '2.1';
        const secret = await registerAs(alice, 'SecretData', secretDataObject(Buffer.from('a secret')));
        const aes256 = { alg: AES, length: 256 };
        // Two KEKs whose bytes the test knows: one to destroy, one to archive.
        const keks = await Promise.all(
          [randomBytes(32), randomBytes(32)].map(async (bytes) => ({
            bytes,
            id: await registerAs(alice, 'SymmetricKey', symmetricKeyObject(bytes, 'AES'), {
              CryptographicUsageMask: KEK_USAGE,
            }),
          })),
        );
        const [gone, shelved] = keks as [(typeof keks)[0], (typeof keks)[0]];
        const getUnder = (keyId: string) =>
          alice.get({ uniqueIdentifier: secret, keyWrappingSpecification: wrappingSpec(keyId) });
        const registerUnder = (kek: { bytes: Buffer; id: string }) =>
          registerAs(
            alice,
            'SymmetricKey',
            wrappedBlock(
              Tag.SymmetricKey,
              KeyFormatType.Raw,
              aesKeyWrap(kek.bytes, randomBytes(32)),
              keyData(kek.id),
              aes256,
            ),
            { CryptographicUsageMask: ['Encrypt'] },
          );
        // The controls: both keys wrap for Get and unwrap for Register while Active.
        for (const kek of keks) {
          assert.ok(child(child((await getUnder(kek.id)).object, Tag.KeyBlock), Tag.KeyWrappingData));
          assert.ok(await registerUnder(kek));
        }

        // Revoked (Deactivated) but not destroyed: still a lifecycle refusal, as before.
        await alice.revoke({ uniqueIdentifier: gone.id });
        const deactivated = v2 ? 'WrongKeyLifecycleState' : 'PermissionDenied';
        assert.equal((await reasonOf(getUnder(gone.id))).reason, deactivated);
        // Destroyed: Wrapping Object Destroyed (KMIP 2.x); 1.4 §11.12 "exists, but it is not able
        // to be used for wrapping": Permission Denied.
        await alice.destroy(gone.id);
        const destroyed = v2 ? 'WrappingObjectDestroyed' : 'PermissionDenied';
        assert.equal((await reasonOf(getUnder(gone.id))).reason, destroyed);
        assert.equal((await reasonOf(registerUnder(gone))).reason, destroyed);

        // Archived: Wrapping Object Archived (KMIP 2.x), 1.x Permission Denied; Recover restores it.
        await alice.archive(shelved.id);
        const archived = v2 ? 'WrappingObjectArchived' : 'PermissionDenied';
        assert.equal((await reasonOf(getUnder(shelved.id))).reason, archived);
        assert.equal((await reasonOf(registerUnder(shelved))).reason, archived);
        await alice.recover(shelved.id);
        assert.ok(child(child((await getUnder(shelved.id)).object, Tag.KeyBlock), Tag.KeyWrappingData));
        assert.ok(await registerUnder(shelved));
      });
    }

    it('the-key-material-of-a-wrapped-key-as-pykmip-sends-it-never-reaches-storage', async () => {
      alice.version = '2.1';
      const kekBytes = randomBytes(32);
      const k = await registerAs(alice, 'SymmetricKey', symmetricKeyObject(kekBytes, 'AES'), {
        CryptographicUsageMask: KEK_USAGE,
      });
      const sentinel = Buffer.from('KRYPTON-SENTINEL-wrapped-secret!'); // 32 bytes
      // The Key Value as a structure whose Key Material is the wrapped bytes (PyKMIP's form).
      const object = structure(Tag.SecretData, [
        enumeration(Tag.SecretDataType, 2),
        structure(Tag.KeyBlock, [
          enumeration(Tag.KeyFormatType, KeyFormatType.Opaque),
          structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, aesKeyWrap(kekBytes, sentinel))]),
          structure(Tag.KeyWrappingData, keyData(k)),
        ]),
      ]);
      const id = await registerAs(alice, 'SecretData', object);
      assert.deepEqual(Buffer.from((await alice.get(id)).keyMaterial!), sentinel);
      if (adapter === 'sqlite') {
        const stored = filesUnder(core.stateDir);
        assert.ok(stored.length > 0);
        assert.equal(stored.indexOf(sentinel), -1, 'the sentinel is not at rest');
        assert.equal(stored.indexOf(kekBytes), -1, 'nor the KEK');
      }
    });
  });
}

coreSuite('sqlite', false);
coreSuite('postgres', postgresSkip());

describe('Register wrapped at a gateway in front of a core', () => {
  let split: Split;
  let gw: KmipClient;
  let core: KmipClient;

  before(async () => {
    split = await startSplit({ logLevel: 'warn' });
    gw = await split.client();
    core = await split.client({ to: 'core' });
  });
  after(async () => split?.close());

  async function l4(usage = ['Encrypt', 'Decrypt']): Promise<string> {
    return (
      await gw.create({
        attributes: {
          CryptographicAlgorithm: 'AES',
          CryptographicLength: 256,
          CryptographicUsageMask: usage,
          ActivationDate: past(),
        },
      })
    ).uniqueIdentifier;
  }

  async function l3Of(id: string): Promise<string> {
    // An L4's Link to its L3 is a Wrapping Key Link, a 2.0 Link Type: read in 2.1 whatever the test speaks.
    const attrs = await gw.getAttributes({ uniqueIdentifier: id, names: ['Link'] }, { version: '2.1' });
    const link = attrs.attributes.find((a) => a.name === 'Link')?.value as Record<string, unknown>;
    return link.LinkedObjectIdentifier as string;
  }

  for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
    it(`a-dek-got-wrapped-under-its-l3-registers-as-a-local-l4-in-${version}`, async () => {
      gw.version = version;
      core.version = version;
      const a = await l4();
      const l3 = await l3Of(a);
      for (const [p, encoding] of [
        [undefined, undefined],
        [params(BlockCipherMode.AESKeyWrapPadding), EncodingOption.NoEncoding],
      ] as const) {
        const got = await gw.get({
          uniqueIdentifier: a,
          keyWrappingSpecification: wrappingSpec(l3, p, encoding),
        });
        const c = await registerAs(gw, 'SymmetricKey', got.object!, {
          CryptographicUsageMask: ['Encrypt', 'Decrypt'],
        });
        // Local: the core has never heard of it; the gateway holds the same key.
        const atCore = await reasonOf(core.get(c));
        assert.match(atCore.reason ?? '', version === '2.1' ? /^(Object|Item)NotFound$/ : /^ItemNotFound$/);
        assert.deepEqual(
          Buffer.from((await gw.get(c)).keyMaterial!),
          Buffer.from((await gw.get(a)).keyMaterial!),
        );
        assert.equal(await l3Of(c), l3, 'stored under the L3 it came wrapped under');
      }
    });
  }

  for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
    it(`a-wrapping-key-neither-gateway-nor-core-holds-is-wrapping-object-not-found-in-${version}`, async () => {
      gw.version = version;
      const wrappingGone = version === '2.1' ? 'WrappingObjectNotFound' : 'ItemNotFound';
      const nobody = `no-such-${randomBytes(4).toString('hex')}`;
      const a = await l4();
      const l3 = await l3Of(a);
      // Get of a local L4 (the gateway asks the core to wrap under a key it does not hold).
      const getL4 = await reasonOf(
        gw.get({ uniqueIdentifier: a, keyWrappingSpecification: wrappingSpec(nobody) }),
      );
      assert.equal(getL4.reason, wrappingGone);
      // Get of an object of the core, forwarded; Register wrapped under it, forwarded.
      const secret = await registerAs(gw, 'SecretData', secretDataObject(Buffer.from('core secret')));
      const getCore = await reasonOf(
        gw.get({ uniqueIdentifier: secret, keyWrappingSpecification: wrappingSpec(nobody) }),
      );
      assert.equal(getCore.reason, wrappingGone);
      const got = await gw.get({ uniqueIdentifier: a, keyWrappingSpecification: wrappingSpec(l3) });
      const data = child(child(got.object, Tag.KeyBlock), Tag.KeyWrappingData) as StructureItem;
      const info = child(data, Tag.EncryptionKeyInformation) as StructureItem;
      const renamed = structure(Tag.KeyWrappingData, [
        ...data.value.filter((c) => c.tag !== Tag.EncryptionKeyInformation),
        structure(Tag.EncryptionKeyInformation, [
          textString(Tag.UniqueIdentifier, nobody),
          ...info.value.filter((c) => c.tag !== Tag.UniqueIdentifier),
        ]),
      ]);
      const block = child(got.object, Tag.KeyBlock) as StructureItem;
      const object = structure(Tag.SymmetricKey, [
        structure(Tag.KeyBlock, [...block.value.filter((c) => c.tag !== Tag.KeyWrappingData), renamed]),
      ]);
      assert.equal((await reasonOf(registerAs(gw, 'SymmetricKey', object))).reason, wrappingGone);
      // An L4's Link to its L3 is a Wrapping Key Link (KMIP 2.0): 1.x is shown neither it nor its name.
      const links = await gw.getAttributes({ uniqueIdentifier: a, names: ['Link'] });
      const names = (await gw.getAttributeList(a)).names;
      if (version === '2.1') {
        assert.deepEqual(
          links.attributes.map((x) => (x.value as Record<string, unknown>).LinkType),
          [LinkType.WrappingKeyLink],
        );
        assert.ok(names.includes('Link'));
      } else {
        assert.deepEqual(links.attributes, []);
        assert.ok(!names.includes('Link') && names.includes('CryptographicAlgorithm'));
        const all = await gw.getAttributes({ uniqueIdentifier: a });
        assert.ok(!all.attributes.some((x) => x.name === 'Link'));
      }
    });
  }

  for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
    it(`a-destroyed-or-archived-wrapping-key-is-wrapping-object-destroyed-or-archived-in-${version}`, () =>
      refusesWrappingKeysDestroyedOrArchived(gw, version));
  }

  it('a-dek-wrapped-under-another-l4-registers-locally-and-a-tampered-one-fails-there', async () => {
    gw.version = '2.1';
    const a = await l4();
    const b = await l4(KEK_USAGE);
    const got = await gw.get({ uniqueIdentifier: a, keyWrappingSpecification: wrappingSpec(b) });
    const c = await registerAs(gw, 'SymmetricKey', got.object!, { CryptographicUsageMask: ['Encrypt'] });
    assert.deepEqual(
      Buffer.from((await gw.get(c)).keyMaterial!),
      Buffer.from((await gw.get(a)).keyMaterial!),
    );
    const value = child(child(got.object, Tag.KeyBlock), Tag.KeyValue) as { value: Uint8Array };
    value.value[3]! ^= 1;
    assert.equal(
      (await reasonOf(registerAs(gw, 'SymmetricKey', got.object!))).reason,
      'CryptographicFailure',
    );
    // Secret Data is the core's, which holds no L4 to unwrap it with: refused at the gateway.
    const secret = wrappedBlock(Tag.SecretData, KeyFormatType.Opaque, randomBytes(40), keyData(b));
    const secretItem = structure(Tag.SecretData, [enumeration(Tag.SecretDataType, 2), ...secret.value]);
    assert.equal((await reasonOf(registerAs(gw, 'SecretData', secretItem))).reason, 'FeatureNotSupported');
    const noUnwrap = await l4(['Encrypt', 'Decrypt', 'WrapKey']);
    const got2 = await gw.get({ uniqueIdentifier: a, keyWrappingSpecification: wrappingSpec(noUnwrap) });
    assert.equal(
      (await reasonOf(registerAs(gw, 'SymmetricKey', got2.object!))).reason,
      'IncompatibleCryptographicUsageMask',
    );
  });

  it('wrapped-under-a-key-pair-of-the-core-it-is-forwarded-and-the-core-keeps-it', async () => {
    gw.version = '2.1';
    const pair = await gw.createKeyPair({
      commonAttributes: { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048, ActivationDate: past() },
      privateKeyAttributes: { CryptographicUsageMask: ['Decrypt', 'UnwrapKey'] },
      publicKeyAttributes: { CryptographicUsageMask: ['Encrypt', 'WrapKey'] },
    });
    const spki = (
      await gw.get({ uniqueIdentifier: pair.publicKeyUniqueIdentifier, keyFormatType: KeyFormatType.X_509 })
    ).keyMaterial!;
    const key = randomBytes(32);
    const wrapped = publicEncrypt(
      {
        key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      key,
    );
    const id = await registerAs(
      gw,
      'SymmetricKey',
      wrappedBlock(
        Tag.SymmetricKey,
        KeyFormatType.Raw,
        wrapped,
        keyData(pair.privateKeyUniqueIdentifier, oaep(HashingAlgorithm.SHA_256)),
        {
          alg: AES,
          length: 256,
        },
      ),
      { CryptographicUsageMask: ['Encrypt'] },
    );
    const attrs = await core.getAttributes({ uniqueIdentifier: id });
    assert.ok(JSON.stringify(attrs.attributes).includes('L3'), 'an L3 of the core');
    const local = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(BLOCK);
    assert.deepEqual(await ecb(gw, id), local);
  });
});

describe('Register wrapped at a standalone server (L3s core-only)', () => {
  let server: RunningServer;
  let c: KmipClient;

  before(async () => {
    server = await startTestServer();
    c = await clientFor(server);
  });
  after(async () => {
    await c?.close();
    await server?.close();
  });

  for (const version of ['1.4', '2.1'] as const satisfies readonly KmipVersion[]) {
    it(`a-destroyed-or-archived-wrapping-key-is-wrapping-object-destroyed-or-archived-in-${version}`, async () => {
      await refusesWrappingKeysDestroyedOrArchived(c, version);
      c.version = '2.1';
    });
  }

  it('a-dek-wrapped-under-an-l3-becomes-an-l4-unwrapped-by-the-core-and-secret-data-round-trips', async () => {
    const a = (
      await c.create({
        attributes: {
          CryptographicAlgorithm: 'AES',
          CryptographicLength: 256,
          CryptographicUsageMask: ['Encrypt', 'Decrypt'],
          ActivationDate: past(),
        },
      })
    ).uniqueIdentifier;
    const linkAttrs = await c.getAttributes({ uniqueIdentifier: a, names: ['Link'] });
    const l3 = (linkAttrs.attributes.find((x) => x.name === 'Link')?.value as Record<string, unknown>)
      .LinkedObjectIdentifier as string;
    const got = await c.get({ uniqueIdentifier: a, keyWrappingSpecification: wrappingSpec(l3) });
    const copy = await registerAs(c, 'SymmetricKey', got.object!, { CryptographicUsageMask: ['Encrypt'] });
    assert.deepEqual(
      Buffer.from((await c.get(copy)).keyMaterial!),
      Buffer.from((await c.get(a)).keyMaterial!),
    );
    const level = await c.getAttributes({ uniqueIdentifier: copy });
    assert.ok(JSON.stringify(level.attributes).includes('L4'), 'a local L4');

    const secret = await registerAs(c, 'SecretData', secretDataObject(Buffer.from('standalone secret')));
    const wrappedSecret = await c.get({
      uniqueIdentifier: secret,
      keyWrappingSpecification: wrappingSpec(
        l3,
        params(BlockCipherMode.AESKeyWrapPadding),
        EncodingOption.NoEncoding,
      ),
    });
    const back = await registerAs(c, 'SecretData', wrappedSecret.object!);
    assert.deepEqual(Buffer.from((await c.get(back)).keyMaterial!), Buffer.from('standalone secret'));

    // A wrapping key that does not exist: Wrapping Object Not Found in 2.x, Item Not Found in 1.x.
    const nobody = `no-such-${randomBytes(4).toString('hex')}`;
    for (const [version, reason] of [
      ['2.1', 'WrappingObjectNotFound'],
      ['2.0', 'WrappingObjectNotFound'],
      ['1.4', 'ItemNotFound'],
      ['1.0', 'ItemNotFound'],
    ] as const) {
      for (const id of [a, secret]) {
        const r = await reasonOf(
          c.get({ uniqueIdentifier: id, keyWrappingSpecification: wrappingSpec(nobody) }, { version }),
        );
        assert.equal(r.reason, reason, `${version} ${id === a ? 'L4' : 'Secret Data'}`);
      }
    }
  });
});
