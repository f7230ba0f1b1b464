/**
 * Create Key Pair and Re-key Key Pair at the core through the real dispatcher, on SQLite and
 * PostgreSQL: the algorithms of the profiles, the links both ways (KMIP 2.1 §6.1.11), the
 * attribute split, the ID placeholder, and the spec's error cases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyFormatType, RecommendedCurve, Tag, type KmipVersion } from '../../core/spec/index.js';
import { child, textString } from '../../core/ttlv/tree.js';
import { LinkType, ObjectType, State } from '../../storage-adapters/index.js';
import { Alg, Mask, activeNow, attributesItem, openAsymmetricHarness } from './asymmetric-support.js';
import {
  batch,
  call,
  identity,
  postgresSkip,
  textOf,
  uid,
  type Adapter,
  type AttrSpec,
  type CoreHarness,
} from './support.js';

const alice = identity('alice', 'tenant-a');
const bob = identity('bob', 'tenant-b');

function pairRequest(version: KmipVersion, common: AttrSpec[], priv: AttrSpec[] = [], pub: AttrSpec[] = []) {
  const v2 = version.startsWith('2.');
  return [
    attributesItem(version, common, v2 ? Tag.CommonAttributes : Tag.CommonTemplateAttribute),
    attributesItem(version, priv, v2 ? Tag.PrivateKeyAttributes : Tag.PrivateKeyTemplateAttribute),
    attributesItem(version, pub, v2 ? Tag.PublicKeyAttributes : Tag.PublicKeyTemplateAttribute),
  ];
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`Create Key Pair and Re-key Key Pair on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openAsymmetricHarness(adapter);
    });
    after(async () => h?.close());

    async function createPair(
      version: KmipVersion,
      common: AttrSpec[],
      priv: AttrSpec[] = [],
      pub: AttrSpec[] = [],
    ) {
      const r = await call(h, alice, version, 'CreateKeyPair', pairRequest(version, common, priv, pub));
      assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
      return {
        privateId: textOf(r.payload, Tag.PrivateKeyUniqueIdentifier)!,
        publicId: textOf(r.payload, Tag.PublicKeyUniqueIdentifier)!,
      };
    }

    it('creates-an-rsa-pair-linked-both-ways-with-the-split-attributes', async () => {
      for (const v of ['1.0', '1.4', '2.1'] as const) {
        const { privateId, publicId } = await createPair(
          v,
          [
            { name: 'CryptographicAlgorithm', value: Alg.RSA },
            { name: 'CryptographicLength', value: 2048 },
          ],
          [{ name: 'Name', value: { NameValue: `pair-${v}-private`, NameType: 1 } }],
          [{ name: 'CryptographicUsageMask', value: Mask.Verify | Mask.Encrypt }],
        );
        const priv = await h.services.store.get('tenant-a', privateId);
        const pub = await h.services.store.get('tenant-a', publicId);
        assert.equal(priv.objectType, ObjectType.PrivateKey);
        assert.equal(pub.objectType, ObjectType.PublicKey);
        assert.deepEqual(priv.links, [{ linkType: LinkType.PublicKeyLink, linkedObjectId: publicId }]);
        assert.deepEqual(pub.links, [{ linkType: LinkType.PrivateKeyLink, linkedObjectId: privateId }]);
        assert.equal(priv.keyLevel, undefined);
        assert.equal(priv.state, State.PreActive);
        assert.equal(priv.cryptographicLength, 2048);
        assert.equal(priv.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value, Mask.Sign);
        assert.equal(
          pub.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value,
          Mask.Verify | Mask.Encrypt,
        );
        assert.ok(priv.attributes.some((a) => a.name === 'Name'));
        assert.ok(!pub.attributes.some((a) => a.name === 'Name'));
        assert.ok(priv.keyMaterial && !pub.keyMaterial && pub.publicMaterial);
      }
    });

    it('creates-ec-p256-p384-p521-and-ed25519-pairs', async () => {
      for (const [common, length] of [
        [
          [
            { name: 'CryptographicAlgorithm', value: Alg.EC },
            { name: 'CryptographicLength', value: 256 },
          ],
          256,
        ],
        [
          [
            { name: 'CryptographicAlgorithm', value: Alg.ECDSA },
            { name: 'CryptographicLength', value: 384 },
          ],
          384,
        ],
        [
          [
            { name: 'CryptographicAlgorithm', value: Alg.EC },
            { name: 'CryptographicDomainParameters', value: { RecommendedCurve: RecommendedCurve.P_521 } },
          ],
          521,
        ],
        [[{ name: 'CryptographicAlgorithm', value: Alg.Ed25519 }], 256],
      ] as [AttrSpec[], number][]) {
        const { privateId, publicId } = await createPair('2.1', common);
        assert.equal((await h.services.store.get('tenant-a', privateId)).cryptographicLength, length);
        const got = await call(h, alice, '2.1', 'Get', [uid(publicId)]);
        const format = child(child(child(got.payload, Tag.PublicKey), Tag.KeyBlock), Tag.KeyFormatType);
        assert.equal(format?.type === 'Enumeration' && format.value, KeyFormatType.X_509);
      }
    });

    it('sets-the-id-placeholder-to-the-private-key', async () => {
      const [pair, attrs] = await batch(h, alice, '2.1', [
        ['CreateKeyPair', pairRequest('2.1', [{ name: 'CryptographicAlgorithm', value: Alg.Ed25519 }])],
        ['GetAttributes', []],
      ]);
      assert.equal(attrs!.resultStatus, 0, attrs!.resultMessage);
      assert.equal(
        textOf(attrs!.payload, Tag.UniqueIdentifier),
        textOf(pair!.payload, Tag.PrivateKeyUniqueIdentifier),
      );
    });

    it('refuses-missing-weak-or-unsupported-requests', async () => {
      const fail = async (common: AttrSpec[], version: KmipVersion = '2.1') =>
        (await call(h, alice, version, 'CreateKeyPair', pairRequest(version, common))).reasonName;
      assert.equal(await fail([{ name: 'CryptographicLength', value: 2048 }]), 'MissingData');
      assert.equal(
        await fail([
          { name: 'CryptographicAlgorithm', value: Alg.RSA },
          { name: 'CryptographicLength', value: 1024 },
        ]),
        'InvalidField',
      );
      assert.equal(
        await fail([
          { name: 'CryptographicAlgorithm', value: Alg.EC },
          { name: 'CryptographicLength', value: 224 },
        ]),
        'InvalidField',
      );
      assert.equal(
        await fail([
          { name: 'CryptographicAlgorithm', value: 5 },
          { name: 'CryptographicLength', value: 2048 },
        ]),
        'FeatureNotSupported',
      );
      assert.equal(
        await fail([
          { name: 'CryptographicAlgorithm', value: Alg.Ed25519 },
          { name: 'x-krypton-level', value: 'L4' },
        ]),
        'PermissionDenied',
      );
      assert.equal(
        await fail([
          { name: 'CryptographicAlgorithm', value: Alg.Ed25519 },
          { name: 'State', value: 2 },
        ]),
        'InvalidField',
      );
    });

    it('re-keys-a-pair-with-replacement-links-and-the-name-moved', async () => {
      const { privateId, publicId } = await createPair(
        '2.1',
        [
          { name: 'CryptographicAlgorithm', value: Alg.EC },
          { name: 'CryptographicLength', value: 256 },
          ...activeNow(),
        ],
        [{ name: 'Name', value: { NameValue: 'rekeyed-pair', NameType: 1 } }],
      );
      const r = await call(h, alice, '2.1', 'ReKeyKeyPair', [
        textString(Tag.PrivateKeyUniqueIdentifier, privateId),
      ]);
      assert.equal(r.resultStatus, 0, `${r.reasonName} ${r.resultMessage}`);
      const newPrivate = textOf(r.payload, Tag.PrivateKeyUniqueIdentifier)!;
      const newPublic = textOf(r.payload, Tag.PublicKeyUniqueIdentifier)!;
      const np = await h.services.store.get('tenant-a', newPrivate);
      const op = await h.services.store.get('tenant-a', privateId);
      const nq = await h.services.store.get('tenant-a', newPublic);
      assert.equal(np.cryptographicLength, 256);
      assert.equal(np.state, State.Active);
      assert.ok(
        np.links.some((l) => l.linkType === LinkType.ReplacedObjectLink && l.linkedObjectId === privateId),
      );
      assert.ok(
        np.links.some((l) => l.linkType === LinkType.PublicKeyLink && l.linkedObjectId === newPublic),
      );
      assert.ok(
        nq.links.some((l) => l.linkType === LinkType.PrivateKeyLink && l.linkedObjectId === newPrivate),
      );
      assert.ok(
        nq.links.some((l) => l.linkType === LinkType.ReplacedObjectLink && l.linkedObjectId === publicId),
      );
      assert.ok(
        op.links.some(
          (l) => l.linkType === LinkType.ReplacementObjectLink && l.linkedObjectId === newPrivate,
        ),
      );
      assert.ok(np.attributes.some((a) => a.name === 'Name'));
      assert.ok(!op.attributes.some((a) => a.name === 'Name'));
      assert.ok(op.dates.ProtectStopDate !== undefined);
      // The old private key no longer signs once its replacement is active.
      const sign = await call(h, alice, '2.1', 'Sign', [
        uid(privateId),
        { tag: Tag.Data, type: 'ByteString', value: new Uint8Array([1]) },
      ]);
      assert.equal(sign.reasonName, 'WrongKeyLifecycleState');
      assert.equal(
        (await call(h, bob, '2.1', 'ReKeyKeyPair', [textString(Tag.PrivateKeyUniqueIdentifier, newPrivate)]))
          .reasonName,
        'ObjectNotFound',
      );
      assert.equal(
        (await call(h, alice, '2.1', 'ReKeyKeyPair', [textString(Tag.PrivateKeyUniqueIdentifier, newPublic)]))
          .reasonName,
        'InvalidObjectType',
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
