/**
 * Tenant isolation over real mutual TLS (SECURITY-CHECKLIST 23, 26, 27, 29), on SQLite and
 * PostgreSQL, with the shipped core profile and two client certificates of different tenants.
 *
 * The matrix is driven by what the server loaded: Query Operations lists every operation, and
 * every one must be classified here — an operation naming an object gets a case (another
 * tenant's object must be answered exactly like a random missing identifier: same bytes once
 * the header's Time Stamp is masked), the others are listed as naming none. A new operation in
 * the profile fails this test until it is classified.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertionAuthentication } from '../../core/auth/asserted-identity.js';
import * as req from '../../core/client/requests.js';
import type { Operation } from '../../core/spec/index.js';
import { Tag, type KmipVersion } from '../../core/spec/index.js';
import { byteString, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import {
  RawKmip,
  maskTimeStamp,
  postgresSkip,
  startCore,
  textOf,
  type Adapter,
  type CoreServer,
} from './tenants.js';

type OpName = keyof typeof Operation;

/** Operations that name no existing object of the caller (their tenancy is tested elsewhere or below). */
const NAMES_NO_OBJECT: ReadonlySet<string> = new Set([
  'DiscoverVersions',
  'Query',
  'Create',
  'CreateKeyPair',
  'Register',
  'Locate', // never lists a foreign identifier: its own tests below
  'RNGRetrieve',
  'RNGSeed',
  'Hash',
  'Interop',
  'Log',
]);

const L3 = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt', 'Decrypt'],
};
const past = () => new Date(Date.now() - 60_000);
const DATA = Buffer.from('tenancy matrix data, 32 bytes!!!');

interface Owner {
  readonly alice: RawKmip;
  readonly version: KmipVersion;
}

/** One case: what the owner sets up, the request naming `id`, and what the owner gets. */
interface Case {
  /** Creates the owner's object(s); returns the identifier the request names and what it needs. */
  setup(o: Owner): Promise<{ id: string; extra?: Record<string, Uint8Array> }>;
  payload(id: string, version: KmipVersion, extra: Record<string, Uint8Array>): TtlvItem[];
  /** The owner's answer to the same request (Success unless told). */
  ownerReason?: string;
  /** Versions the case applies to (default all tested). */
  versions?: readonly KmipVersion[];
  /** The identifier is an Asynchronous Correlation Value, not a Unique Identifier. */
  correlation?: boolean;
}

async function create(o: Owner, attributes: req.CreateArgs['attributes']): Promise<string> {
  const p = await o.alice.ok(
    'Create',
    req.createRequest({ objectType: 'SymmetricKey', attributes }).build(o.version),
  );
  return textOf(p, Tag.UniqueIdentifier)!;
}

const activeL3 = (o: Owner) => create(o, { ...L3, ActivationDate: past() });
const preActiveL3 = (o: Owner) => create(o, { ...L3 });

async function ed25519Pair(o: Owner): Promise<{ privateId: string; publicId: string }> {
  const p = await o.alice.ok(
    'CreateKeyPair',
    req
      .createKeyPairRequest({
        commonAttributes: { CryptographicAlgorithm: 'Ed25519', ActivationDate: past() },
        privateKeyAttributes: { CryptographicUsageMask: ['Sign'] },
        publicKeyAttributes: { CryptographicUsageMask: ['Verify'] },
      })
      .build(o.version),
  );
  return {
    privateId: textOf(p, Tag.PrivateKeyUniqueIdentifier)!,
    publicId: textOf(p, Tag.PublicKeyUniqueIdentifier)!,
  };
}

async function hmacKey(o: Owner): Promise<string> {
  const p = await o.alice.ok(
    'Register',
    req
      .registerRequest({
        objectType: 'SymmetricKey',
        attributes: { CryptographicUsageMask: ['MACGenerate', 'MACVerify'], ActivationDate: past() },
        object: req.symmetricKeyObject(randomBytes(32), 'HMAC_SHA256'),
      })
      .build(o.version),
  );
  return textOf(p, Tag.UniqueIdentifier)!;
}

const uid = (id: string): TtlvItem => textString(Tag.UniqueIdentifier, id);
const withContact = async (o: Owner): Promise<{ id: string }> => {
  const id = await activeL3(o);
  await o.alice.ok(
    'AddAttribute',
    req
      .addAttributeRequest({ uniqueIdentifier: id, name: 'ContactInformation', value: 'first' })
      .build(o.version),
  );
  return { id };
};

const CASES: Readonly<Record<string, Case>> = {
  Get: {
    // A Public Key is served in the clear to its owner (L3 only wrapped, to gateways).
    setup: async (o) => ({ id: (await ed25519Pair(o)).publicId }),
    payload: (id) => [uid(id)],
  },
  GetAttributes: { setup: async (o) => ({ id: await activeL3(o) }), payload: (id) => [uid(id)] },
  GetAttributeList: { setup: async (o) => ({ id: await activeL3(o) }), payload: (id) => [uid(id)] },
  AddAttribute: {
    setup: async (o) => ({ id: await activeL3(o) }),
    payload: (id, v) =>
      req.addAttributeRequest({ uniqueIdentifier: id, name: 'ContactInformation', value: 'added' }).build(v),
  },
  ModifyAttribute: {
    setup: withContact,
    payload: (id, v) =>
      req
        .modifyAttributeRequest({ uniqueIdentifier: id, name: 'ContactInformation', value: 'second' })
        .build(v),
  },
  DeleteAttribute: {
    setup: withContact,
    payload: (id, v) =>
      req.deleteAttributeRequest({ uniqueIdentifier: id, name: 'ContactInformation' }).build(v),
  },
  SetAttribute: {
    versions: ['2.1'],
    setup: async (o) => ({ id: await activeL3(o) }),
    payload: (id, v) =>
      req.setAttributeRequest({ uniqueIdentifier: id, name: 'ContactInformation', value: 'set' }).build(v),
  },
  Activate: { setup: async (o) => ({ id: await preActiveL3(o) }), payload: (id) => [uid(id)] },
  Revoke: {
    setup: async (o) => ({ id: await activeL3(o) }),
    payload: (id, v) => req.revokeRequest({ uniqueIdentifier: id }).build(v),
  },
  Destroy: { setup: async (o) => ({ id: await preActiveL3(o) }), payload: (id) => [uid(id)] },
  ReKey: { setup: async (o) => ({ id: await activeL3(o) }), payload: (id) => [uid(id)] },
  ReKeyKeyPair: {
    setup: async (o) => ({ id: (await ed25519Pair(o)).privateId }),
    payload: (id) => [textString(Tag.PrivateKeyUniqueIdentifier, id)],
  },
  Encrypt: {
    setup: async (o) => ({ id: await activeL3(o) }),
    payload: (id, v) => req.encryptRequest({ uniqueIdentifier: id, data: DATA }).build(v),
  },
  Decrypt: {
    setup: async (o) => {
      const id = await activeL3(o);
      const p = await o.alice.ok(
        'Encrypt',
        req.encryptRequest({ uniqueIdentifier: id, data: DATA }).build(o.version),
      );
      const parsed = req.encryptRequest({ data: DATA }).parse(p, o.version);
      return {
        id,
        extra: {
          data: parsed.data!,
          iv: parsed.ivCounterNonce ?? new Uint8Array(),
          tag: parsed.authenticatedEncryptionTag ?? new Uint8Array(),
        },
      };
    },
    payload: (id, _v, x) => [
      uid(id),
      byteString(Tag.Data, x.data!),
      ...(x.iv!.length ? [byteString(Tag.IVCounterNonce, x.iv!)] : []),
      ...(x.tag!.length ? [byteString(Tag.AuthenticatedEncryptionTag, x.tag!)] : []),
    ],
  },
  Sign: {
    setup: async (o) => ({ id: (await ed25519Pair(o)).privateId }),
    payload: (id, v) => req.signRequest({ uniqueIdentifier: id, data: DATA }).build(v),
  },
  SignatureVerify: {
    setup: async (o) => {
      const pair = await ed25519Pair(o);
      const p = await o.alice.ok(
        'Sign',
        req.signRequest({ uniqueIdentifier: pair.privateId, data: DATA }).build(o.version),
      );
      const sig = req.signRequest({ data: DATA }).parse(p, o.version).signatureData!;
      return { id: pair.publicId, extra: { sig } };
    },
    payload: (id, v, x) =>
      req.signatureVerifyRequest({ uniqueIdentifier: id, data: DATA, signatureData: x.sig! }).build(v),
  },
  MAC: {
    setup: async (o) => ({ id: await hmacKey(o) }),
    payload: (id, v) => req.macRequest({ uniqueIdentifier: id, data: DATA }).build(v),
  },
  MACVerify: {
    setup: async (o) => {
      const id = await hmacKey(o);
      const p = await o.alice.ok(
        'MAC',
        req.macRequest({ uniqueIdentifier: id, data: DATA }).build(o.version),
      );
      return { id, extra: { mac: req.macRequest({ data: DATA }).parse(p, o.version).macData! } };
    },
    payload: (id, v, x) =>
      req.macVerifyRequest({ uniqueIdentifier: id, data: DATA, macData: x.mac! }).build(v),
  },
  Check: { setup: async (o) => ({ id: await activeL3(o) }), payload: (id) => [uid(id)] },
  Archive: { setup: async (o) => ({ id: await activeL3(o) }), payload: (id) => [uid(id)] },
  Recover: {
    setup: async (o) => {
      const id = await activeL3(o);
      await o.alice.ok('Archive', [uid(id)], o.version);
      return { id };
    },
    payload: (id) => [uid(id)],
  },
  // Poll and Cancel name an asynchronous operation, which belongs to the identity that started it.
  Poll: {
    correlation: true,
    setup: async (o) => ({ id: await startAsync(o) }),
    payload: (id) => [byteString(Tag.AsynchronousCorrelationValue, Buffer.from(id, 'hex'))],
  },
  Cancel: {
    correlation: true,
    setup: async (o) => ({ id: await startAsync(o) }),
    payload: (id) => [byteString(Tag.AsynchronousCorrelationValue, Buffer.from(id, 'hex'))],
  },
};

/** An Archive answered Operation Pending; its correlation value in hex. */
async function startAsync(o: Owner): Promise<string> {
  const id = await activeL3(o);
  const r = await o.alice.call('Archive', [uid(id)], o.version, { asynchronousIndicator: true });
  assert.equal(r.resultStatus, 2, `Archive with the Asynchronous Indicator is pending (${r.reasonName})`);
  return Buffer.from(r.asynchronousCorrelationValue!).toString('hex');
}

/** No such object, in the version asked: KMIP 2.0 added Object Not Found; 1.x says Item Not Found. */
function notFoundIn(version: KmipVersion): string {
  return version.startsWith('1.') ? 'ItemNotFound' : 'ObjectNotFound';
}

function missingFor(c: Case): string {
  return c.correlation ? randomBytes(16).toString('hex') : randomUUID();
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`tenant isolation on ${adapter}`, { skip }, () => {
    let core: CoreServer;
    let alice: RawKmip;
    let bob: RawKmip;
    before(async () => {
      core = await startCore(adapter, { storage: { maxLocateItems: 20 } });
      alice = await RawKmip.open(core.port, 'alice');
      bob = await RawKmip.open(core.port, 'bob');
    });
    after(async () => {
      alice?.close();
      bob?.close();
      await core?.close();
    });

    it('every-loaded-operation-is-classified-for-the-tenancy-matrix', async () => {
      const p = await alice.ok('Query', req.queryRequest(['QueryOperations']).build('2.1'));
      const loaded = req.queryRequest().parse(p, '2.1').operations;
      assert.ok(
        loaded.includes('Get') && loaded.includes('Encrypt'),
        `core operations loaded: ${loaded.join()}`,
      );
      const unclassified = loaded.filter((op) => !NAMES_NO_OBJECT.has(op) && !(op in CASES));
      assert.deepEqual(
        unclassified,
        [],
        'classify these operations in tenancy.test.ts (CASES or NAMES_NO_OBJECT)',
      );
      const stale = Object.keys(CASES).filter((op) => !loaded.includes(op));
      assert.deepEqual(stale, [], 'cases for operations the core profile no longer loads');
    });

    for (const version of ['2.1', '1.4'] as const) {
      it(`another-tenants-object-answers-exactly-like-a-missing-one-in-every-operation-kmip-${version}`, async () => {
        const p = await alice.ok('Query', req.queryRequest(['QueryOperations']).build('2.1'));
        const loaded = req.queryRequest().parse(p, '2.1').operations;
        const owner: Owner = { alice, version };
        let compared = 0;
        for (const op of loaded) {
          const c = CASES[op];
          if (!c || (c.versions && !c.versions.includes(version))) continue;
          const { id, extra = {} } = await c.setup(owner);
          const opName = op as OpName;
          const foreign = await bob.call(opName, c.payload(id, version, extra), version);
          const missing = await bob.call(opName, c.payload(missingFor(c), version, extra), version);
          assert.equal(foreign.resultStatus, 1, `${op}: Operation Failed for the foreign object`);
          if (!c.correlation) assert.equal(foreign.reasonName, notFoundIn(version), op);
          assert.deepEqual(
            maskTimeStamp(foreign.bytes),
            maskTimeStamp(missing.bytes),
            `${op}: foreign and missing answers differ\n${foreign.bytes.toString('hex')}\n${missing.bytes.toString('hex')}`,
          );
          // Positive control: the request is one the owner is served with, and bob changed nothing.
          const own = await alice.call(opName, c.payload(id, version, extra), version);
          if (c.ownerReason) assert.equal(own.reasonName, c.ownerReason, `${op} by the owner`);
          else
            assert.ok(
              own.resultStatus === 0 || own.resultStatus === 2,
              `${op} by the owner: ${own.reasonName} ${own.resultMessage ?? ''}`,
            );
          compared += 1;
        }
        assert.ok(compared >= 20, `${compared} operations compared`);
      });
    }

    it('locate-never-lists-another-tenants-identifiers', async () => {
      const name = `shared-${randomBytes(4).toString('hex')}`;
      const owner: Owner = { alice, version: '2.1' };
      const mine = await create(owner, { ...L3, Name: name });
      const bobs = textOf(
        await bob.ok(
          'Create',
          req.createRequest({ objectType: 'SymmetricKey', attributes: { ...L3, Name: name } }).build('2.1'),
        ),
        Tag.UniqueIdentifier,
      )!;
      for (const version of ['2.1', '1.4'] as const) {
        const byName = req.locateRequest({ attributes: { Name: name } });
        const a = byName.parse(await alice.ok('Locate', byName.build(version), version), version);
        const b = byName.parse(await bob.ok('Locate', byName.build(version), version), version);
        assert.deepEqual(a.uniqueIdentifiers, [mine], version);
        assert.deepEqual(b.uniqueIdentifiers, [bobs], version);
        // Without any filter either: bob's whole view holds none of alice's objects.
        const all = req.locateRequest({ maximumItems: 100_000 });
        const everything = all.parse(
          await bob.ok('Locate', all.build(version), version),
          version,
        ).uniqueIdentifiers;
        assert.ok(!everything.includes(mine), `${version}: alice's object in bob's Locate`);
      }
    });

    it('locate-without-maximum-items-or-with-a-huge-one-is-capped-by-the-server', async () => {
      // storage.maxLocateItems is 20 in this profile; 25 objects of one group in bob's tenant.
      const group = `cap-${randomBytes(4).toString('hex')}`;
      const made = await Promise.all(
        Array.from({ length: 25 }, () =>
          bob.ok(
            'Create',
            req
              .createRequest({ objectType: 'SymmetricKey', attributes: { ...L3, ObjectGroup: group } })
              .build('2.1'),
          ),
        ),
      );
      assert.equal(made.length, 25);
      for (const maximumItems of [undefined, 2 ** 31 - 1, 1_000_000]) {
        const l = req.locateRequest({
          attributes: { ObjectGroup: group },
          ...(maximumItems && { maximumItems }),
        });
        const r = l.parse(await bob.ok('Locate', l.build('2.1')), '2.1');
        assert.equal(r.uniqueIdentifiers.length, 20, `Maximum Items ${maximumItems}: capped at 20`);
        assert.equal(new Set(r.uniqueIdentifiers).size, 20);
      }
      const l = req.locateRequest({ attributes: { ObjectGroup: group }, maximumItems: 5 });
      assert.equal(l.parse(await bob.ok('Locate', l.build('2.1')), '2.1').uniqueIdentifiers.length, 5);
    });

    it('concurrent-requests-of-two-identities-never-swap-identity-or-id-placeholder', async () => {
      const conns = {
        alice: await Promise.all([0, 1, 2].map(() => RawKmip.open(core.port, 'alice'))),
        bob: await Promise.all([0, 1, 2].map(() => RawKmip.open(core.port, 'bob'))),
      };
      try {
        const created: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] };
        const rounds = 20;
        await Promise.all(
          (['alice', 'bob'] as const).flatMap((who) =>
            conns[who].map(async (conn) => {
              for (let i = 0; i < rounds; i++) {
                // Create then act on the placeholder: the second item must name what the first made.
                const a = await conn.send([
                  ['Create', req.createRequest({ objectType: 'SymmetricKey', attributes: L3 }).build('2.1')],
                  ['GetAttributes', []],
                  ['Activate', []],
                ]);
                assert.deepEqual(
                  a.items.map((x) => x.resultStatus),
                  [0, 0, 0],
                  `${who}: ${a.items.map((x) => x.reasonName)}`,
                );
                const id = textOf(a.items[0]!.payload, Tag.UniqueIdentifier)!;
                assert.equal(
                  textOf(a.items[1]!.payload, Tag.UniqueIdentifier),
                  id,
                  'placeholder of this request',
                );
                assert.equal(
                  textOf(a.items[2]!.payload, Tag.UniqueIdentifier),
                  id,
                  'placeholder of this request',
                );
                created[who].push(id);
              }
            }),
          ),
        );
        assert.equal(created.alice.length + created.bob.length, 2 * 3 * rounds);
        // Every object landed in its creator's tenant, none in the other's.
        for (const [who, other] of [
          ['alice', bob],
          ['bob', alice],
        ] as const) {
          const own = who === 'alice' ? alice : bob;
          for (const id of created[who]) {
            assert.equal((await own.call('GetAttributes', [uid(id)])).resultStatus, 0, `${who} sees ${id}`);
            assert.equal(
              (await other.call('GetAttributes', [uid(id)])).reasonName,
              'ObjectNotFound',
              `${id} is ${who}'s only`,
            );
          }
        }
      } finally {
        for (const c of [...conns.alice, ...conns.bob]) c.close();
      }
    });

    it('only-gateway-identities-fetch-a-wrapped-l3-or-assert-a-forwarded-identity', async () => {
      const owner: Owner = { alice, version: '2.1' };
      const l3 = await activeL3(owner);
      const pair = (await ed25519Pair(owner)).publicId;
      const wrapped = [
        uid(l3),
        structure(Tag.KeyWrappingSpecification, [
          enumeration(Tag.WrappingMethod, 1),
          structure(Tag.EncryptionKeyInformation, [uid(pair)]),
        ]),
      ];
      const plain = await alice.call('Get', [uid(l3)]);
      assert.equal(plain.reasonName, 'PermissionDenied', 'an L3 never leaves the core in the clear');
      const asClient = await alice.call('Get', wrapped);
      assert.equal(asClient.reasonName, 'PermissionDenied', 'a wrapped L3 is for gateways only');
      assert.equal(asClient.payload, undefined);
      // A client that asserts another identity is refused, whatever it asks.
      for (const claim of [
        { principal: 'bob', tenant: 'tenant-b' },
        { principal: 'gateway', tenant: 'tenant-a' },
        { tenant: 'tenant-a' },
      ]) {
        const r = await alice.call('GetAttributes', [uid(l3)], '2.1', {
          authentication: [assertionAuthentication(claim)],
        });
        assert.equal(r.reasonName, 'PermissionDenied', JSON.stringify(claim));
      }
      // A gateway asserting bob acts as bob: alice's object is not found, exactly like a missing one.
      const gw = await RawKmip.open(core.port, 'gateway');
      try {
        const asBob = { authentication: [assertionAuthentication({ principal: 'bob', tenant: 'tenant-b' })] };
        const foreign = await gw.call('GetAttributes', [uid(l3)], '2.1', asBob);
        const missing = await gw.call('GetAttributes', [uid(randomUUID())], '2.1', asBob);
        assert.equal(foreign.reasonName, 'ObjectNotFound');
        assert.deepEqual(maskTimeStamp(foreign.bytes), maskTimeStamp(missing.bytes));
        // ...and never gets the gateway's powers in its own tenant either.
        const bobs = textOf(
          await bob.ok(
            'Create',
            req
              .createRequest({ objectType: 'SymmetricKey', attributes: { ...L3, ActivationDate: past() } })
              .build('2.1'),
          ),
          Tag.UniqueIdentifier,
        )!;
        const r = await gw.call('Get', [uid(bobs)], '2.1', asBob);
        assert.equal(r.reasonName, 'PermissionDenied');
        // A claimed tenant that contradicts the policy's tenant for that principal is refused.
        const lie = await gw.call('GetAttributes', [uid(l3)], '2.1', {
          authentication: [assertionAuthentication({ principal: 'bob', tenant: 'tenant-a' })],
        });
        assert.equal(lie.reasonName, 'PermissionDenied');
        assert.equal(lie.payload, undefined);
      } finally {
        gw.close();
      }
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
