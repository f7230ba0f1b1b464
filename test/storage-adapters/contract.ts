/**
 * The Store contract: every storage adapter runs this suite through a factory (the keyv
 * `storageTestSuite` habit). Each test works in its own tenant, so tests share one database
 * per suite and also prove tenant isolation as they go.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isKryptonError, type ErrorCode } from '../../core/errors.js';
import {
  LinkType,
  ObjectGroupMember,
  ObjectType,
  State,
  StorageStatus,
  toStoreError,
  wrappedKeyMaterial,
  type NewManagedObject,
  type Store,
  type StoreTuning,
  type WrappedKeyMaterial,
} from '../../storage-adapters/index.js';

export interface StoreHarness {
  readonly store: Store;
  /** A second store on the same database: another connection, as another process would have. */
  openStore(tuning?: StoreTuning): Promise<Store>;
  /** What the backend persisted, to scan for plaintext (file bytes, or rows rendered as text). */
  persistedBytes(): Promise<Buffer[]>;
  close(): Promise<void>;
}

export type StoreHarnessFactory = () => Promise<StoreHarness>;

const newTenant = (): string => `tenant-${randomUUID()}`;

async function rejectsWithCode(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(isKryptonError(err), `expected a KryptonError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** AES-256-GCM wrap, as the key hierarchy does it: nonce ‖ tag ‖ ciphertext. */
function wrapUnderKek(kek: Buffer, kekId: string, key: Uint8Array): WrappedKeyMaterial {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return wrappedKeyMaterial({
    wrapped: Buffer.concat([nonce, cipher.getAuthTag(), body]),
    wrappingKeyId: kekId,
    wrappingMethod: 'AES-256-GCM',
    metadata: { keyFormatType: 1 },
  });
}

function unwrapUnderKek(kek: Buffer, material: WrappedKeyMaterial): Buffer {
  const w = Buffer.from(material.wrapped);
  const decipher = createDecipheriv('aes-256-gcm', kek, w.subarray(0, 12));
  decipher.setAuthTag(w.subarray(12, 28));
  return Buffer.concat([decipher.update(w.subarray(28)), decipher.final()]);
}

/** Every form a leaked value could take in storage: raw bytes, hex, base64. */
function containsSecret(haystacks: readonly Buffer[], secret: Buffer): boolean {
  const needles = [
    secret,
    Buffer.from(secret.toString('hex')),
    Buffer.from(secret.toString('hex').toUpperCase()),
    Buffer.from(secret.toString('base64')),
  ];
  return haystacks.some((h) => needles.some((n) => h.includes(n)));
}

function symmetricKey(overrides: Partial<NewManagedObject> = {}): NewManagedObject {
  return {
    objectType: ObjectType.SymmetricKey,
    owner: 'alice',
    cryptographicAlgorithm: 3,
    cryptographicLength: 256,
    ...overrides,
  };
}

export function storeContractSuite(name: string, factory: StoreHarnessFactory): void {
  describe(name, () => {
    let harness: StoreHarness;
    let store: Store;
    const kek = randomBytes(32);
    const material = (): WrappedKeyMaterial => wrapUnderKek(kek, 'kek-1', randomBytes(32));

    before(async () => {
      harness = await factory();
      store = harness.store;
    });
    after(async () => {
      await harness?.close();
    });

    describe('objects', () => {
      it('create-then-get-round-trips-every-field', async () => {
        const tenant = newTenant();
        const activation = new Date(Date.UTC(2031, 0, 2, 3, 4, 5, 678));
        const key = material();
        const created = await store.create(tenant, {
          ...symmetricKey({ keyLevel: 3, state: State.Active }),
          dates: { ActivationDate: activation },
          keyMaterial: key,
          publicMaterial: new Uint8Array([9, 8, 7]),
          fresh: false,
        });
        const got = await store.get(tenant, created.id);
        assert.deepEqual(got, created);
        assert.equal(got.tenant, tenant);
        assert.equal(got.owner, 'alice');
        assert.equal(got.objectType, ObjectType.SymmetricKey);
        assert.equal(got.state, State.Active);
        assert.equal(got.keyLevel, 3);
        assert.equal(got.cryptographicAlgorithm, 3);
        assert.equal(got.cryptographicLength, 256);
        assert.equal(got.dates.ActivationDate?.getTime(), activation.getTime());
        assert.ok(got.dates.InitialDate instanceof Date);
        assert.ok(got.dates.LastChangeDate instanceof Date);
        assert.equal(got.fresh, false);
        assert.equal(got.archived, false);
        assert.equal(got.version, 1);
        assert.deepEqual(got.publicMaterial, new Uint8Array([9, 8, 7]));
        assert.ok(got.keyMaterial);
        assert.deepEqual(got.keyMaterial.wrapped, key.wrapped);
        assert.equal(got.keyMaterial.wrappingKeyId, 'kek-1');
        assert.equal(got.keyMaterial.wrappingMethod, 'AES-256-GCM');
        assert.deepEqual(got.keyMaterial.metadata, { keyFormatType: 1 });
      });

      it('defaults-to-pre-active-fresh-uuid-v7', async () => {
        const tenant = newTenant();
        const before = Date.now();
        const created = await store.create(tenant, symmetricKey());
        // RFC 9562 version 7: the creation time in milliseconds, then random bits.
        assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const ms = parseInt(created.id.slice(0, 8) + created.id.slice(9, 13), 16);
        assert.ok(ms >= before && ms <= Date.now(), `${ms} not within the create`);
        assert.equal(created.state, State.PreActive);
        assert.equal(created.fresh, true);
        assert.equal(created.keyMaterial, undefined);
        assert.equal(created.keyLevel, undefined);
      });

      it('explicit-identifier-is-kept-and-a-duplicate-is-refused', async () => {
        const tenant = newTenant();
        const id = `custom-${randomUUID()}`;
        assert.equal((await store.create(tenant, symmetricKey({ id }))).id, id);
        await rejectsWithCode(store.create(tenant, symmetricKey({ id })), 'KRY_STORE_EXISTS');
        // Identifiers are global: another tenant cannot claim it either.
        await rejectsWithCode(store.create(newTenant(), symmetricKey({ id })), 'KRY_STORE_EXISTS');
      });

      it('concurrent-creates-are-atomic-each-and-a-failure-stays-its-own', async () => {
        const tenant = newTenant();
        const taken = (await store.create(tenant, symmetricKey())).id;
        // Started together: a store may commit them as one group; the duplicate fails alone.
        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            store.create(
              tenant,
              symmetricKey({
                ...(i === 5 && { id: taken }),
                attributes: [{ name: 'Name', value: `together-${i}` }],
                keyMaterial: material(),
              }),
            ),
          ),
        );
        assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 1);
        const failed = outcomes[5];
        assert.equal(failed?.status, 'rejected');
        assert.equal((failed as PromiseRejectedResult).reason.code, 'KRY_STORE_EXISTS');
        for (const [i, o] of outcomes.entries()) {
          if (o.status !== 'fulfilled') continue;
          assert.deepEqual(await store.get(tenant, o.value.id), o.value);
          assert.deepEqual((await store.locate(tenant, { names: [`together-${i}`] })).ids, [o.value.id]);
        }
        assert.deepEqual((await store.locate(tenant, { names: ['together-5'] })).ids, []);
      });

      it('missing-object-is-not-found', async () => {
        await rejectsWithCode(store.get(newTenant(), randomUUID()), 'KRY_STORE_NOT_FOUND');
      });

      it('create-many-inserts-in-one-transaction', async () => {
        const tenant = newTenant();
        const ids = await store.createMany(
          tenant,
          Array.from({ length: 450 }, (_, i) =>
            symmetricKey({ attributes: [{ name: 'Name', value: `bulk-${i}` }], keyMaterial: material() }),
          ),
        );
        assert.equal(ids.length, 450);
        assert.equal(new Set(ids).size, 450);
        const got = await store.get(tenant, ids[449] as string);
        assert.deepEqual(got.attributes, [{ name: 'Name', index: 0, value: 'bulk-449' }]);
        const located = await store.locate(tenant, { names: ['bulk-7'] });
        assert.deepEqual(located.ids, [ids[7]]);
        // A bad object in the batch leaves nothing behind.
        await rejectsWithCode(
          store.createMany(tenant, [symmetricKey({ id: 'atomic-1' }), symmetricKey({ id: ids[0] })]),
          'KRY_STORE_EXISTS',
        );
        await rejectsWithCode(store.get(tenant, 'atomic-1'), 'KRY_STORE_NOT_FOUND');
      });

      it('purge-removes-object-attributes-and-links', async () => {
        const tenant = newTenant();
        const o = await store.create(
          tenant,
          symmetricKey({
            attributes: [{ name: 'Name', value: 'purged' }],
            links: [{ linkType: LinkType.ParentLink, linkedObjectId: 'p' }],
          }),
        );
        await store.purge(tenant, o.id);
        await rejectsWithCode(store.get(tenant, o.id), 'KRY_STORE_NOT_FOUND');
        assert.deepEqual((await store.locate(tenant, { names: ['purged'] })).ids, []);
        // The identifier is free again, with no stale attribute rows attached.
        const again = await store.create(tenant, symmetricKey({ id: o.id }));
        assert.deepEqual(again.attributes, []);
        assert.deepEqual(again.links, []);
      });
    });

    describe('attributes', () => {
      it('attribute-values-round-trip-exactly', async () => {
        const tenant = newTenant();
        const when = new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999));
        const values = {
          'x-text': 'ünïcødé ✓ 🔑',
          'x-int': 42,
          'x-float': 0.1,
          'x-negative': -7,
          'x-bigint': 18446744073709551615n,
          'x-negative-bigint': -9223372036854775808n,
          'x-true': true,
          'x-false': false,
          'x-bytes': new Uint8Array([0, 255, 1, 254]),
          'x-empty-bytes': new Uint8Array(0),
          'x-date': when,
          'x-struct': {
            Outer: { Inner: 5n, When: when, Bytes: new Uint8Array([1]) },
            ['__proto__']: 'kept as data',
            Flag: true,
          },
        };
        const o = await store.create(tenant, {
          ...symmetricKey(),
          attributes: Object.entries(values).map(([n, value]) => ({ name: n, value })),
        });
        const got = await store.get(tenant, o.id);
        for (const [n, value] of Object.entries(values)) {
          const stored = got.attributes.find((a) => a.name === n);
          assert.ok(stored, n);
          assert.deepEqual(stored.value, value, n);
        }
        const struct = got.attributes.find((a) => a.name === 'x-struct')?.value as Record<string, unknown>;
        assert.equal(Object.getPrototypeOf(struct), Object.prototype);
        assert.ok(Object.hasOwn(struct, '__proto__'));
        assert.equal(typeof (got.attributes.find((a) => a.name === 'x-bigint')?.value as unknown), 'bigint');
      });

      it('multi-valued-attributes-add-modify-delete-by-index', async () => {
        const tenant = newTenant();
        const o = await store.create(
          tenant,
          symmetricKey({ attributes: [{ name: 'ObjectGroup', value: 'a' }] }),
        );
        assert.equal(await store.addAttribute(tenant, o.id, { name: 'ObjectGroup', value: 'b' }), 1);
        assert.equal(await store.addAttribute(tenant, o.id, { name: 'ObjectGroup', value: 'c' }), 2);
        let got = await store.modifyAttribute(tenant, o.id, { name: 'ObjectGroup' }, 1, 'B');
        assert.deepEqual(
          got.attributes.map((a) => [a.index, a.value]),
          [
            [0, 'a'],
            [1, 'B'],
            [2, 'c'],
          ],
        );
        assert.equal(await store.deleteAttribute(tenant, o.id, { name: 'ObjectGroup' }, 0), 1);
        got = await store.get(tenant, o.id);
        assert.deepEqual(
          got.attributes.map((a) => [a.index, a.value]),
          [
            [1, 'B'],
            [2, 'c'],
          ],
        );
        assert.equal(got.version, 5);
        await rejectsWithCode(
          store.modifyAttribute(tenant, o.id, { name: 'ObjectGroup' }, 0, 'z'),
          'KRY_STORE_NOT_FOUND',
        );
        await rejectsWithCode(
          store.deleteAttribute(tenant, o.id, { name: 'ObjectGroup' }, 9),
          'KRY_STORE_NOT_FOUND',
        );
        // A failed change does not bump the version.
        assert.equal((await store.get(tenant, o.id)).version, 5);
        assert.equal(await store.deleteAttribute(tenant, o.id, { name: 'ObjectGroup' }), 2);
        assert.deepEqual((await store.get(tenant, o.id)).attributes, []);
      });

      it('set-attribute-replaces-every-value-and-updates-locate', async () => {
        const tenant = newTenant();
        const o = await store.create(
          tenant,
          symmetricKey({
            attributes: [
              { name: 'x-purpose', value: 'old-1' },
              { name: 'x-purpose', value: 'old-2' },
            ],
          }),
        );
        const got = await store.setAttribute(tenant, o.id, { name: 'x-purpose', value: 'new' });
        assert.deepEqual(got.attributes, [{ name: 'x-purpose', index: 0, value: 'new' }]);
        assert.ok((got.dates.LastChangeDate as Date).getTime() >= (o.dates.LastChangeDate as Date).getTime());
        assert.deepEqual(
          (await store.locate(tenant, { attributes: [{ name: 'x-purpose', value: 'old-1' }] })).ids,
          [],
        );
        assert.deepEqual(
          (await store.locate(tenant, { attributes: [{ name: 'x-purpose', value: 'new' }] })).ids,
          [o.id],
        );
      });

      it('vendor-attributes-are-apart-from-standard-and-custom-names', async () => {
        const tenant = newTenant();
        const o = await store.create(
          tenant,
          symmetricKey({
            attributes: [
              { name: 'Name', value: 'std' },
              { name: 'Name', vendorIdentification: 'krypton', value: 'vendor' },
              { name: 'Level', vendorIdentification: 'krypton', value: 3 },
              { name: 'Level', vendorIdentification: 'other', value: 4 },
              { name: 'x-Level', value: 2 },
            ],
          }),
        );
        const got = await store.get(tenant, o.id);
        assert.equal(got.attributes.length, 5);
        const level = (vendor: string | undefined, value: number) =>
          store.locate(tenant, {
            attributes: [
              {
                name: vendor ? 'Level' : 'x-Level',
                value,
                ...(vendor ? { vendorIdentification: vendor } : {}),
              },
            ],
          });
        assert.deepEqual((await level('krypton', 3)).ids, [o.id]);
        assert.deepEqual((await level('krypton', 4)).ids, []);
        assert.deepEqual((await level('other', 4)).ids, [o.id]);
        assert.deepEqual((await level(undefined, 2)).ids, [o.id]);
        assert.deepEqual((await store.locate(tenant, { names: ['vendor'] })).ids, []);
        assert.deepEqual((await store.locate(tenant, { names: ['std'] })).ids, [o.id]);
        // bigint and number of the same integer are the same KMIP value.
        assert.deepEqual(
          (
            await store.locate(tenant, {
              attributes: [{ name: 'Level', vendorIdentification: 'krypton', value: 3n }],
            })
          ).ids,
          [o.id],
        );
      });

      it('promoted-attributes-are-refused-as-generic-attributes', async () => {
        const tenant = newTenant();
        const o = await store.create(tenant, symmetricKey());
        for (const n of [
          'State',
          'ObjectType',
          'CryptographicAlgorithm',
          'Link',
          'ActivationDate',
          'UniqueIdentifier',
        ]) {
          await rejectsWithCode(
            store.setAttribute(tenant, o.id, { name: n, value: 1 }),
            'KRY_STORE_BAD_QUERY',
          );
        }
        await rejectsWithCode(
          store.create(tenant, symmetricKey({ attributes: [{ name: 'State', value: 2 }] })),
          'KRY_STORE_BAD_QUERY',
        );
        assert.equal((await store.get(tenant, o.id)).state, State.PreActive);
      });

      it('long-and-odd-values-are-indexed-and-found', async () => {
        const tenant = newTenant();
        const long = 'L'.repeat(5000);
        const withNul = 'a\u0000b';
        const imitation = '\u0001["i","5"]';
        const o = await store.create(
          tenant,
          symmetricKey({
            attributes: [
              { name: 'x-long', value: long },
              { name: 'x-nul', value: withNul },
              { name: 'x-imitation', value: imitation },
              { name: 'x-five', value: 5 },
            ],
          }),
        );
        const find = async (n: string, value: string | number) =>
          (await store.locate(tenant, { attributes: [{ name: n, value }] })).ids;
        assert.deepEqual(await find('x-long', long), [o.id]);
        assert.deepEqual(await find('x-long', long + 'x'), []);
        assert.deepEqual(await find('x-nul', withNul), [o.id]);
        assert.deepEqual(await find('x-imitation', imitation), [o.id]);
        assert.deepEqual(await find('x-five', imitation), []);
        assert.deepEqual(await find('x-five', '5'), []);
        assert.equal(
          (await store.get(tenant, o.id)).attributes.find((a) => a.name === 'x-nul')?.value,
          withNul,
        );
      });
    });

    describe('links and rekey', () => {
      it('links-add-remove-and-are-deduplicated', async () => {
        const tenant = newTenant();
        const parent = await store.create(tenant, symmetricKey());
        const child = await store.create(
          tenant,
          symmetricKey({ links: [{ linkType: LinkType.ParentLink, linkedObjectId: parent.id }] }),
        );
        await store.addLink(tenant, parent.id, { linkType: LinkType.ChildLink, linkedObjectId: child.id });
        const twice = await store.addLink(tenant, parent.id, {
          linkType: LinkType.ChildLink,
          linkedObjectId: child.id,
        });
        assert.deepEqual(twice.links, [{ linkType: LinkType.ChildLink, linkedObjectId: child.id }]);
        await store.addLink(tenant, parent.id, {
          linkType: LinkType.ChildLink,
          linkedObjectId: 'second-child',
        });
        assert.equal((await store.get(tenant, parent.id)).links.length, 2);
        const removed = await store.removeLink(tenant, parent.id, {
          linkType: LinkType.ChildLink,
          linkedObjectId: 'second-child',
        });
        assert.deepEqual(removed.links, [{ linkType: LinkType.ChildLink, linkedObjectId: child.id }]);
        await rejectsWithCode(
          store.removeLink(tenant, parent.id, {
            linkType: LinkType.ChildLink,
            linkedObjectId: 'second-child',
          }),
          'KRY_STORE_NOT_FOUND',
        );
      });

      it('rekey-creates-replacement-links-both-ways-and-moves-names', async () => {
        const tenant = newTenant();
        const old = await store.create(
          tenant,
          symmetricKey({
            state: State.Active,
            keyMaterial: material(),
            attributes: [
              { name: 'Name', value: { NameValue: 'service-kek', NameType: 1 } },
              { name: 'ObjectGroup', value: 'kek' },
            ],
          }),
        );
        const deactivation = new Date(Date.UTC(2030, 5, 1));
        const { replacement, replaced } = await store.rekey(tenant, old.id, {
          replacement: symmetricKey({ state: State.Active, keyMaterial: material(), keyLevel: 3 }),
          replaced: { dates: { DeactivationDate: deactivation } },
          moveAttributes: [{ name: 'Name' }],
          expectedVersion: old.version,
        });
        assert.notEqual(replacement.id, old.id);
        assert.deepEqual(replacement.links, [
          { linkType: LinkType.ReplacedObjectLink, linkedObjectId: old.id },
        ]);
        assert.deepEqual(replaced.links, [
          { linkType: LinkType.ReplacementObjectLink, linkedObjectId: replacement.id },
        ]);
        assert.deepEqual(
          replacement.attributes.map((a) => a.name),
          ['Name'],
        );
        assert.deepEqual(
          replaced.attributes.map((a) => a.name),
          ['ObjectGroup'],
        );
        assert.equal(replaced.dates.DeactivationDate?.getTime(), deactivation.getTime());
        assert.equal(replaced.version, old.version + 1);
        assert.deepEqual((await store.locate(tenant, { names: ['service-kek'] })).ids, [replacement.id]);
        // The chain walks forward from the replaced key.
        assert.deepEqual(
          (
            await store.locate(tenant, {
              links: [{ linkType: LinkType.ReplacedObjectLink, linkedObjectId: old.id }],
            })
          ).ids,
          [replacement.id],
        );
      });

      it('rekey-that-fails-leaves-nothing-behind', async () => {
        const tenant = newTenant();
        const old = await store.create(
          tenant,
          symmetricKey({ attributes: [{ name: 'Name', value: 'stays' }], keyMaterial: material() }),
        );
        const replacementId = `replacement-${randomUUID()}`;
        await rejectsWithCode(
          store.rekey(tenant, old.id, {
            replacement: symmetricKey({ id: replacementId }),
            replaced: { transition: { from: [State.Active], to: State.Deactivated } },
            moveAttributes: [{ name: 'Name' }],
          }),
          'KRY_STORE_WRONG_STATE',
        );
        await rejectsWithCode(store.get(tenant, replacementId), 'KRY_STORE_NOT_FOUND');
        assert.deepEqual(await store.get(tenant, old.id), old);
        await rejectsWithCode(
          store.rekey(tenant, old.id, { replacement: symmetricKey(), expectedVersion: old.version + 1 }),
          'KRY_STORE_CONFLICT',
        );
        assert.deepEqual(await store.get(tenant, old.id), old);
      });

      it('concurrent-rekeys-make-exactly-one-replacement', async () => {
        const tenant = newTenant();
        const other = await harness.openStore();
        try {
          const old = await store.create(tenant, symmetricKey({ state: State.Active }));
          const results = await Promise.allSettled(
            Array.from({ length: 6 }, (_, i) =>
              (i % 2 ? other : store).rekey(tenant, old.id, {
                replacement: symmetricKey(),
                replaced: { transition: { from: [State.Active], to: State.Deactivated } },
              }),
            ),
          );
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
          for (const r of results) {
            if (r.status === 'rejected') {
              assert.ok(isKryptonError(r.reason));
              assert.ok(
                ['KRY_STORE_CONFLICT', 'KRY_STORE_WRONG_STATE'].includes(r.reason.code),
                r.reason.code,
              );
            }
          }
          const after = await store.get(tenant, old.id);
          assert.equal(after.links.filter((l) => l.linkType === LinkType.ReplacementObjectLink).length, 1);
          assert.equal((await store.locate(tenant, {})).ids.length, 2);
        } finally {
          await other.close();
        }
      });
    });

    describe('lifecycle and concurrency', () => {
      it('transition-checks-from-states-and-expected-version', async () => {
        const tenant = newTenant();
        const o = await store.create(tenant, symmetricKey());
        await rejectsWithCode(
          store.transition(tenant, o.id, { from: [State.Active], to: State.Deactivated }),
          'KRY_STORE_WRONG_STATE',
        );
        await rejectsWithCode(
          store.transition(tenant, o.id, { from: [State.PreActive], to: State.Active, expectedVersion: 7 }),
          'KRY_STORE_CONFLICT',
        );
        const when = new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 1));
        const active = await store.transition(tenant, o.id, {
          from: [State.PreActive],
          to: State.Active,
          dates: { ActivationDate: when },
          expectedVersion: 1,
        });
        assert.equal(active.state, State.Active);
        assert.equal(active.version, 2);
        assert.equal(active.dates.ActivationDate?.getTime(), when.getTime());
        await rejectsWithCode(
          store.transition(tenant, o.id, { from: [State.PreActive], to: State.Active }),
          'KRY_STORE_WRONG_STATE',
        );
      });

      it('destroy-transition-removes-key-material', async () => {
        const tenant = newTenant();
        const o = await store.create(
          tenant,
          symmetricKey({
            state: State.Deactivated,
            keyMaterial: material(),
            publicMaterial: new Uint8Array([1]),
          }),
        );
        const destroyed = await store.transition(tenant, o.id, {
          from: [State.PreActive, State.Deactivated],
          to: State.Destroyed,
          dates: { DestroyDate: new Date() },
        });
        assert.equal(destroyed.keyMaterial, undefined);
        assert.equal(destroyed.publicMaterial, undefined);
        assert.ok(destroyed.dates.DestroyDate);
        assert.equal((await store.get(tenant, o.id)).keyMaterial, undefined);
      });

      it('consume-usage-decrements-the-count-only-while-enough-remains', async () => {
        const tenant = newTenant();
        const limited = await store.create(
          tenant,
          symmetricKey({
            attributes: [{ name: 'UsageLimits', value: { UsageLimitsTotal: 16n, UsageLimitsUnit: 1 } }],
          }),
        );
        assert.equal(await store.consumeUsage(tenant, limited.id, 10n), 6n);
        await rejectsWithCode(store.consumeUsage(tenant, limited.id, 7n), 'KRY_STORE_USAGE_LIMIT');
        const after = await store.get(tenant, limited.id);
        assert.deepEqual(after.attributes.find((a) => a.name === 'UsageLimits')?.value, {
          UsageLimitsTotal: 16n,
          UsageLimitsUnit: 1,
          UsageLimitsCount: 6n,
        });
        assert.equal(await store.consumeUsage(tenant, limited.id, 6n), 0n);
        await rejectsWithCode(store.consumeUsage(tenant, limited.id, 1n), 'KRY_STORE_USAGE_LIMIT');
        // No Usage Limits: nothing to consume, nothing changed.
        const free = await store.create(tenant, symmetricKey());
        assert.equal(await store.consumeUsage(tenant, free.id, 1000n), undefined);
        assert.equal((await store.get(tenant, free.id)).version, free.version);
        // Another tenant's object is a missing one.
        await rejectsWithCode(store.consumeUsage(newTenant(), limited.id, 1n), 'KRY_STORE_NOT_FOUND');
        await rejectsWithCode(store.consumeUsage(tenant, 'no-such-object', 1n), 'KRY_STORE_NOT_FOUND');
      });

      it('concurrent-consume-usage-never-overdraws', async () => {
        const tenant = newTenant();
        const other = await harness.openStore();
        try {
          const o = await store.create(
            tenant,
            symmetricKey({
              attributes: [{ name: 'UsageLimits', value: { UsageLimitsTotal: 10n, UsageLimitsUnit: 1 } }],
            }),
          );
          const results = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).consumeUsage(tenant, o.id, 3n)),
          );
          const won = results.filter((r) => r.status === 'fulfilled').length;
          assert.ok(won >= 1 && won <= 3, `won ${won}`);
          for (const r of results) {
            if (r.status === 'rejected') {
              assert.ok(isKryptonError(r.reason), String(r.reason));
              assert.ok(
                ['KRY_STORE_USAGE_LIMIT', 'KRY_STORE_CONFLICT'].includes(r.reason.code),
                r.reason.code,
              );
            }
          }
          const limits = (await store.get(tenant, o.id)).attributes.find(
            (a) => a.name === 'UsageLimits',
          )?.value;
          assert.ok(
            limits &&
              typeof limits === 'object' &&
              !(limits instanceof Uint8Array) &&
              !(limits instanceof Date),
          );
          assert.equal(limits.UsageLimitsCount, 10n - 3n * BigInt(won));
        } finally {
          await other.close();
        }
      });

      it('concurrent-transitions-exactly-one-wins', async () => {
        const tenant = newTenant();
        const other = await harness.openStore();
        try {
          for (let round = 0; round < 10; round += 1) {
            const o = await store.create(tenant, symmetricKey());
            // Activate and Destroy race, each from PreActive, on two connections.
            const results = await Promise.allSettled(
              Array.from({ length: 8 }, (_, i) =>
                (i % 2 ? other : store).transition(tenant, o.id, {
                  from: [State.PreActive],
                  to: i % 4 < 2 ? State.Active : State.Destroyed,
                }),
              ),
            );
            const won = results.filter((r) => r.status === 'fulfilled');
            assert.equal(won.length, 1, `round ${round}`);
            for (const r of results) {
              if (r.status === 'rejected') {
                assert.ok(isKryptonError(r.reason), String(r.reason));
                assert.ok(
                  ['KRY_STORE_CONFLICT', 'KRY_STORE_WRONG_STATE'].includes(r.reason.code),
                  r.reason.code,
                );
              }
            }
            const final = await store.get(tenant, o.id);
            assert.equal(final.version, 2);
            assert.equal(final.state, (won[0] as PromiseFulfilledResult<{ state: State }>).value.state);
          }
        } finally {
          await other.close();
        }
      });

      it('no-lost-update-under-parallel-attribute-changes', async () => {
        const tenant = newTenant();
        const other = await harness.openStore();
        try {
          const o = await store.create(tenant, symmetricKey());
          const indexes = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              (i % 2 ? other : store).addAttribute(tenant, o.id, { name: 'ObjectGroup', value: `g${i}` }),
            ),
          );
          assert.deepEqual(
            [...indexes].sort((a, b) => a - b),
            Array.from({ length: 20 }, (_, i) => i),
          );
          const got = await store.get(tenant, o.id);
          assert.deepEqual(
            got.attributes.map((a) => a.value).sort(),
            Array.from({ length: 20 }, (_, i) => `g${i}`).sort(),
          );
          assert.equal(got.version, 21);
        } finally {
          await other.close();
        }
      });

      it('update-dates-sets-and-clears', async () => {
        const tenant = newTenant();
        const o = await store.create(tenant, symmetricKey());
        const d = new Date(Date.UTC(2035, 1, 3, 4, 5, 6, 7));
        let got = await store.updateDates(tenant, o.id, { DeactivationDate: d, ProtectStopDate: d }, 1);
        assert.equal(got.dates.DeactivationDate?.getTime(), d.getTime());
        got = await store.updateDates(tenant, o.id, { ProtectStopDate: null });
        assert.equal(got.dates.ProtectStopDate, undefined);
        assert.equal(got.version, 3);
        await rejectsWithCode(
          store.updateDates(tenant, o.id, { DeactivationDate: d }, 1),
          'KRY_STORE_CONFLICT',
        );
      });

      it('archive-recover-and-mark-served', async () => {
        const tenant = newTenant();
        const o = await store.create(tenant, symmetricKey());
        const archived = await store.setArchived(tenant, o.id, true);
        assert.equal(archived.archived, true);
        assert.ok(archived.dates.ArchiveDate);
        const recovered = await store.setArchived(tenant, o.id, false);
        assert.equal(recovered.archived, false);
        assert.equal(recovered.dates.ArchiveDate, undefined);
        await store.markServed(tenant, o.id);
        assert.equal((await store.get(tenant, o.id)).fresh, false);
      });
    });

    describe('locate', () => {
      it('locate-filters-each-promoted-column', async () => {
        const tenant = newTenant();
        const aes = await store.create(tenant, symmetricKey({ keyLevel: 3, owner: 'bob' }));
        const aes128 = await store.create(
          tenant,
          symmetricKey({ cryptographicLength: 128, state: State.Active }),
        );
        const rsa = await store.create(tenant, {
          objectType: ObjectType.PublicKey,
          owner: 'alice',
          cryptographicAlgorithm: 4,
          cryptographicLength: 2048,
          publicMaterial: new Uint8Array([1, 2]),
        });
        const ids = async (q: Parameters<Store['locate']>[1]) => [...(await store.locate(tenant, q)).ids];
        assert.deepEqual(await ids({}), [aes.id, aes128.id, rsa.id]);
        assert.deepEqual(await ids({ objectType: ObjectType.PublicKey }), [rsa.id]);
        assert.deepEqual(await ids({ cryptographicAlgorithm: 3 }), [aes.id, aes128.id]);
        assert.deepEqual(await ids({ cryptographicAlgorithm: 3, cryptographicLength: 128 }), [aes128.id]);
        assert.deepEqual(await ids({ state: State.Active }), [aes128.id]);
        assert.deepEqual(await ids({ keyLevel: 3 }), [aes.id]);
        assert.deepEqual(await ids({ owner: 'bob' }), [aes.id]);
        assert.deepEqual(await ids({ uniqueIdentifier: rsa.id }), [rsa.id]);
        assert.deepEqual(await ids({ uniqueIdentifier: rsa.id, objectType: ObjectType.SymmetricKey }), []);
      });

      it('locate-by-name-group-custom-and-vendor-attributes-ands-filters', async () => {
        const tenant = newTenant();
        const a = await store.create(
          tenant,
          symmetricKey({
            attributes: [
              { name: 'Name', value: { NameValue: 'alpha', NameType: 1 } },
              { name: 'Name', value: 'alias' },
              { name: 'ObjectGroup', value: 'payments' },
              { name: 'x-app', value: 'ledger' },
              { name: 'Tier', vendorIdentification: 'krypton', value: 'gold' },
            ],
          }),
        );
        const b = await store.create(
          tenant,
          symmetricKey({
            attributes: [
              { name: 'Name', value: 'beta' },
              { name: 'ObjectGroup', value: 'payments' },
              { name: 'x-app', value: 'search' },
            ],
          }),
        );
        const ids = async (q: Parameters<Store['locate']>[1]) => [...(await store.locate(tenant, q)).ids];
        assert.deepEqual(await ids({ names: ['alpha'] }), [a.id]);
        assert.deepEqual(await ids({ names: ['alpha', 'alias'] }), [a.id]);
        assert.deepEqual(await ids({ names: ['alpha', 'beta'] }), []);
        assert.deepEqual(await ids({ objectGroups: ['payments'] }), [a.id, b.id]);
        assert.deepEqual(
          await ids({ objectGroups: ['payments'], attributes: [{ name: 'x-app', value: 'search' }] }),
          [b.id],
        );
        assert.deepEqual(await ids({ attributes: [{ name: 'Tier', vendorIdentification: 'krypton' }] }), [
          a.id,
        ]);
        assert.deepEqual(
          await ids({ attributes: [{ name: 'Tier', vendorIdentification: 'krypton', value: 'lead' }] }),
          [],
        );
        assert.deepEqual(await ids({ names: ['gamma'] }), []);
      });

      it('locate-by-link', async () => {
        const tenant = newTenant();
        const priv = await store.create(tenant, { objectType: ObjectType.PrivateKey, owner: 'alice' });
        const pub = await store.create(tenant, {
          objectType: ObjectType.PublicKey,
          owner: 'alice',
          links: [{ linkType: LinkType.PrivateKeyLink, linkedObjectId: priv.id }],
        });
        await store.addLink(tenant, priv.id, { linkType: LinkType.PublicKeyLink, linkedObjectId: pub.id });
        const ids = async (q: Parameters<Store['locate']>[1]) => [...(await store.locate(tenant, q)).ids];
        assert.deepEqual(
          await ids({ links: [{ linkType: LinkType.PrivateKeyLink, linkedObjectId: priv.id }] }),
          [pub.id],
        );
        assert.deepEqual(await ids({ links: [{ linkType: LinkType.PublicKeyLink }] }), [priv.id]);
        assert.deepEqual(await ids({ links: [{ linkType: LinkType.ParentLink }] }), []);
      });

      it('locate-date-ranges-are-inclusive', async () => {
        const tenant = newTenant();
        const day = (d: number) => new Date(Date.UTC(2030, 0, d));
        const objects = [];
        for (const d of [1, 2, 3, 4]) {
          objects.push(await store.create(tenant, symmetricKey({ dates: { ActivationDate: day(d) } })));
        }
        await store.create(tenant, symmetricKey());
        const ids = async (q: Parameters<Store['locate']>[1]) => [...(await store.locate(tenant, q)).ids];
        assert.deepEqual(await ids({ dates: { ActivationDate: { from: day(2), to: day(3) } } }), [
          objects[1]?.id,
          objects[2]?.id,
        ]);
        assert.deepEqual(await ids({ dates: { ActivationDate: { from: day(4) } } }), [objects[3]?.id]);
        assert.deepEqual(await ids({ dates: { ActivationDate: { to: day(1) } } }), [objects[0]?.id]);
        assert.deepEqual(await ids({ dates: { ActivationDate: { from: day(3), to: day(3) } } }), [
          objects[2]?.id,
        ]);
        const initial = (await store.get(tenant, objects[0]?.id as string)).dates.InitialDate as Date;
        assert.equal((await ids({ dates: { InitialDate: { from: initial } } })).length, 5);
      });

      it('locate-pages-with-maximum-and-offset-items-in-creation-order', async () => {
        const tenant = newTenant();
        const ids: string[] = [];
        for (let i = 0; i < 7; i += 1) {
          ids.push(
            (
              await store.create(
                tenant,
                symmetricKey({ attributes: [{ name: 'ObjectGroup', value: 'page' }] }),
              )
            ).id,
          );
        }
        const page = async (offsetItems: number, maximumItems: number) =>
          store.locate(tenant, { objectGroups: ['page'], offsetItems, maximumItems, countTotal: true });
        assert.deepEqual(await page(0, 3), { ids: ids.slice(0, 3), located: 7 });
        assert.deepEqual(await page(3, 3), { ids: ids.slice(3, 6), located: 7 });
        assert.deepEqual(await page(6, 3), { ids: ids.slice(6), located: 7 });
        assert.deepEqual(await page(9, 3), { ids: [], located: 7 });
        assert.deepEqual((await store.locate(tenant, { maximumItems: 0 })).ids, []);
        await rejectsWithCode(store.locate(tenant, { maximumItems: -1 }), 'KRY_STORE_BAD_QUERY');
      });

      it('locate-caps-items-at-the-server-maximum', async () => {
        const tenant = newTenant();
        const capped = await harness.openStore({ maxLocateItems: 5 });
        try {
          await store.createMany(
            tenant,
            Array.from({ length: 12 }, () => symmetricKey()),
          );
          assert.equal((await capped.locate(tenant, {})).ids.length, 5);
          assert.equal((await capped.locate(tenant, { maximumItems: 1_000_000 })).ids.length, 5);
          assert.equal((await capped.locate(tenant, { maximumItems: 2 })).ids.length, 2);
          assert.equal((await capped.locate(tenant, { countTotal: true })).located, 12);
        } finally {
          await capped.close();
        }
      });

      it('locate-storage-status-mask-selects-on-line-archived-destroyed', async () => {
        const tenant = newTenant();
        const online = await store.create(tenant, symmetricKey());
        const archived = await store.create(tenant, symmetricKey());
        await store.setArchived(tenant, archived.id, true);
        const destroyed = await store.create(tenant, symmetricKey());
        await store.transition(tenant, destroyed.id, { from: [State.PreActive], to: State.Destroyed });
        const ids = async (storageStatusMask?: number) => [
          ...(await store.locate(tenant, storageStatusMask === undefined ? {} : { storageStatusMask })).ids,
        ];
        assert.deepEqual(await ids(), [online.id]);
        assert.deepEqual(await ids(StorageStatus.OnLine), [online.id]);
        assert.deepEqual(await ids(StorageStatus.Archival), [archived.id]);
        assert.deepEqual(await ids(StorageStatus.Destroyed), [destroyed.id]);
        assert.deepEqual(await ids(StorageStatus.OnLine | StorageStatus.Destroyed), [
          online.id,
          destroyed.id,
        ]);
        assert.deepEqual(await ids(7), [online.id, archived.id, destroyed.id]);
        await rejectsWithCode(store.locate(tenant, { storageStatusMask: 8 }), 'KRY_STORE_BAD_QUERY');
      });

      it('locate-object-group-member-fresh-and-default', async () => {
        const tenant = newTenant();
        const group = [{ name: 'ObjectGroup', value: 'pool' }];
        const first = await store.create(tenant, symmetricKey({ attributes: group }));
        const second = await store.create(tenant, symmetricKey({ attributes: group }));
        const third = await store.create(tenant, symmetricKey({ attributes: group }));
        await store.markServed(tenant, first.id);
        const fresh = await store.locate(tenant, {
          objectGroups: ['pool'],
          objectGroupMember: ObjectGroupMember.GroupMemberFresh,
        });
        assert.deepEqual(fresh.ids, [second.id, third.id]);
        const byDefault = await store.locate(tenant, {
          objectGroups: ['pool'],
          objectGroupMember: ObjectGroupMember.GroupMemberDefault,
        });
        assert.deepEqual(byDefault.ids, [third.id]);
      });

      it('locate-rejects-bad-filters-with-a-coded-error', async () => {
        const tenant = newTenant();
        await rejectsWithCode(
          store.locate(tenant, { attributes: [{ name: 'State', value: 1 }] }),
          'KRY_STORE_BAD_QUERY',
        );
        await rejectsWithCode(
          store.locate(tenant, { dates: { NotADate: { from: new Date() } } as never }),
          'KRY_STORE_BAD_QUERY',
        );
        await rejectsWithCode(store.locate(tenant, { offsetItems: 1.5 }), 'KRY_STORE_BAD_QUERY');
      });
    });

    describe('tenancy', () => {
      it('foreign-tenant-object-is-indistinguishable-from-missing', async () => {
        const owner = newTenant();
        const intruder = newTenant();
        const o = await store.create(
          owner,
          symmetricKey({
            attributes: [
              { name: 'Name', value: 'tenant-secret-name' },
              { name: 'ObjectGroup', value: 'g' },
            ],
            links: [{ linkType: LinkType.ParentLink, linkedObjectId: 'p' }],
          }),
        );
        const link = { linkType: LinkType.ParentLink, linkedObjectId: 'p' } as const;
        const attempts: [string, () => Promise<unknown>][] = [
          ['get', () => store.get(intruder, o.id)],
          [
            'transition',
            () => store.transition(intruder, o.id, { from: [State.PreActive], to: State.Active }),
          ],
          ['updateDates', () => store.updateDates(intruder, o.id, { DeactivationDate: new Date() })],
          ['setAttribute', () => store.setAttribute(intruder, o.id, { name: 'x-a', value: 1 })],
          ['addAttribute', () => store.addAttribute(intruder, o.id, { name: 'ObjectGroup', value: 'h' })],
          ['modifyAttribute', () => store.modifyAttribute(intruder, o.id, { name: 'ObjectGroup' }, 0, 'h')],
          ['deleteAttribute', () => store.deleteAttribute(intruder, o.id, { name: 'ObjectGroup' })],
          [
            'addLink',
            () => store.addLink(intruder, o.id, { linkType: LinkType.ChildLink, linkedObjectId: 'c' }),
          ],
          ['removeLink', () => store.removeLink(intruder, o.id, link)],
          ['setArchived', () => store.setArchived(intruder, o.id, true)],
          ['markServed', () => store.markServed(intruder, o.id)],
          ['rekey', () => store.rekey(intruder, o.id, { replacement: symmetricKey() })],
          ['purge', () => store.purge(intruder, o.id)],
        ];
        for (const [what, attempt] of attempts) {
          await assert.rejects(attempt(), (err: unknown) => {
            assert.ok(isKryptonError(err), what);
            assert.equal(err.code, 'KRY_STORE_NOT_FOUND', what);
            assert.equal(err.message, 'object not found', what);
            return true;
          });
        }
        assert.deepEqual((await store.locate(intruder, { names: ['tenant-secret-name'] })).ids, []);
        assert.deepEqual((await store.locate(intruder, { uniqueIdentifier: o.id })).ids, []);
        assert.deepEqual((await store.locate(intruder, { links: [link] })).ids, []);
        assert.deepEqual((await store.locate(intruder, { countTotal: true })).located, 0);
        // Nothing changed for the owner.
        assert.deepEqual(await store.get(owner, o.id), o);
      });
    });

    describe('key material', () => {
      it('refuses-key-material-that-is-not-branded-wrapped', async () => {
        const tenant = newTenant();
        const plaintextLookalike = {
          wrapped: randomBytes(32),
          wrappingKeyId: 'kek-1',
          wrappingMethod: 'AES-KWP',
        };
        await rejectsWithCode(
          store.create(
            tenant,
            symmetricKey({ keyMaterial: plaintextLookalike as unknown as WrappedKeyMaterial }),
          ),
          'KRY_STORE_BAD_QUERY',
        );
        assert.throws(() =>
          wrappedKeyMaterial({ wrapped: randomBytes(16), wrappingKeyId: '', wrappingMethod: 'x' }),
        );
        assert.equal((await store.locate(tenant, {})).ids.length, 0);
      });

      it('sentinel-key-never-persisted-in-plaintext', async () => {
        const tenant = newTenant();
        const sentinel = Buffer.from('KRYPTON-SENTINEL-KEY-0123456789!');
        assert.equal(sentinel.length, 32);
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const o = await store.create(
            tenant,
            symmetricKey({ keyMaterial: wrapUnderKek(kek, 'kek-1', sentinel) }),
          );
          ids.push(o.id);
        }
        const { replacement } = await store.rekey(tenant, ids[0] as string, {
          replacement: symmetricKey({ keyMaterial: wrapUnderKek(kek, 'kek-1', sentinel) }),
        });
        // The stored material is the sentinel's wrap: the store held the key, just not in plaintext.
        const back = await store.get(tenant, replacement.id);
        assert.ok(back.keyMaterial);
        assert.deepEqual(unwrapUnderKek(kek, back.keyMaterial), sentinel);
        assert.equal(containsSecret(await harness.persistedBytes(), sentinel), false);
      });

      it('sentinel-scan-detects-a-planted-plaintext', async () => {
        // Control for the test above: the scan must see what the store persists.
        const tenant = newTenant();
        const planted = randomBytes(24);
        await store.create(
          tenant,
          symmetricKey({ attributes: [{ name: 'x-planted', value: new Uint8Array(planted) }] }),
        );
        assert.equal(containsSecret(await harness.persistedBytes(), planted), true);
      });
    });

    describe('errors', () => {
      it('driver-failures-are-coded-and-carry-no-sql', async () => {
        const driverError = Object.assign(new Error('insert into managed_objects values ($1) - boom'), {
          code: 'XX000',
        });
        const mapped = toStoreError(driverError);
        assert.equal(mapped.code, 'KRY_STORE_UNAVAILABLE');
        assert.equal(mapped.message, 'storage unavailable');
        assert.equal(mapped.cause, driverError);
        assert.doesNotMatch(JSON.stringify(mapped), /managed_objects/);
        assert.equal(
          toStoreError(Object.assign(new Error('dup'), { code: '23505' })).code,
          'KRY_STORE_EXISTS',
        );
        const closed = await harness.openStore();
        await closed.close();
        await assert.rejects(closed.get(newTenant(), randomUUID()), (err: unknown) => {
          assert.ok(isKryptonError(err));
          assert.equal(err.code, 'KRY_STORE_UNAVAILABLE');
          assert.equal(err.message, 'storage unavailable');
          assert.doesNotMatch(err.message, /select|managed_objects/i);
          return true;
        });
      });
    });
  });
}
