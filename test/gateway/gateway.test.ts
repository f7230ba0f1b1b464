/**
 * The gateway profile end to end: a core and a gateway as real processes over mutual TLS on
 * loopback, every request through the gateway (DESIGN §1's flow), with the bytes between gateway
 * and core captured inside TLS by a relay.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KmipResultError, type BatchOutcome, type KmipClient } from '../../core/client/client.js';
import { symmetricKeyObject } from '../../core/client/requests.js';
import { Operation, QueryFunction, Tag, type KmipVersion } from '../../core/spec/index.js';
import { children } from '../../core/ttlv/tree.js';
import { startSplit, type Split } from './split-support.js';
import { startWireTap, type WireTap } from './wire-tap.js';

const POLL_MS = 300;
const KWP = { BlockCipherMode: 'AESKeyWrapPadding' };
const L3_ATTRS = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
  'x-krypton-level': 'L3',
};

let split: Split;
let tap: WireTap;
let gw: KmipClient;
let core: KmipClient;

before(async () => {
  split = await startSplit({
    upstream: { l3Cache: { pollIntervalMs: POLL_MS }, requestTimeoutMs: 3000 },
    via: async (corePort, pki) => {
      tap = await startWireTap(pki, corePort);
      return tap.port;
    },
  });
  gw = await split.client();
  core = await split.client({ to: 'core' });
});

after(async () => {
  await split?.close();
  await tap?.close();
});

function isReason(name: string) {
  return (err: unknown) => err instanceof KmipResultError && err.resultReasonName === name;
}

test('flow-through-the-gateway-discover-query-locate-create-wrap-unwrap-rekey-destroy', async () => {
  const versions = await gw.discoverVersions();
  assert.equal(versions[0], '2.1');
  const query = await gw.query([QueryFunction.QueryOperations]);
  const ops = children(query, Tag.Operation).map((o) => o.value);
  for (const op of [
    Operation.Locate,
    Operation.Create,
    Operation.Encrypt,
    Operation.Decrypt,
    Operation.ReKey,
  ])
    assert.ok(ops.includes(op), `Query lists operation ${op}`);

  // An L3 at the core, made through the gateway (level L3 → forwarded), then found by Locate.
  const name = `orders-kek-${randomBytes(4).toString('hex')}`;
  const l3 = (await gw.create({ attributes: { ...L3_ATTRS, Name: name, ActivationDate: new Date() } }))
    .uniqueIdentifier;
  const located = await gw.locate({ attributes: { Name: name } });
  assert.deepEqual(located.uniqueIdentifiers, [l3]);

  // An L4 at the gateway under that L3 (default level at the gateway).
  const l4 = (
    await gw.create({
      attributes: {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        'x-krypton-wrapping-key': l3,
        ActivationDate: new Date(),
      },
    })
  ).uniqueIdentifier;
  const attrs = await gw.getAttributes({ uniqueIdentifier: l4 });
  assert.ok(attrs.attributes.some((a) => a.name === 'x-krypton-level' && a.value === 'L4'));
  const dek = (await gw.get(l4)).keyMaterial;
  assert.equal(dek?.length, 32);
  // The core has never heard of it.
  await assert.rejects(core.getAttributes({ uniqueIdentifier: l4 }), isReason('ObjectNotFound'));

  const wrapped = (await gw.encrypt({ uniqueIdentifier: l3, data: dek!, cryptographicParameters: KWP }))
    .data!;
  const unwrapped = (await gw.decrypt({ uniqueIdentifier: l3, data: wrapped, cryptographicParameters: KWP }))
    .data!;
  assert.deepEqual(Buffer.from(unwrapped), Buffer.from(dek!));

  // Rekey the L3: the old version stays decrypt-only, the new one wraps.
  const l3v2 = (await gw.rekey({ uniqueIdentifier: l3 })).uniqueIdentifier;
  assert.notEqual(l3v2, l3);
  const again = (await gw.decrypt({ uniqueIdentifier: l3, data: wrapped, cryptographicParameters: KWP }))
    .data!;
  assert.deepEqual(Buffer.from(again), Buffer.from(dek!));
  await assert.rejects(
    gw.encrypt({ uniqueIdentifier: l3, data: dek!, cryptographicParameters: KWP }),
    isReason('WrongKeyLifecycleState'),
  );
  const wrappedV2 = (await gw.encrypt({ uniqueIdentifier: l3v2, data: dek!, cryptographicParameters: KWP }))
    .data!;

  // Destroy the old L3 (revoke first: an Active key is not destroyed): what only it wrapped is gone.
  await gw.revoke({ uniqueIdentifier: l3 });
  await gw.destroy(l3);
  await assert.rejects(
    gw.decrypt({ uniqueIdentifier: l3, data: wrapped, cryptographicParameters: KWP }),
    isReason('WrongKeyLifecycleState'),
  );
  await assert.rejects(gw.get(l4), isReason('WrongKeyLifecycleState'));
  const viaNew = (await gw.decrypt({ uniqueIdentifier: l3v2, data: wrappedV2, cryptographicParameters: KWP }))
    .data!;
  assert.deepEqual(Buffer.from(viaNew), Buffer.from(dek!));
});

test('l4-lifecycle-at-the-gateway-activate-revoke-destroy-shreds-the-vault-copy', async () => {
  const id = (await gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 128 } }))
    .uniqueIdentifier;
  await assert.rejects(
    gw.encrypt({ uniqueIdentifier: id, data: Buffer.alloc(16) }),
    isReason('WrongKeyLifecycleState'),
  );
  await gw.activate(id);
  const enc = await gw.encrypt({ uniqueIdentifier: id, data: Buffer.from('hello gateway') });
  const dec = await gw.decrypt({
    uniqueIdentifier: id,
    data: enc.data!,
    ivCounterNonce: enc.ivCounterNonce!,
    authenticatedEncryptionTag: enc.authenticatedEncryptionTag!,
  });
  assert.equal(Buffer.from(dec.data!).toString(), 'hello gateway');
  await gw.revoke({ uniqueIdentifier: id });
  await gw.destroy(id);
  await assert.rejects(gw.get(id), isReason('WrongKeyLifecycleState'));
  const state = await gw.getAttributes({ uniqueIdentifier: id, names: ['State'] });
  assert.equal(state.attributes[0]?.value, 5);
});

test('batch-mixing-local-and-remote-items-keeps-the-id-placeholder-across-them', async () => {
  // Create (local L4) → GetAttributes (local, placeholder) → Create L3 (remote) → Activate (remote, placeholder).
  const { createRequest, getAttributesRequest, activateRequest } =
    await import('../../core/client/requests.js');
  const results = await gw.batchOf([
    createRequest({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256 } }),
    getAttributesRequest({ names: ['x-krypton-level'] }),
    createRequest({ attributes: { ...L3_ATTRS } }),
    activateRequest(),
  ] as const);
  assert.deepEqual(
    results.map((r) => r.status),
    ['ok', 'ok', 'ok', 'ok'],
  );
  const [c1, ga, c2, act] = results as unknown as { status: 'ok'; value: { uniqueIdentifier: string } }[];
  assert.equal(ga!.value.uniqueIdentifier, c1!.value.uniqueIdentifier);
  assert.equal(act!.value.uniqueIdentifier, c2!.value.uniqueIdentifier);
  const state = await core.getAttributes({ uniqueIdentifier: c2!.value.uniqueIdentifier, names: ['State'] });
  assert.equal(state.attributes[0]?.value, 2, 'the L3 was activated at the core');
});

test('locate-of-one-l4-sets-the-id-placeholder-and-of-several-empties-it', async () => {
  const { locateRequest, getAttributesRequest } = await import('../../core/client/requests.js');
  const group = `grp-${randomBytes(4).toString('hex')}`;
  const attributes = { CryptographicAlgorithm: 'AES', CryptographicLength: 256, ObjectGroup: group };
  const one = (await gw.create({ attributes })).uniqueIdentifier;
  const [found, named] = (await gw.batchOf([
    locateRequest({ attributes: { ObjectGroup: group } }),
    getAttributesRequest({ names: ['State'] }),
  ] as const)) as unknown as { status: string; value?: { uniqueIdentifier: string } }[];
  assert.equal(found?.status, 'ok');
  assert.equal(named?.value?.uniqueIdentifier, one, 'KMIP 2.1 §6.1.27: one match fills the placeholder');
  await gw.create({ attributes });
  const [, refused] = await gw.batchOf([
    locateRequest({ attributes: { ObjectGroup: group } }),
    getAttributesRequest({ names: ['State'] }),
  ] as const);
  assert.equal(refused.status, 'failed', 'two matches leave no object for the next item');
});

/** No such object, in the version asked: KMIP 2.0 added Object Not Found; 1.x says Item Not Found. */
const NOT_FOUND: readonly [KmipVersion, string][] = [
  ['1.4', 'ItemNotFound'],
  ['2.0', 'ObjectNotFound'],
  ['2.1', 'ObjectNotFound'],
];

function failedWith(outcome: BatchOutcome<unknown> | undefined, reason: string): boolean {
  return outcome?.status === 'failed' && outcome.error.resultReasonName === reason;
}

test('no-such-object-through-the-gateway-answers-the-reason-of-the-clients-version', async () => {
  const { createRequest, getRequest, getAttributesRequest, locateRequest, signRequest } =
    await import('../../core/client/requests.js');
  const group = `grp-${randomBytes(4).toString('hex')}`;
  const l4Attrs = { CryptographicAlgorithm: 'AES', CryptographicLength: 256 };
  const l4 = (await gw.create({ attributes: { ...l4Attrs, ObjectGroup: group } })).uniqueIdentifier;
  const data = randomBytes(32);
  for (const [version, reason] of NOT_FOUND) {
    const missing = randomUUID();
    const v = { version };
    // Missing from the vault, so forwarded: the core answers in the client's version.
    await assert.rejects(gw.get(missing, v), isReason(reason), `${version} Get`);
    await assert.rejects(gw.getAttributes({ uniqueIdentifier: missing }, v), isReason(reason), version);
    await assert.rejects(gw.destroy(missing, v), isReason(reason), `${version} Destroy`);
    // An unknown L3: the gateway fetches L3s from the core in 2.1 and answers in the client's version.
    await assert.rejects(
      gw.encrypt({ uniqueIdentifier: missing, data, cryptographicParameters: KWP }, v),
      isReason(reason),
      `${version} Encrypt under an unknown L3`,
    );
    await assert.rejects(
      gw.create({ attributes: { ...l4Attrs, 'x-krypton-wrapping-key': missing } }, v),
      isReason(reason),
      `${version} Create of an L4 under an unknown L3`,
    );
    // The core directly: an L4 of the vault is unknown there.
    await assert.rejects(core.getAttributes({ uniqueIdentifier: l4 }, v), isReason(reason), version);
    // A batch: the failed item has the version's reason and the next one still runs (Continue).
    const [get, made, named] = await gw.batchOf(
      [
        getRequest({ uniqueIdentifier: missing }),
        createRequest({ attributes: l4Attrs }),
        getAttributesRequest(),
      ],
      { ...v, continuation: 'Continue' },
    );
    assert.ok(failedWith(get, reason), `${version} batch: ${JSON.stringify(get)}`);
    assert.deepEqual([made?.status, named?.status], ['ok', 'ok'], version);
    // Locate then use through the ID placeholder: the located L4 is the gateway's; Sign goes to
    // the core, which has no such object.
    const [found, signed] = await gw.batchOf(
      [locateRequest({ attributes: { ObjectGroup: group } }), signRequest({ data })],
      v,
    );
    assert.equal(found?.status, 'ok', version);
    assert.ok(failedWith(signed, reason), `${version} Locate then Sign: ${JSON.stringify(signed)}`);
  }
});

test('l4-create-is-checked-and-described-as-the-core-creates-keys', async () => {
  await assert.rejects(
    gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 128, QuantumSafe: true } }),
    isReason('GeneralFailure'),
  );
  const l4 = (await gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256 } }))
    .uniqueIdentifier;
  const attrs = await gw.getAttributes({ uniqueIdentifier: l4 });
  assert.ok(attrs.attributes.some((a) => a.name === 'x-krypton-level' && a.value === 'L4'));
  assert.ok(attrs.attributes.some((a) => a.name === 'RandomNumberGenerator'));
});

test('locate-merges-vault-and-core-matches-with-offset-and-maximum-items', async () => {
  const group = `grp-${randomBytes(4).toString('hex')}`;
  const mine: string[] = [];
  for (let i = 0; i < 3; i++)
    mine.push(
      (
        await gw.create({
          attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256, ObjectGroup: group },
        })
      ).uniqueIdentifier,
    );
  const theirs: string[] = [];
  for (let i = 0; i < 2; i++)
    theirs.push((await gw.create({ attributes: { ...L3_ATTRS, ObjectGroup: group } })).uniqueIdentifier);
  const all = await gw.locate({ attributes: { ObjectGroup: group } });
  // Located Items only when the request pages, as at the core (SASED-M-2 expects none).
  assert.equal(all.locatedItems, undefined);
  assert.deepEqual(new Set(all.uniqueIdentifiers), new Set([...mine, ...theirs]));
  const page = await gw.locate({ attributes: { ObjectGroup: group }, offsetItems: 2, maximumItems: 2 });
  assert.equal(page.locatedItems, 5);
  assert.equal(page.uniqueIdentifiers.length, 2);
  assert.deepEqual(page.uniqueIdentifiers, all.uniqueIdentifiers.slice(2, 4));
  const onlyL4 = await gw.locate({ attributes: { ObjectGroup: group, 'x-krypton-level': 'L4' } });
  assert.deepEqual(new Set(onlyL4.uniqueIdentifiers), new Set(mine));
});

test('revoked-l3-at-the-core-is-refused-by-the-gateway-within-the-poll-bound', async () => {
  const l3 = (await core.create({ attributes: { ...L3_ATTRS, ActivationDate: new Date() } }))
    .uniqueIdentifier;
  const dek = randomBytes(32);
  await gw.encrypt({ uniqueIdentifier: l3, data: dek, cryptographicParameters: KWP }); // now cached
  const revokedAt = Date.now();
  await core.revoke({ uniqueIdentifier: l3 }); // at the core directly: the gateway is not told
  let refusedAt: number | undefined;
  for (let i = 0; i < 200 && refusedAt === undefined; i++) {
    try {
      await gw.encrypt({ uniqueIdentifier: l3, data: dek, cryptographicParameters: KWP });
      await new Promise((r) => setTimeout(r, 25));
    } catch (err) {
      assert.ok(isReason('WrongKeyLifecycleState')(err), String(err));
      refusedAt = Date.now();
    }
  }
  assert.ok(refusedAt !== undefined, 'the gateway stopped encrypting under the revoked L3');
  // Documented bound: pollIntervalMs + one request timeout; generous slack for a loaded machine.
  assert.ok(refusedAt - revokedAt < POLL_MS + 3000 + 2000, `refused after ${refusedAt - revokedAt} ms`);
});

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function contains(haystack: Buffer, secret: Buffer): boolean {
  return (
    haystack.includes(secret) ||
    haystack.includes(Buffer.from(secret.toString('hex'))) ||
    haystack.includes(Buffer.from(secret.toString('base64').slice(0, 40)))
  );
}

test('sentinel-l4-plaintext-never-reaches-core-storage-or-logs', async () => {
  const sentinel = Buffer.from('L4-SENTINEL-0123456789abcdefghij'); // 32 bytes
  const id = (
    await gw.register({
      objectType: 'SymmetricKey',
      attributes: { CryptographicUsageMask: ['Encrypt', 'Decrypt'] },
      object: symmetricKeyObject(sentinel, 'AES'),
    })
  ).uniqueIdentifier;
  assert.deepEqual(Buffer.from((await gw.get(id)).keyMaterial!), sentinel);
  const created = (
    await gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256 } })
  ).uniqueIdentifier;
  const dek = Buffer.from((await gw.get(created)).keyMaterial!);
  // The core's whole state directory (store, WAL, audit log, HSM file) and its log output.
  const coreFiles = filesUnder(join(split.dir, 'core'));
  assert.ok(coreFiles.some((f) => f.endsWith('krypton.db')));
  for (const f of coreFiles) {
    const bytes = readFileSync(f);
    assert.ok(!contains(bytes, sentinel), `registered L4 in ${f}`);
    assert.ok(!contains(bytes, dek), `created L4 in ${f}`);
  }
  const logs = Buffer.from(split.core.process.output());
  assert.ok(!contains(logs, sentinel) && !contains(logs, dek), 'L4 in the core log');
  // The vault holds it wrapped only.
  for (const f of filesUnder(join(split.dir, 'gateway')))
    assert.ok(!contains(readFileSync(f), sentinel), `L4 plaintext in the vault file ${f}`);
});

test('sentinel-l3-plaintext-never-on-the-wire-between-gateway-and-core', async () => {
  const sentinel = Buffer.from('L3-SENTINEL-zyxwvutsrqponmlkjihg'); // 32 bytes
  // Registered at the core directly (a client's own upload is not the gateway's traffic).
  const l3 = (
    await core.register({
      objectType: 'SymmetricKey',
      attributes: {
        CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
        ActivationDate: new Date(),
      },
      object: symmetricKeyObject(sentinel, 'AES'),
    })
  ).uniqueIdentifier;
  const before = tap.bytes().length;
  const dek = randomBytes(32);
  const wrapped = (await gw.encrypt({ uniqueIdentifier: l3, data: dek, cryptographicParameters: KWP })).data!;
  await gw.decrypt({ uniqueIdentifier: l3, data: wrapped, cryptographicParameters: KWP });
  await new Promise((r) => setTimeout(r, POLL_MS * 2)); // a poll round passes the tap too
  const wire = tap.bytes();
  assert.ok(wire.length > before, 'the gateway fetched the L3 through the tap');
  assert.ok(!contains(wire, sentinel), 'L3 plaintext between gateway and core');
  assert.ok(!wire.includes(dek), 'the DEK wrapped under a cached L3 never went to the core');
  // The gateway did use that L3: the answer unwraps with the sentinel key (RFC 5649).
  const d = createDecipheriv('id-aes256-wrap-pad', sentinel, Buffer.from('a65959a6', 'hex'));
  assert.deepEqual(Buffer.concat([d.update(wrapped), d.final()]), dek);
});

test('core-refuses-an-identity-assertion-from-a-non-gateway-client', async () => {
  const { assertionAuthentication } = await import('../../core/auth/asserted-identity.js');
  await assert.rejects(
    core.query([QueryFunction.QueryOperations], {
      authentication: assertionAuthentication({ principal: 'someone', tenant: 'other' }),
    }),
    isReason('PermissionDenied'),
  );
  const asGateway = await split.client({ to: 'core', as: 'gateway' });
  const l3 = (
    await asGateway.create(
      { attributes: { ...L3_ATTRS } },
      { authentication: assertionAuthentication({ principal: 'client', tenant: 'default' }) },
    )
  ).uniqueIdentifier;
  const owner = await core.getAttributes({ uniqueIdentifier: l3 });
  assert.ok(owner.uniqueIdentifier === l3, 'the asserted client created it in its tenant');
  // An asserted client never gets the gateway's powers: no wrapped L3 for it.
  await assert.rejects(
    asGateway.get(
      { uniqueIdentifier: l3 },
      { authentication: assertionAuthentication({ principal: 'client', tenant: 'default' }) },
    ),
    isReason('PermissionDenied'),
  );
});
