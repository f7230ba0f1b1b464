/**
 * The Phase 3–4 operations through the gateway, with a core and a gateway as real processes:
 * Query lists exactly what the gateway serves; the attribute operations, Check, Archive/Recover
 * and MAC of an L4 are served from the gateway's vault (the core never sees the L4); the same
 * operations naming an L3, and key pairs with signatures, reach the core; an asynchronous Archive
 * is polled at the gateway, which holds it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { KmipResultError, type KmipClient } from '../../core/client/client.js';
import { activateRequest, createKeyPairRequest, symmetricKeyObject } from '../../core/client/requests.js';
import { parseResponseMessage } from '../../core/messages/index.js';
import { Operation, QueryFunction, ResultStatus, Tag } from '../../core/spec/index.js';
import {
  boolean,
  byteString,
  children,
  enumeration,
  integer,
  structure,
  textString,
} from '../../core/ttlv/tree.js';
import { clientFor, startTestServer } from '../e2e/support.js';
import { startSplit, type Split } from './split-support.js';

let split: Split;
let gw: KmipClient;
let core: KmipClient;

before(async () => {
  split = await startSplit({ logLevel: 'warn' });
  gw = await split.client();
  core = await split.client({ to: 'core' });
});

after(async () => {
  await split?.close();
});

function isReason(name: string) {
  return (err: unknown) => err instanceof KmipResultError && err.resultReasonName === name;
}

const L4_ATTRS = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt', 'Decrypt', 'MACGenerate', 'MACVerify'],
};

async function newL4(): Promise<string> {
  return (await gw.create({ attributes: { ...L4_ATTRS, ActivationDate: new Date(Date.now() - 1000) } }))
    .uniqueIdentifier;
}

/** The gateway profile's operations: routed, forwarded, or stateless and answered at the gateway. */
const GATEWAY_OPERATIONS = [
  'DiscoverVersions',
  'Query',
  'Locate',
  'Create',
  'Register',
  'Get',
  'GetAttributes',
  'Encrypt',
  'Decrypt',
  'Activate',
  'Revoke',
  'Destroy',
  'GetAttributeList',
  'AddAttribute',
  'ModifyAttribute',
  'DeleteAttribute',
  'SetAttribute',
  'Check',
  'Archive',
  'Recover',
  'MAC',
  'MACVerify',
  'ReKey',
  'CreateKeyPair',
  'ReKeyKeyPair',
  'Sign',
  'SignatureVerify',
  'Poll',
  'Cancel',
  'RNGRetrieve',
  'RNGSeed',
  'Hash',
  'Interop',
  'Log',
] as const;
const STATELESS = new Set([
  'DiscoverVersions',
  'Query',
  'Poll',
  'Cancel',
  'RNGRetrieve',
  'RNGSeed',
  'Hash',
  'Interop',
  'Log',
]);

async function operationsOf(client: KmipClient): Promise<number[]> {
  const query = await client.query([QueryFunction.QueryOperations]);
  return children(query, Tag.Operation).map((o) => o.value as number);
}

test('query-at-the-gateway-lists-exactly-the-operations-it-serves-and-the-core-serves-what-it-forwards', async () => {
  const atGateway = await operationsOf(gw);
  assert.deepEqual(
    [...atGateway].sort((a, b) => a - b),
    GATEWAY_OPERATIONS.map((name) => Operation[name]).sort((a, b) => a - b),
  );
  const atCore = new Set(await operationsOf(core));
  for (const name of GATEWAY_OPERATIONS)
    if (!STATELESS.has(name)) assert.ok(atCore.has(Operation[name]), `the core serves ${name}`);
});

test('attribute-operations-check-archive-recover-of-an-l4-are-served-from-the-vault', async () => {
  const id = await newL4();
  await gw.addAttribute({ uniqueIdentifier: id, name: 'x-purpose', value: 'orders' });
  await gw.modifyAttribute({
    uniqueIdentifier: id,
    name: 'x-purpose',
    value: 'invoices',
    currentValue: 'orders',
  });
  const names = await gw.getAttributeList(id);
  assert.ok(JSON.stringify(names).includes('purpose'), 'the new attribute is listed');
  const got = await gw.getAttributes({ uniqueIdentifier: id, names: ['x-purpose'] });
  assert.ok(
    JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('invoices'),
  );
  await gw.deleteAttribute({ uniqueIdentifier: id, name: 'x-purpose', currentValue: 'invoices' });
  assert.ok(!JSON.stringify(await gw.getAttributeList(id)).includes('purpose'), 'deleted');
  await gw.setAttribute({
    uniqueIdentifier: id,
    name: 'ProtectStopDate',
    value: new Date(Date.now() + 3_600_000),
  });

  await gw.check({ uniqueIdentifier: id, cryptographicUsageMask: ['Encrypt'] });
  await assert.rejects(
    gw.check({ uniqueIdentifier: id, cryptographicUsageMask: ['Sign'] }),
    isReason('IncompatibleCryptographicUsageMask'),
  );

  await gw.archive(id);
  await assert.rejects(
    gw.addAttribute({ uniqueIdentifier: id, name: 'x-note', value: 'archived' }),
    isReason('ObjectArchived'),
  );
  await gw.recover(id);
  await gw.addAttribute({ uniqueIdentifier: id, name: 'x-note', value: 'back on-line' });

  // The core never held it: the same requests there find nothing.
  await assert.rejects(core.getAttributeList(id), isReason('ObjectNotFound'));
  await assert.rejects(core.check({ uniqueIdentifier: id }), isReason('ObjectNotFound'));
});

test('a-refused-check-at-the-core-empties-the-placeholder-of-the-gateway-batch', async () => {
  const l3 = (
    await gw.create({
      attributes: {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        CryptographicUsageMask: ['Encrypt', 'Decrypt'],
        'x-krypton-level': 'L3',
      },
    })
  ).uniqueIdentifier;
  const [located, checked, listed] = await gw.batchOf(
    [
      // Locate leaves nothing in the placeholder; GetAttributeList names the L3 for it.
      {
        operation: Operation.GetAttributeList,
        build: () => [textString(Tag.UniqueIdentifier, l3)],
        parse: () => l3,
      },
      {
        operation: Operation.Check,
        build: () => [integer(Tag.CryptographicUsageMask, 0x01)],
        parse: () => 'ok',
      },
      { operation: Operation.GetAttributeList, build: () => [], parse: () => 'listed' },
    ],
    { continuation: 'Continue' },
  );
  assert.equal(located.status, 'ok');
  assert.equal(checked.status, 'failed');
  assert.equal(listed.status, 'failed', 'the refused Check emptied the placeholder');
});

test('attribute-changes-of-an-l3-are-forwarded-to-the-core', async () => {
  const name = `gw-l3-${randomBytes(4).toString('hex')}`;
  const l3 = (
    await gw.create({
      attributes: {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
        'x-krypton-level': 'L3',
        Name: name,
      },
    })
  ).uniqueIdentifier;
  await gw.addAttribute({ uniqueIdentifier: l3, name: 'x-owner', value: 'payments' });
  const atCore = await core.getAttributes({ uniqueIdentifier: l3, names: ['x-owner'] });
  assert.ok(
    JSON.stringify(atCore, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('payments'),
  );
  await gw.archive(l3);
  await assert.rejects(core.getAttributeList(l3), isReason('ObjectArchived'));
  await gw.recover(l3);
  assert.ok((await core.getAttributeList(l3)) !== undefined);
});

test('mac-and-mac-verify-with-an-l4-are-computed-at-the-gateway', async () => {
  const id = (
    await gw.register({
      objectType: 'SymmetricKey',
      attributes: {
        CryptographicUsageMask: ['MACGenerate', 'MACVerify'],
        ActivationDate: new Date(Date.now() - 1000),
      },
      object: symmetricKeyObject(randomBytes(32), 'AES'),
    })
  ).uniqueIdentifier;
  const data = Buffer.from('krypton gateway mac');
  const params = { CryptographicAlgorithm: 'AES' } as const;
  const { macData } = await gw.mac({ uniqueIdentifier: id, cryptographicParameters: params, data });
  assert.equal(macData?.length, 16, 'AES-CMAC');
  const ok = await gw.macVerify({
    uniqueIdentifier: id,
    cryptographicParameters: params,
    data,
    macData: macData!,
  });
  assert.equal(ok.validityIndicator, 'Valid');
  const bad = await gw.macVerify({
    uniqueIdentifier: id,
    cryptographicParameters: params,
    data: Buffer.from('tampered'),
    macData: macData!,
  });
  assert.equal(bad.validityIndicator, 'Invalid');
  await assert.rejects(core.mac({ uniqueIdentifier: id, data }), isReason('ObjectNotFound'));
});

test('key-pair-created-signed-and-verified-through-the-gateway-with-one-placeholder', async () => {
  // Activate names nothing: the placeholder holds the private key the core just made.
  const [created, activated] = await gw.batchOf([
    createKeyPairRequest({
      commonAttributes: { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048 },
      privateKeyAttributes: { CryptographicUsageMask: ['Sign'] },
      publicKeyAttributes: { CryptographicUsageMask: ['Verify'] },
    }),
    activateRequest(),
  ]);
  assert.equal(created.status, 'ok');
  assert.equal(activated.status, 'ok');
  const pair = created.status === 'ok' ? created.value : undefined;
  assert.equal(
    activated.status === 'ok' ? activated.value.uniqueIdentifier : '',
    pair?.privateKeyUniqueIdentifier,
  );
  await gw.activate(pair!.publicKeyUniqueIdentifier);
  const data = Buffer.from('krypton gateway signature');
  const params = {
    CryptographicAlgorithm: 'RSA',
    HashingAlgorithm: 'SHA_256',
    PaddingMethod: 'PSS',
  } as const;
  const { signatureData } = await gw.sign({
    uniqueIdentifier: pair!.privateKeyUniqueIdentifier,
    cryptographicParameters: params,
    data,
  });
  assert.equal(signatureData?.length, 256);
  const verified = await gw.signatureVerify({
    uniqueIdentifier: pair!.publicKeyUniqueIdentifier,
    cryptographicParameters: params,
    data,
    signatureData: signatureData!,
  });
  assert.equal(verified.validityIndicator, 'Valid');
});

test('an-asynchronous-archive-is-pending-at-the-gateway-and-polled-there', async () => {
  const id = await newL4();
  const request = structure(Tag.RequestMessage, [
    structure(Tag.RequestHeader, [
      structure(Tag.ProtocolVersion, [
        integer(Tag.ProtocolVersionMajor, 2),
        integer(Tag.ProtocolVersionMinor, 1),
      ]),
      boolean(Tag.AsynchronousIndicator, true),
      integer(Tag.BatchCount, 1),
    ]),
    structure(Tag.BatchItem, [
      enumeration(Tag.Operation, Operation.Archive),
      structure(Tag.RequestPayload, [textString(Tag.UniqueIdentifier, id)]),
    ]),
  ]);
  const [pending] = parseResponseMessage(await gw.send(request, '2.1')).batchItems;
  assert.equal(pending?.resultStatus, ResultStatus.OperationPending);
  const correlation = pending!.asynchronousCorrelationValue!;
  let answer = await gw.batch([
    { operation: Operation.Poll, payload: [byteString(Tag.AsynchronousCorrelationValue, correlation)] },
  ]);
  for (let i = 0; i < 200 && answer.batchItems[0]?.resultStatus === ResultStatus.OperationPending; i++) {
    await new Promise((r) => setTimeout(r, 10));
    answer = await gw.batch([
      { operation: Operation.Poll, payload: [byteString(Tag.AsynchronousCorrelationValue, correlation)] },
    ]);
  }
  assert.equal(answer.batchItems[0]?.resultStatus, ResultStatus.Success);
  await assert.rejects(
    gw.addAttribute({ uniqueIdentifier: id, name: 'x-note', value: 'archived' }),
    isReason('ObjectArchived'),
  );
});

test('standalone-macs-with-an-l4-of-its-vault-unwrapped-by-the-in-process-core', async () => {
  const server = await startTestServer({ logging: { level: 'silent', pretty: false } });
  const client = await clientFor(server);
  try {
    const key = randomBytes(32);
    const id = (
      await client.register({
        objectType: 'SymmetricKey',
        attributes: {
          CryptographicUsageMask: ['MACGenerate', 'MACVerify'],
          ActivationDate: new Date(Date.now() - 1000),
        },
        object: symmetricKeyObject(key, 'AES'),
      })
    ).uniqueIdentifier;
    const attrs = await client.getAttributes({ uniqueIdentifier: id, names: ['x-krypton-level'] });
    assert.ok(JSON.stringify(attrs).includes('L4'), 'kept in the vault');
    const data = Buffer.from('krypton standalone mac');
    const { macData } = await client.mac({
      uniqueIdentifier: id,
      cryptographicParameters: { CryptographicAlgorithm: 'AES' },
      data,
    });
    const ok = await client.macVerify({
      uniqueIdentifier: id,
      cryptographicParameters: { CryptographicAlgorithm: 'AES' },
      data,
      macData: macData!,
    });
    assert.equal(ok.validityIndicator, 'Valid');
  } finally {
    await client.close();
    await server.close();
  }
});
