/**
 * A request carries nothing newer than its protocol version (core/messages/in-version.ts): a tag,
 * an enumeration value or a 1.x attribute a later version introduced, or a value no version
 * defines, is Invalid Field naming it and the version — over mutual TLS at a standalone server,
 * each beside the same request in a version that defines it, which the handler serves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KmipResultError, type KmipClient } from '../../../core/client/client.js';
import { createRequest } from '../../../core/client/requests.js';
import { notInVersion } from '../../../core/messages/index.js';
import type { RunningServer } from '../../../core/server/server.js';
import {
  CryptographicAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  Tag,
  type KmipVersion,
} from '../../../core/spec/index.js';
import { boolean, enumeration, integer, structure, textString } from '../../../core/ttlv/tree.js';
import type { TtlvItem } from '../../../core/ttlv/types.js';
import { clientFor, startTestServer } from '../../e2e/support.js';

let server: RunningServer;
let client: KmipClient;

before(async () => {
  server = await startTestServer();
  client = await clientFor(server);
});
after(async () => {
  await client?.close();
  await server?.close();
});

async function refusal(
  operation: number,
  payload: TtlvItem[],
  version: KmipVersion,
): Promise<KmipResultError> {
  try {
    await client.call(operation, payload, { version });
  } catch (err) {
    if (err instanceof KmipResultError) return err;
    throw err;
  }
  assert.fail(`${version}: expected the request to fail`);
}

/** A 1.x Attribute (Attribute Name, Attribute Value). */
function attribute1x(name: string, value: TtlvItem): TtlvItem {
  return structure(Tag.Attribute, [textString(Tag.AttributeName, name), value]);
}

const AES_256 = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt'],
};

test('a-2x-tag-in-a-1x-request-is-invalid-field-naming-the-tag-and-the-version', async () => {
  // Create with the 2.x Attributes structure: served in 2.1, refused in 1.4 (1.x carries a Template-Attribute).
  const payload = [
    enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
    structure(Tag.Attributes, [
      enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
      integer(Tag.CryptographicLength, 256),
      integer(Tag.CryptographicUsageMask, 0x4),
    ]),
  ];
  assert.ok(await client.call(Operation.Create, payload, { version: '2.1' }));
  const err = await refusal(Operation.Create, payload, '1.4');
  assert.equal(err.resultReasonName, 'InvalidField');
  assert.match(err.resultMessage ?? '', /the tag Attributes \(0x420125\) in KMIP 1\.4$/);
});

test('a-2x-enumeration-value-in-a-1x-request-is-invalid-field-naming-the-value-and-the-version', async () => {
  const key = (await client.create({ attributes: AES_256 })).uniqueIdentifier;
  const get = [textString(Tag.UniqueIdentifier, key), enumeration(Tag.KeyFormatType, KeyFormatType.PKCS_10)];
  // 2.1 defines PKCS#10: the handler answers (it returns no symmetric key so).
  assert.equal((await refusal(Operation.Get, get, '2.1')).resultReasonName, 'KeyFormatTypeNotSupported');
  const err = await refusal(Operation.Get, get, '1.4');
  assert.equal(err.resultReasonName, 'InvalidField');
  assert.match(err.resultMessage ?? '', /Key Format Type PKCS_10 \(0x00000017\) in KMIP 1\.4$/);

  // As a 1.x Attribute Value, the enumeration its Attribute Name names: Ed25519 is a 2.0 algorithm.
  const locate = [
    attribute1x('Cryptographic Algorithm', enumeration(Tag.AttributeValue, CryptographicAlgorithm.Ed25519)),
  ];
  const viaAttribute = await refusal(Operation.Locate, locate, '1.4');
  assert.equal(viaAttribute.resultReasonName, 'InvalidField');
  assert.match(
    viaAttribute.resultMessage ?? '',
    /Cryptographic Algorithm Ed25519 \(0x00000037\) in KMIP 1\.4$/,
  );
  const located = await client.locate(
    { attributes: { CryptographicAlgorithm: 'Ed25519' } },
    { version: '2.1' },
  );
  assert.deepEqual(located.uniqueIdentifiers, []);
});

test('a-1x-attribute-newer-than-the-request-version-is-invalid-field', async () => {
  // Sensitive is a KMIP 1.4 attribute: a 1.4 Create sets it, a 1.2 one may not name it.
  const payload = createRequest({ attributes: { ...AES_256, Sensitive: true } }).build('1.4');
  assert.ok(await client.call(Operation.Create, payload, { version: '1.4' }));
  const err = await refusal(Operation.Create, payload, '1.2');
  assert.equal(err.resultReasonName, 'InvalidField');
  assert.match(err.resultMessage ?? '', /the attribute Sensitive in KMIP 1\.2$/);
  // Custom attributes (x-…) are every version's.
  const custom = createRequest({ attributes: { ...AES_256, 'x-note': 'any version' } }).build('1.0');
  assert.ok(await client.call(Operation.Create, custom, { version: '1.0' }));
});

test('a-value-no-version-defines-is-invalid-field-and-a-vendor-value-is-not', async () => {
  const locate = (algorithm: number) => [
    structure(Tag.Attributes, [enumeration(Tag.CryptographicAlgorithm, algorithm)]),
  ];
  const err = await refusal(Operation.Locate, locate(0x7777), '2.1');
  assert.equal(err.resultReasonName, 'InvalidField');
  assert.match(err.resultMessage ?? '', /Cryptographic Algorithm 0x00007777 in KMIP 2\.1$/);
  // Extension values (0x8XXXXXXX, KMIP 2.1 §11) belong to every version: the handler answers.
  assert.ok(await client.call(Operation.Locate, locate(0x80000001), { version: '2.1' }));
});

test('a-1x-structure-2x-dropped-is-still-served-in-a-2x-request', async () => {
  // Template-Attribute ended with 1.4, yet 2.0 clients send it (PyKMIP's ReKey): the handler reads it.
  const payload = createRequest({ attributes: AES_256 }).build('1.4');
  assert.ok(await client.call(Operation.Create, payload, { version: '2.1' }));
});

test('names-the-first-item-the-version-does-not-define', () => {
  const payload = structure(Tag.RequestPayload, [
    textString(Tag.UniqueIdentifier, 'k'),
    boolean(Tag.Sensitive, true),
  ]);
  assert.equal(notInVersion(payload, '2.1'), undefined);
  assert.equal(notInVersion(payload, '1.4'), undefined);
  assert.equal(notInVersion(payload, '1.3'), 'the tag Sensitive (0x420120)');
  assert.equal(notInVersion(undefined, '1.0'), undefined);
});
