/**
 * The core operations (Create, Register, Get, GetAttributes, Locate, Activate, Revoke, Destroy,
 * Encrypt, Decrypt, ReKey) through the real dispatcher, on SQLite and on PostgreSQL, with the
 * software HSM and the real key hierarchy.
 */
import assert from 'node:assert/strict';
import {
  createCipheriv,
  generateKeyPairSync,
  privateDecrypt,
  constants,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BlockCipherMode,
  PaddingMethod,
  ResultReason,
  Tag,
  WrappingMethod,
  EncodingOption,
  type KmipVersion,
} from '../../core/spec/index.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import {
  boolean,
  byteString,
  child,
  dateTime,
  enumeration,
  integer,
  interval,
  structure,
  textString,
} from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { State } from '../../storage-adapters/index.js';
import {
  aesAttributes,
  attributesFor,
  batch,
  bytesOf,
  call,
  createKey,
  identity,
  openHarness,
  postgresSkip,
  textOf,
  uid,
  type Adapter,
  type CallResult,
  type CoreHarness,
} from './support.js';

const alice = identity('alice', 'tenant-a');
const bob = identity('bob', 'tenant-b');
const gateway = identity('gateway', 'tenant-a', true);

/** No such object, per version: KMIP 2.0 added Object Not Found (0x37); 1.x says Item Not Found (1). */
const NOT_FOUND = [
  ['1.0', 'ItemNotFound', ResultReason.ItemNotFound],
  ['1.4', 'ItemNotFound', ResultReason.ItemNotFound],
  ['2.0', 'ObjectNotFound', ResultReason.ObjectNotFound],
  ['2.1', 'ObjectNotFound', ResultReason.ObjectNotFound],
] as const;

/** Every item but the last succeeded; the last failed with Result Reason `value`. */
function assertLastFailsWith(items: readonly CallResult[], value: number, version: KmipVersion): void {
  const expected = items.map((_, i) => (i === items.length - 1 ? 1 : 0));
  const detail = `${version}: ${items.map((i) => i.resultMessage)}`;
  assert.deepEqual(
    items.map((i) => i.resultStatus),
    expected,
    detail,
  );
  assert.equal(items[items.length - 1]!.resultReason, value, detail);
}

/** Locate by Name: 1.x lists Attribute structures, 2.x one Attributes structure. */
async function locateByName(version: KmipVersion, name: string): Promise<TtlvItem[]> {
  const attrs = await attributesFor(version, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]);
  return version.startsWith('1.') ? [...(attrs as StructureItem).value] : [attrs];
}

function params(mode: number, extra: TtlvItem[] = []): TtlvItem {
  return structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, mode), ...extra]);
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`core operations on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openHarness(adapter);
    });
    after(async () => h?.close());

    it('create-makes-a-pre-active-l3-wrapped-under-the-tenant-l2', async () => {
      for (const v of ['1.0', '1.4', '2.1'] as const) {
        const id = await createKey(h, alice, v, aesAttributes(256));
        const stored = await h.services.store.get('tenant-a', id);
        assert.equal(stored.keyLevel, 3);
        assert.equal(stored.state, State.PreActive);
        assert.ok(stored.keyMaterial);
        const l2 = await h.services.store.get('tenant-a', stored.keyMaterial.wrappingKeyId);
        assert.equal(l2.keyLevel, 2);
      }
    });

    it('create-with-a-past-activation-date-is-active-and-aes-128-192-work', async () => {
      for (const bits of [128, 192]) {
        const id = await createKey(
          h,
          alice,
          '2.1',
          aesAttributes(bits, 0x0c, [{ name: 'ActivationDate', value: new Date(Date.now() - 3600_000) }]),
        );
        const stored = await h.services.store.get('tenant-a', id);
        assert.equal(stored.state, State.Active);
        assert.equal(stored.cryptographicLength, bits);
      }
    });

    it('create-of-an-l4-is-refused-and-nothing-is-stored', async () => {
      for (const v of ['1.4', '2.1'] as const) {
        const before = await h.services.store.locate('tenant-a', { countTotal: true });
        const r = await call(h, alice, v, 'Create', [
          enumeration(Tag.ObjectType, 2),
          await attributesFor(v, aesAttributes(256, 0x0c, [{ name: 'x-krypton-level', value: 'L4' }])),
        ]);
        assert.equal(r.reasonName, 'PermissionDenied', `${v}: ${r.resultMessage}`);
        assert.match(r.resultMessage ?? '', /L4 data keys are served by the gateway/);
        const afterCount = await h.services.store.locate('tenant-a', { countTotal: true });
        assert.equal(afterCount.located, before.located);
      }
    });

    it('create-refuses-bad-algorithm-length-and-server-set-attributes', async () => {
      const cases: [string, ReturnType<typeof aesAttributes>][] = [
        ['length', aesAttributes(100)],
        [
          'algorithm',
          [
            { name: 'CryptographicAlgorithm', value: 4 },
            { name: 'CryptographicLength', value: 2048 },
          ],
        ],
        ['state', aesAttributes(256, 0x0c, [{ name: 'State', value: 2 }])],
      ];
      for (const [what, attrs] of cases) {
        const r = await call(h, alice, '1.4', 'Create', [
          enumeration(Tag.ObjectType, 2),
          await attributesFor('1.4', attrs),
        ]);
        assert.equal(r.reasonName, 'InvalidField', what);
      }
    });

    it('get-attributes-answers-in-the-request-version', async () => {
      const id = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'Name', value: { NameValue: 'ga-key', NameType: 1 } }]),
      );
      const v10 = await call(h, alice, '1.0', 'GetAttributes', [uid(id)]);
      const names10 = (v10.payload?.value ?? [])
        .filter((c) => c.tag === Tag.Attribute)
        .map((a) => textOf(a, Tag.AttributeName));
      assert.ok(names10.includes('State') && names10.includes('Name') && names10.includes('x-krypton-level'));
      assert.ok(!names10.includes('Fresh'), '1.0 has no Fresh attribute');
      const v14 = await call(h, alice, '1.4', 'GetAttributes', [
        uid(id),
        textString(Tag.AttributeName, 'State'),
        textString(Tag.AttributeName, 'x-krypton-level'),
      ]);
      const attrs14 = (v14.payload?.value ?? []).filter((c) => c.tag === Tag.Attribute);
      assert.deepEqual(
        attrs14.map((a) => textOf(a, Tag.AttributeName)),
        ['State', 'x-krypton-level'],
      );
      const v21 = await call(h, alice, '2.1', 'GetAttributes', [uid(id)]);
      const attributes = child(v21.payload, Tag.Attributes);
      assert.equal(child(attributes, Tag.State)?.value, State.PreActive);
      const vendor = (attributes?.type === 'Structure' ? attributes.value : []).find(
        (c) => c.tag === Tag.Attribute,
      );
      assert.equal(textOf(vendor, Tag.VendorIdentification), 'x');
      assert.equal(textOf(vendor, Tag.AttributeName), 'krypton-level');
      assert.equal(child(vendor, Tag.AttributeValue)?.value, 'L3');
    });

    it('locate-finds-by-name-and-level-and-never-lists-another-tenant', async () => {
      const name = `loc-${randomBytes(4).toString('hex')}`;
      const mine = await createKey(
        h,
        alice,
        '1.4',
        aesAttributes(256, 0x0c, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
      );
      await createKey(
        h,
        bob,
        '1.4',
        aesAttributes(256, 0x0c, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
      );
      const r14 = await call(h, alice, '1.4', 'Locate', [
        structure(Tag.Attribute, [
          textString(Tag.AttributeName, 'Name'),
          structure(Tag.AttributeValue, [textString(Tag.NameValue, name), enumeration(Tag.NameType, 1)]),
        ]),
      ]);
      assert.deepEqual(
        r14.payload?.value.filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => c.value),
        [mine],
      );
      const r21 = await call(h, alice, '2.1', 'Locate', [
        await attributesFor('2.1', [
          { name: 'Name', value: { NameValue: name, NameType: 1 } },
          { name: 'x-krypton-level', value: 'L3' },
        ]),
      ]);
      assert.deepEqual(
        r21.payload?.value.filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => c.value),
        [mine],
      );
      // Located Items answers a paging request only (KMIP 2.1 §6.1.27: optional without Offset Items).
      assert.equal(child(r21.payload, Tag.LocatedItems), undefined);
      const paged = await call(h, alice, '2.1', 'Locate', [
        integer(Tag.MaximumItems, 10),
        await attributesFor('2.1', [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
      ]);
      assert.equal(child(paged.payload, Tag.LocatedItems)?.value, 1);
    });

    it('another-tenants-object-answers-as-a-missing-one-with-the-versions-reason-in-every-operation', async () => {
      const id = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      const ops: [Parameters<typeof call>[3], TtlvItem[]][] = [
        ['Get', [uid(id)]],
        ['GetAttributes', [uid(id)]],
        ['Activate', [uid(id)]],
        ['Revoke', [uid(id), structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, 6)])]],
        ['Destroy', [uid(id)]],
        ['ReKey', [uid(id)]],
        ['Encrypt', [uid(id), byteString(Tag.Data, Buffer.alloc(16))]],
        [
          'Decrypt',
          [
            uid(id),
            byteString(Tag.Data, Buffer.alloc(16)),
            byteString(Tag.IVCounterNonce, Buffer.alloc(12)),
            byteString(Tag.AuthenticatedEncryptionTag, Buffer.alloc(16)),
          ],
        ],
      ];
      for (const [version, reason, value] of NOT_FOUND) {
        for (const [op, payload] of ops) {
          // Encrypt and Decrypt are KMIP 1.2 operations: a 1.0 request has no Data to send them with.
          if (version === '1.0' && (op === 'Encrypt' || op === 'Decrypt')) continue;
          const foreign = await call(h, bob, version, op, payload);
          const missing = await call(h, bob, version, op, [
            uid('00000000-0000-4000-8000-000000000000'),
            ...payload.slice(1),
          ]);
          assert.equal(foreign.reasonName, reason, `${version} ${op}`);
          assert.equal(foreign.resultReason, value, `${version} ${op}`);
          assert.equal(missing.resultReason, value, `${version} ${op}`);
          assert.equal(foreign.resultMessage, missing.resultMessage, `${version} ${op}`);
        }
      }
    });

    it('no-such-object-is-item-not-found-in-1x-and-object-not-found-in-2x-alone-in-batches-and-after-locate', async () => {
      for (const [version, reason, value] of NOT_FOUND) {
        const missing = uid(randomUUID());
        for (const op of ['Get', 'GetAttributes', 'Destroy'] as const) {
          const r = await call(h, alice, version, op, [missing]);
          assert.equal(r.resultReason, value, `${version} ${op}: ${r.reasonName}`);
          assert.equal(r.reasonName, reason, `${version} ${op}`);
        }
        // Create fills the ID placeholder, used by the next item; the failing item is answered in the
        // request's version like a lone one.
        const created = await batch(h, alice, version, [
          ['Create', [enumeration(Tag.ObjectType, 2), await attributesFor(version, aesAttributes(256))]],
          ['GetAttributes', []],
          ['Get', [missing]],
        ]);
        assertLastFailsWith(created, value, version);
        // Locate then use: the owner's Locate fills the placeholder; another tenant's Locate finds
        // nothing, and naming the object itself is answered exactly as a missing one.
        const name = `nf-${version}-${randomBytes(4).toString('hex')}`;
        const id = await createKey(
          h,
          alice,
          version,
          aesAttributes(256, 0x0c, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
        );
        const own = await batch(h, alice, version, [
          ['Locate', await locateByName(version, name)],
          ['GetAttributes', []],
          ['Destroy', [missing]],
        ]);
        assertLastFailsWith(own, value, version);
        assert.equal(textOf(own[1]!.payload, Tag.UniqueIdentifier), id);
        const theirs = await batch(h, bob, version, [
          ['Locate', await locateByName(version, name)],
          ['GetAttributes', [uid(id)]],
        ]);
        assert.equal(textOf(theirs[0]!.payload, Tag.UniqueIdentifier), undefined, version);
        assert.equal(theirs[1]!.resultReason, value, version);
        const alike = await batch(h, bob, version, [
          ['Locate', await locateByName(version, name)],
          ['GetAttributes', [missing]],
        ]);
        assert.equal(theirs[1]!.resultMessage, alike[1]!.resultMessage, version);
      }
    });

    it('lifecycle-activate-revoke-destroy-with-spec-errors-and-1x-permission-denied', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256));
      assert.equal((await call(h, alice, '1.4', 'Activate', [uid(id)])).resultStatus, 0);
      assert.equal((await call(h, alice, '1.4', 'Activate', [uid(id)])).reasonName, 'PermissionDenied');
      assert.equal(
        (await call(h, alice, '1.4', 'Destroy', [uid(id)])).reasonName,
        'PermissionDenied',
        'Active is not destroyed',
      );
      const revoke = await call(h, alice, '1.4', 'Revoke', [
        uid(id),
        structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, 6)]),
      ]);
      assert.equal(revoke.resultStatus, 0);
      let stored = await h.services.store.get('tenant-a', id);
      assert.equal(stored.state, State.Deactivated);
      assert.ok(stored.dates.DeactivationDate);
      assert.equal((await call(h, alice, '1.4', 'Destroy', [uid(id)])).resultStatus, 0);
      stored = await h.services.store.get('tenant-a', id);
      assert.equal(stored.state, State.Destroyed);
      assert.equal(stored.keyMaterial, undefined, 'material removed from storage');
      assert.ok(stored.dates.DestroyDate);
      const get = await call(h, gateway, '1.4', 'Get', [uid(id)]);
      assert.equal(get.reasonName, 'PermissionDenied');
      const ga = await call(h, alice, '1.4', 'GetAttributes', [
        uid(id),
        textString(Tag.AttributeName, 'State'),
      ]);
      assert.equal(child(child(ga.payload, Tag.Attribute), Tag.AttributeValue)?.value, State.Destroyed);
      const noReason = await call(h, alice, '2.1', 'Revoke', [uid(id)]);
      assert.equal(noReason.reasonName, 'MissingData');
    });

    it('compromise-moves-to-compromised-then-destroyed-compromised-and-refuses-encrypt', async () => {
      const id = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      const r = await call(h, alice, '2.1', 'Revoke', [
        uid(id),
        structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, 2)]),
        dateTime(Tag.CompromiseOccurrenceDate, new Date(Date.now() - 5000)),
      ]);
      assert.equal(r.resultStatus, 0);
      assert.equal((await h.services.store.get('tenant-a', id)).state, State.Compromised);
      const enc = await call(h, alice, '2.1', 'Encrypt', [uid(id), byteString(Tag.Data, Buffer.alloc(16))]);
      assert.equal(enc.reasonName, 'WrongKeyLifecycleState');
      assert.equal((await call(h, alice, '2.1', 'Destroy', [uid(id)])).resultStatus, 0);
      assert.equal((await h.services.store.get('tenant-a', id)).state, State.DestroyedCompromised);
    });

    it('two-concurrent-transitions-of-one-key-exactly-one-wins', async () => {
      for (let round = 0; round < 3; round++) {
        // The same transition twice: Pre-Active → Active can happen once.
        const id = await createKey(h, alice, '2.1', aesAttributes(256));
        const twice = await Promise.all([
          call(h, alice, '2.1', 'Activate', [uid(id)]),
          call(h, alice, '2.1', 'Activate', [uid(id)]),
        ]);
        assert.equal(
          twice.filter((r) => r.resultStatus === 0).length,
          1,
          JSON.stringify(twice.map((r) => r.reasonName)),
        );
        assert.equal((await h.services.store.get('tenant-a', id)).state, State.Active);
      }
    });

    it('concurrent-activate-and-compromise-end-in-a-state-some-serial-order-explains', async () => {
      for (let round = 0; round < 3; round++) {
        // Both may succeed (Activate, then Revoke from Active), or one loses with a clean error; no
        // update is lost either way.
        const id = await createKey(h, alice, '2.1', aesAttributes(256));
        const [activated, revoked] = await Promise.all([
          call(h, alice, '2.1', 'Activate', [uid(id)]),
          call(h, alice, '2.1', 'Revoke', [
            uid(id),
            structure(Tag.RevocationReason, [enumeration(Tag.RevocationReasonCode, 2)]),
          ]),
        ]);
        const state = (await h.services.store.get('tenant-a', id)).state;
        const won = [activated!.resultStatus === 0, revoked!.resultStatus === 0];
        assert.ok(won[0] || won[1], 'one of them wins');
        // Optimistic concurrency: the loser gets a clean error; what won explains the final state.
        assert.equal(state, won[1] ? State.Compromised : State.Active, JSON.stringify(won));
      }
    });

    it('encrypt-gcm-generates-the-iv-and-decrypt-checks-tag-and-aad', async () => {
      const id = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      const aad = Buffer.from('header');
      const enc = await call(h, alice, '1.4', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.GCM, [integer(Tag.TagLength, 12)]),
        byteString(Tag.Data, Buffer.from('secret data')),
        byteString(Tag.AuthenticatedEncryptionAdditionalData, aad),
      ]);
      assert.equal(enc.resultStatus, 0, enc.resultMessage);
      const iv = bytesOf(enc.payload, Tag.IVCounterNonce)!;
      const tag = bytesOf(enc.payload, Tag.AuthenticatedEncryptionTag)!;
      assert.equal(iv.length, 12);
      assert.equal(tag.length, 12);
      const dec = await call(h, alice, '1.4', 'Decrypt', [
        uid(id),
        params(BlockCipherMode.GCM),
        byteString(Tag.Data, bytesOf(enc.payload, Tag.Data)!),
        byteString(Tag.IVCounterNonce, iv),
        byteString(Tag.AuthenticatedEncryptionAdditionalData, aad),
        byteString(Tag.AuthenticatedEncryptionTag, tag),
      ]);
      assert.equal(Buffer.from(bytesOf(dec.payload, Tag.Data)!).toString(), 'secret data');
      const bad = await call(h, alice, '1.4', 'Decrypt', [
        uid(id),
        params(BlockCipherMode.GCM),
        byteString(Tag.Data, bytesOf(enc.payload, Tag.Data)!),
        byteString(Tag.IVCounterNonce, iv),
        byteString(Tag.AuthenticatedEncryptionTag, tag),
      ]);
      assert.equal(bad.reasonName, 'CryptographicFailure', 'AAD is authenticated');
      const noTag = await call(h, alice, '2.1', 'Decrypt', [
        uid(id),
        params(BlockCipherMode.GCM),
        byteString(Tag.Data, Buffer.alloc(4)),
        byteString(Tag.IVCounterNonce, iv),
      ]);
      assert.equal(noTag.reasonName, 'MissingData');
      const badParams = await call(h, alice, '2.1', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.CBC, [enumeration(Tag.PaddingMethod, PaddingMethod.OAEP)]),
        byteString(Tag.Data, Buffer.alloc(16)),
      ]);
      assert.equal(badParams.reasonName, 'FeatureNotSupported');
      const badIv = await call(h, alice, '2.1', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.CBC),
        byteString(Tag.Data, Buffer.alloc(16)),
        byteString(Tag.IVCounterNonce, Buffer.alloc(3)),
      ]);
      assert.equal(badIv.reasonName, 'InvalidField');
    });

    it('register-aes-key-encrypts-known-answers-in-ecb-cbc-kw-and-kwp', async () => {
      // FIPS-197 C.1 and RFC 3394 §4.1 vectors.
      const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
      const reg = await call(h, alice, '1.4', 'Register', [
        enumeration(Tag.ObjectType, 2),
        await attributesFor('1.4', [
          { name: 'CryptographicUsageMask', value: 0x3c },
          { name: 'ActivationDate', value: new Date(Date.now() - 1000) },
        ]),
        structure(Tag.SymmetricKey, [
          structure(Tag.KeyBlock, [
            enumeration(Tag.KeyFormatType, 1),
            structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, key)]),
            enumeration(Tag.CryptographicAlgorithm, 3),
            integer(Tag.CryptographicLength, 128),
          ]),
        ]),
      ]);
      assert.equal(reg.resultStatus, 0, reg.resultMessage);
      const id = textOf(reg.payload, Tag.UniqueIdentifier)!;
      const ecb = await call(h, alice, '1.4', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.ECB),
        byteString(Tag.Data, Buffer.from('00112233445566778899aabbccddeeff', 'hex')),
      ]);
      assert.equal(
        Buffer.from(bytesOf(ecb.payload, Tag.Data)!).toString('hex'),
        '69c4e0d86a7b0430d8cdb78070b4c55a',
      );
      const kw = await call(h, alice, '2.1', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.NISTKeyWrap),
        byteString(Tag.Data, Buffer.from('00112233445566778899aabbccddeeff', 'hex')),
      ]);
      assert.equal(
        Buffer.from(bytesOf(kw.payload, Tag.Data)!).toString('hex'),
        '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5',
      );
      const iv = Buffer.alloc(16, 9);
      const cbc = await call(h, alice, '1.4', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.CBC, [enumeration(Tag.PaddingMethod, PaddingMethod.PKCS5)]),
        byteString(Tag.Data, Buffer.from('seventeen bytes!!')),
        byteString(Tag.IVCounterNonce, iv),
      ]);
      const expected = createCipheriv('aes-128-cbc', key, iv);
      assert.deepEqual(
        Buffer.from(bytesOf(cbc.payload, Tag.Data)!),
        Buffer.concat([expected.update('seventeen bytes!!'), expected.final()]),
      );
      const back = await call(h, alice, '1.4', 'Decrypt', [
        uid(id),
        params(BlockCipherMode.CBC, [enumeration(Tag.PaddingMethod, PaddingMethod.PKCS5)]),
        byteString(Tag.Data, bytesOf(cbc.payload, Tag.Data)!),
        byteString(Tag.IVCounterNonce, iv),
      ]);
      assert.equal(Buffer.from(bytesOf(back.payload, Tag.Data)!).toString(), 'seventeen bytes!!');
      const kwp = await call(h, alice, '2.1', 'Encrypt', [
        uid(id),
        params(BlockCipherMode.AESKeyWrapPadding),
        byteString(Tag.Data, Buffer.from('odd-length')),
      ]);
      const unkwp = await call(h, alice, '2.1', 'Decrypt', [
        uid(id),
        params(BlockCipherMode.AESKeyWrapPadding),
        byteString(Tag.Data, bytesOf(kwp.payload, Tag.Data)!),
      ]);
      assert.equal(Buffer.from(bytesOf(unkwp.payload, Tag.Data)!).toString(), 'odd-length');
      // Nothing of the registered key reaches storage.
      assert.equal((await h.persistedBytes()).includes(key), false);
    });

    it('usage-mask-and-state-are-enforced-with-the-versions-reason', async () => {
      const decryptOnly = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x08, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      const e21 = await call(h, alice, '2.1', 'Encrypt', [
        uid(decryptOnly),
        byteString(Tag.Data, Buffer.alloc(16)),
      ]);
      assert.equal(e21.reasonName, 'IncompatibleCryptographicUsageMask');
      const e14 = await call(h, alice, '1.4', 'Encrypt', [
        uid(decryptOnly),
        byteString(Tag.Data, Buffer.alloc(16)),
      ]);
      assert.equal(e14.reasonName, 'PermissionDenied');
      const preActive = await createKey(h, alice, '2.1', aesAttributes(256));
      assert.equal(
        (await call(h, alice, '2.1', 'Encrypt', [uid(preActive), byteString(Tag.Data, Buffer.alloc(16))]))
          .reasonName,
        'WrongKeyLifecycleState',
      );
      const stopped = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [
          { name: 'ActivationDate', value: new Date(Date.now() - 10_000) },
          { name: 'ProtectStopDate', value: new Date(Date.now() - 1000) },
        ]),
      );
      assert.equal(
        (await call(h, alice, '2.1', 'Encrypt', [uid(stopped), byteString(Tag.Data, Buffer.alloc(16))]))
          .reasonName,
        'WrongKeyLifecycleState',
      );
    });

    it('rekey-links-versions-and-the-old-version-only-decrypts', async () => {
      const old = await createKey(
        h,
        alice,
        '1.4',
        aesAttributes(256, 0x0c, [
          { name: 'ActivationDate', value: new Date(Date.now() - 1000) },
          { name: 'Name', value: { NameValue: `rk-${randomBytes(3).toString('hex')}`, NameType: 1 } },
        ]),
      );
      const enc = await call(h, alice, '2.1', 'Encrypt', [
        uid(old),
        byteString(Tag.Data, Buffer.from('before rekey')),
      ]);
      const rk = await call(h, alice, '1.4', 'ReKey', [uid(old), interval(Tag.Offset, 0)]);
      assert.equal(rk.resultStatus, 0, rk.resultMessage);
      const fresh = textOf(rk.payload, Tag.UniqueIdentifier)!;
      assert.notEqual(fresh, old);
      const o = await h.services.store.get('tenant-a', old);
      const n = await h.services.store.get('tenant-a', fresh);
      assert.ok(o.links.some((l) => l.linkType === 0x106 && l.linkedObjectId === fresh));
      assert.ok(n.links.some((l) => l.linkType === 0x107 && l.linkedObjectId === old));
      assert.equal(n.state, State.Active);
      assert.ok(n.attributes.some((a) => a.name === 'Name') && !o.attributes.some((a) => a.name === 'Name'));
      assert.equal(
        (await call(h, alice, '2.1', 'Encrypt', [uid(old), byteString(Tag.Data, Buffer.alloc(4))]))
          .reasonName,
        'WrongKeyLifecycleState',
      );
      const dec = await call(h, alice, '2.1', 'Decrypt', [
        uid(old),
        byteString(Tag.Data, bytesOf(enc.payload, Tag.Data)!),
        byteString(Tag.IVCounterNonce, bytesOf(enc.payload, Tag.IVCounterNonce)!),
        byteString(Tag.AuthenticatedEncryptionTag, bytesOf(enc.payload, Tag.AuthenticatedEncryptionTag)!),
      ]);
      assert.equal(Buffer.from(bytesOf(dec.payload, Tag.Data)!).toString(), 'before rekey');
      assert.equal(
        (await call(h, alice, '2.1', 'Encrypt', [uid(fresh), byteString(Tag.Data, Buffer.alloc(4))]))
          .resultStatus,
        0,
      );
    });

    it('an-l3-leaves-only-wrapped-and-only-to-a-gateway', async () => {
      const l3 = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      assert.equal((await call(h, alice, '2.1', 'Get', [uid(l3)])).reasonName, 'PermissionDenied');
      assert.equal((await call(h, gateway, '2.1', 'Get', [uid(l3)])).reasonName, 'PermissionDenied');
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const reg = await call(h, gateway, '2.1', 'Register', [
        enumeration(Tag.ObjectType, 3),
        await attributesFor('2.1', [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
        structure(Tag.PublicKey, [
          structure(Tag.KeyBlock, [
            enumeration(Tag.KeyFormatType, 5),
            structure(Tag.KeyValue, [
              byteString(Tag.KeyMaterial, publicKey.export({ format: 'der', type: 'spki' })),
            ]),
            enumeration(Tag.CryptographicAlgorithm, 4),
            integer(Tag.CryptographicLength, 2048),
          ]),
        ]),
      ]);
      assert.equal(reg.resultStatus, 0, reg.resultMessage);
      const transport = textOf(reg.payload, Tag.UniqueIdentifier)!;
      const get = await call(h, gateway, '2.1', 'Get', [
        uid(l3),
        structure(Tag.KeyWrappingSpecification, [
          enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
          structure(Tag.EncryptionKeyInformation, [uid(transport)]),
          enumeration(Tag.EncodingOption, EncodingOption.NoEncoding),
        ]),
      ]);
      assert.equal(get.resultStatus, 0, get.resultMessage);
      const block = child(child(get.payload, Tag.SymmetricKey), Tag.KeyBlock);
      const wrapped = child(block, Tag.KeyValue);
      assert.equal(wrapped?.type, 'ByteString');
      const plain = privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(wrapped!.value as Uint8Array),
      );
      assert.equal(plain.length, 32);
      // The unwrapped key is the L3 the core encrypts with.
      const enc = await call(h, alice, '2.1', 'Encrypt', [
        uid(l3),
        params(BlockCipherMode.ECB),
        byteString(Tag.Data, Buffer.alloc(16, 1)),
      ]);
      const local = createCipheriv('aes-256-ecb', plain, null)
        .setAutoPadding(false)
        .update(Buffer.alloc(16, 1));
      assert.deepEqual(Buffer.from(bytesOf(enc.payload, Tag.Data)!), local);
      // TTLV encoding (default) wraps the Key Value structure; under an AES L3 with NIST key wrap.
      const kek = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x30, [{ name: 'ActivationDate', value: new Date(Date.now() - 1000) }]),
      );
      const aesGet = await call(h, gateway, '1.4', 'Get', [
        uid(l3),
        structure(Tag.KeyWrappingSpecification, [
          enumeration(Tag.WrappingMethod, 1),
          structure(Tag.EncryptionKeyInformation, [uid(kek), params(BlockCipherMode.NISTKeyWrap)]),
        ]),
      ]);
      assert.equal(aesGet.resultStatus, 0, aesGet.resultMessage);
      const unwrapped = await call(h, alice, '2.1', 'Decrypt', [
        uid(kek),
        params(BlockCipherMode.NISTKeyWrap),
        byteString(
          Tag.Data,
          child(child(child(aesGet.payload, Tag.SymmetricKey), Tag.KeyBlock), Tag.KeyValue)!
            .value as Uint8Array,
        ),
      ]);
      const keyValue = decodeTtlv(Buffer.from(bytesOf(unwrapped.payload, Tag.Data)!));
      assert.deepEqual(Buffer.from(child(keyValue, Tag.KeyMaterial)!.value as Uint8Array), plain);
      // Foreign wrapping key: as missing, Wrapping Object Not Found (KMIP 2.1 §6.1.21; 1.x Item Not Found).
      const bobKey = await createKey(h, bob, '2.1', aesAttributes(256, 0x30));
      const under = (version: KmipVersion, keyId: string) =>
        call(h, gateway, version, 'Get', [
          uid(l3),
          structure(Tag.KeyWrappingSpecification, [
            enumeration(Tag.WrappingMethod, 1),
            structure(Tag.EncryptionKeyInformation, [uid(keyId)]),
          ]),
        ]);
      for (const [version, reason] of [
        ['2.1', 'WrappingObjectNotFound'],
        ['1.4', 'ItemNotFound'],
      ] as const) {
        const foreign = await under(version, bobKey);
        assert.equal(foreign.reasonName, reason);
        const missing = await under(version, 'no-such-key');
        assert.equal(missing.reasonName, reason);
        assert.equal(missing.resultMessage, foreign.resultMessage);
      }
    });

    it('l2-material-never-leaves-the-core', async () => {
      const l3 = await createKey(h, alice, '2.1', aesAttributes(256));
      const l2 = (await h.services.store.get('tenant-a', l3)).keyMaterial!.wrappingKeyId;
      const r = await call(h, gateway, '2.1', 'Get', [
        uid(l2),
        structure(Tag.KeyWrappingSpecification, [
          enumeration(Tag.WrappingMethod, 1),
          structure(Tag.EncryptionKeyInformation, [uid(l3)]),
        ]),
      ]);
      assert.equal(r.reasonName, 'PermissionDenied');
      assert.match(r.resultMessage ?? '', /L2 tenant keys never leave the core/);
    });

    it('placeholder-chains-create-activate-encrypt-in-one-batch', async () => {
      const items = await batch(h, alice, '2.1', [
        ['Create', [enumeration(Tag.ObjectType, 2), await attributesFor('2.1', aesAttributes(128))]],
        ['Activate', []],
        [
          'Encrypt',
          [params(BlockCipherMode.GCM, [boolean(Tag.RandomIV, true)]), byteString(Tag.Data, Buffer.alloc(8))],
        ],
      ]);
      assert.deepEqual(
        items.map((i) => i.resultStatus),
        [0, 0, 0],
        JSON.stringify(items.map((i) => i.resultMessage)),
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
