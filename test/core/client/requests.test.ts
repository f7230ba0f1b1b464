/**
 * The client's payload builders produce exactly the request payloads of the OASIS test cases
 * (KMIP Profiles 1.4 and 2.1): 1.x TemplateAttribute / Attribute, 2.x Attributes with native
 * tags, field order of the payload tables.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as req from '../../../core/client/requests.js';
import type { OperationRequest } from '../../../core/client/requests.js';
import { decodeKmipXmlMessages, deterministicPlaceholders } from '../../../core/encodings/index.js';
import { Tag, type KmipVersion } from '../../../core/spec/index.js';
import { child, firstDifference, structure } from '../../../core/ttlv/tree.js';
import { sharedPath } from '../../support/shared.js';

const profiles = sharedPath('kmip-vectors/oasis-profiles');
const NOW = 1_600_000_000n; // what deterministicPlaceholders substitutes for $NOW

/** Operation and request payload of the single batch item of request `step` of a test-case file. */
function oasisRequest(
  file: string,
  step: number,
): { operation: number; payload: ReturnType<typeof structure> } {
  const text = readFileSync(join(profiles.path, file), 'utf8');
  const messages = decodeKmipXmlMessages(text, { placeholders: deterministicPlaceholders(NOW) });
  const item = child(messages[step * 2], Tag.BatchItem);
  const op = child(item, Tag.Operation);
  const payload = child(item, Tag.RequestPayload);
  assert.ok(op?.type === 'Enumeration' && payload?.type === 'Structure', `${file} step ${step}`);
  return { operation: op.value, payload };
}

function assertMatches(
  file: string,
  step: number,
  version: KmipVersion,
  request: OperationRequest<unknown>,
): void {
  const expected = oasisRequest(file, step);
  assert.equal(request.operation, expected.operation, `${file} step ${step}: operation`);
  const built = structure(Tag.RequestPayload, request.build(version));
  assert.equal(firstDifference(built, expected.payload), undefined, `${file} step ${step}`);
}

const UID0 = '$UNIQUE_IDENTIFIER_0';
const skip = profiles.skip;

test('create-payload-matches-oasis-1.4-template-attribute-and-2.1-attributes', { skip }, () => {
  for (const [file, version, name] of [
    ['v1.4/XML/mandatory/SKLC-M-1-14.xml', '1.4', 'SKLC-M-1-14'],
    ['v2.1/XML/mandatory/SKLC-M-1-21.xml', '2.1', 'SKLC-M-1-21'],
  ] as const) {
    const create = req.createRequest({
      objectType: 'SymmetricKey',
      attributes: {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        CryptographicUsageMask: ['Encrypt', 'Decrypt'],
        Name: name,
      },
    });
    assertMatches(file, 0, version, create);
  }
});

test('get-attributes-uses-attribute-names-in-1.x-and-attribute-references-in-2.x', { skip }, () => {
  const names = [
    'State',
    'CryptographicUsageMask',
    'UniqueIdentifier',
    'ObjectType',
    'CryptographicAlgorithm',
    'CryptographicLength',
    'Digest',
    'InitialDate',
    'LastChangeDate',
    'ActivationDate',
  ];
  const request = req.getAttributesRequest({ uniqueIdentifier: UID0, names });
  assertMatches('v1.4/XML/mandatory/SKLC-M-1-14.xml', 1, '1.4', request);
  assertMatches('v2.1/XML/mandatory/SKLC-M-1-21.xml', 1, '2.1', request);
});

test('create-key-pair-splits-common-private-and-public-attributes', { skip }, () => {
  for (const [file, version, stem] of [
    ['v1.4/XML/mandatory/AKLC-M-1-14.xml', '1.4', 'AKLC-M-1-14'],
    ['v2.1/XML/mandatory/AKLC-M-1-21.xml', '2.1', 'AKLC-M-1-21'],
  ] as const) {
    const request = req.createKeyPairRequest({
      commonAttributes: { CryptographicAlgorithm: 'RSA', CryptographicLength: 2048 },
      privateKeyAttributes: { Name: `${stem}-private`, CryptographicUsageMask: ['Sign'] },
      publicKeyAttributes: { Name: `${stem}-public`, CryptographicUsageMask: 'Verify' },
    });
    assertMatches(file, 0, version, request);
  }
});

test('revoke-carries-reason-code-and-compromise-date', { skip }, () => {
  const revoke = req.revokeRequest({
    uniqueIdentifier: UID0,
    reason: 'KeyCompromise',
    compromiseOccurrenceDate: new Date(6000),
  });
  assertMatches('v1.4/XML/mandatory/AKLC-M-2-14.xml', 7, '1.4', revoke);
  assertMatches('v2.1/XML/mandatory/AKLC-M-2-21.xml', 7, '2.1', revoke);
});

test('modify-attribute-is-an-attribute-in-1.x-and-new-attribute-in-2.x', { skip }, () => {
  const modify = req.modifyAttributeRequest({
    uniqueIdentifier: UID0,
    name: 'ActivationDate',
    value: new Date(Number(NOW) * 1000),
  });
  assertMatches('v1.4/XML/mandatory/AKLC-M-3-14.xml', 4, '1.4', modify);
  assertMatches('v2.1/XML/mandatory/AKLC-M-3-21.xml', 4, '2.1', modify);
});

test('locate-puts-1.x-attributes-directly-in-the-payload', { skip }, () => {
  const locate = req.locateRequest({ attributes: { Name: 'SASED-M-2-14-name', ObjectType: 'SecretData' } });
  assertMatches('v1.4/XML/mandatory/SASED-M-2-14.xml', 0, '1.4', locate);
});

test('add-attribute-wraps-2.x-value-in-new-attribute', { skip }, () => {
  const add = req.addAttributeRequest({
    uniqueIdentifier: UID0,
    name: 'Description',
    value: 'This is opaque',
  });
  assertMatches('v2.1/XML/mandatory/BL-M-5-21.xml', 3, '2.1', add);
});

test('crypto-and-lifecycle-payloads-match-oasis-cases', { skip }, () => {
  const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
  assertMatches(
    'v2.1/XML/mandatory/CS-AC-M-OAEP-1-21.xml',
    1,
    '2.1',
    req.encryptRequest({
      uniqueIdentifier: UID0,
      data: hex('6628194e12073db03ba94cda9ef9532397d50dba79b987004afefe34'),
    }),
  );
  assertMatches(
    'v1.4/XML/mandatory/CS-AC-M-4-14.xml',
    1,
    '1.4',
    req.macRequest({ uniqueIdentifier: UID0, data: hex('01020304050607080910111213141516') }),
  );
  assertMatches(
    'v2.1/XML/mandatory/CS-AC-M-7-21.xml',
    0,
    '2.1',
    req.hashRequest({
      cryptographicParameters: { HashingAlgorithm: 'SHA_256' },
      data: hex('01020304050607080910111213141516'),
    }),
  );
  assertMatches('v1.4/XML/mandatory/CS-RNG-M-1-14.xml', 0, '1.4', req.rngRetrieveRequest(32));
  assertMatches(
    'v2.1/XML/mandatory/BL-M-3-21.xml',
    4,
    '2.1',
    req.checkRequest({ uniqueIdentifier: UID0, cryptographicUsageMask: ['Decrypt'] }),
  );
  assertMatches('v2.1/XML/mandatory/BL-M-2-21.xml', 2, '2.1', req.activateRequest(UID0));
  assertMatches('v1.4/XML/mandatory/SASED-M-3-14.xml', 3, '1.4', req.getRequest({ uniqueIdentifier: UID0 }));
  assertMatches(
    'v1.4/XML/mandatory/SKFF-M-10-14.xml',
    8,
    '1.4',
    req.getAttributeListRequest({ uniqueIdentifier: UID0 }),
  );
  assertMatches('v2.1/XML/mandatory/QS-M-1-21.xml', 0, '2.1', req.queryRequest(['QueryOperations']));
});

test('set-attribute-is-refused-before-2.0', () => {
  const set = req.setAttributeRequest({ name: 'Description', value: 'x' });
  assert.throws(() => set.build('1.4'), { code: 'KRY_CLIENT_BAD_ARGUMENT' });
  assert.equal(set.build('2.1').length, 1);
});

test('unknown-attribute-and-enumeration-names-are-refused-with-the-name', () => {
  assert.throws(() => req.createRequest({ attributes: { NoSuchAttribute: 1 } }), /NoSuchAttribute/);
  assert.throws(() => req.createRequest({ attributes: { CryptographicAlgorithm: 'ROT13' } }), /ROT13/);
  assert.throws(() => req.createRequest({ attributes: { CryptographicUsageMask: ['Juggle'] } }), /Juggle/);
});

test('response-readers-return-typed-results', () => {
  const payload = structure(Tag.ResponsePayload, [
    { tag: Tag.ObjectType, type: 'Enumeration', value: 2 },
    { tag: Tag.UniqueIdentifier, type: 'TextString', value: 'k-1' },
  ]);
  assert.deepEqual(
    { ...req.createRequest({}).parse(payload, '2.1'), payload: undefined },
    { uniqueIdentifier: 'k-1', objectType: 2, payload: undefined },
  );
  const attrs = structure(Tag.ResponsePayload, [
    { tag: Tag.UniqueIdentifier, type: 'TextString', value: 'k-1' },
    {
      tag: Tag.Attribute,
      type: 'Structure',
      value: [
        { tag: Tag.AttributeName, type: 'TextString', value: 'Cryptographic Length' },
        { tag: Tag.AttributeValue, type: 'Integer', value: 256 },
      ],
    },
  ]);
  const read = req.getAttributesRequest({}).parse(attrs, '1.4');
  assert.deepEqual(read.attributes, [{ name: 'CryptographicLength', value: 256 }]);
});
