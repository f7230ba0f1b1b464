import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ATTRIBUTES,
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KMIP_VERSIONS,
  KeyFormatType,
  LinkType,
  NameType,
  OPERATIONS,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  State,
  Tag,
  attributeByName,
  enumByName,
  enumForTag,
  maskForTag,
  operationByCode,
  operationByName,
  parseVersion,
  tagByName,
  tagInVersion,
  tagName,
  tagType,
} from '../../../core/spec/index.js';

test('versions-are-ascending-and-parse-from-protocol-version', () => {
  assert.deepEqual(KMIP_VERSIONS, ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1']);
  assert.equal(parseVersion(1, 4), '1.4');
  assert.equal(parseVersion(2, 1), '2.1');
  assert.equal(parseVersion(1, 5), undefined);
  assert.equal(parseVersion(3, 0), undefined);
});

test('tags-resolve-by-name-and-number', () => {
  assert.equal(Tag.RequestMessage, 0x420078);
  assert.equal(tagByName('RequestMessage'), 0x420078);
  assert.equal(tagName(0x420078), 'RequestMessage');
  assert.equal(tagByName('IVCounterNonce'), 0x42003d);
  assert.equal(tagByName('PKCS_11Function'), 0x42015a);
  assert.equal(tagByName('Request Message'), undefined);
  assert.equal(tagName(0x420000), undefined);
  assert.equal(tagType(Tag.CryptographicUsageMask), 'Integer');
  assert.equal(tagType(Tag.BatchItem), 'Structure');
  assert.equal(tagType(Tag.UniqueBatchItemID), 'ByteString');
});

test('tag-types-that-vary-by-version', () => {
  // Asynchronous Indicator: Boolean in 1.x, Enumeration in 2.x.
  assert.equal(tagType(Tag.AsynchronousIndicator), undefined);
  assert.equal(tagType(Tag.AsynchronousIndicator, '1.4'), 'Boolean');
  assert.equal(tagType(Tag.AsynchronousIndicator, '2.0'), 'Enumeration');
  // Certificate Request: Byte String in 1.x, Structure in 2.x.
  assert.equal(tagType(Tag.CertificateRequest, '1.2'), 'ByteString');
  assert.equal(tagType(Tag.CertificateRequest, '2.1'), 'Structure');
  // Extension Type: Integer in 1.x, Enumeration (Item Type) in 2.x; absent from 1.0.
  assert.equal(tagType(Tag.ExtensionType, '1.1'), 'Integer');
  assert.equal(tagType(Tag.ExtensionType, '2.1'), 'Enumeration');
  // Unique Identifier: Text String in 1.x, Text String / Enumeration / Integer in 2.x.
  assert.equal(tagType(Tag.UniqueIdentifier, '1.0'), 'TextString');
  assert.equal(tagType(Tag.UniqueIdentifier, '2.0'), undefined);
  // Attribute Value varies with the attribute in every version.
  assert.equal(tagType(Tag.AttributeValue, '1.4'), undefined);
});

test('tag-presence-follows-versions-and-removals', () => {
  assert.ok(tagInVersion(Tag.TemplateAttribute, '1.4'));
  assert.ok(!tagInVersion(Tag.TemplateAttribute, '2.0'));
  assert.ok(!tagInVersion(Tag.Attributes, '1.4'));
  assert.ok(tagInVersion(Tag.Attributes, '2.0'));
  assert.ok(!tagInVersion(Tag.ExtensionType, '1.0'));
  assert.ok(tagInVersion(Tag.ExtensionType, '1.1'));
  assert.ok(!tagInVersion(0x420000, '1.0'));
});

test('enumeration-constants-use-the-test-case-camelcase-names', () => {
  assert.equal(ResultStatus.Success, 0);
  assert.equal(ResultStatus.OperationFailed, 1);
  assert.equal(ResultReason.ItemNotFound, 1);
  assert.equal(Operation.Create, 1);
  assert.equal(Operation.ReKey, 4);
  assert.equal(Operation.DiscoverVersions, 0x1e);
  assert.equal(ObjectType.SymmetricKey, 2);
  assert.equal(State.Active, 2);
  assert.equal(CryptographicAlgorithm.AES, 3);
  assert.equal(CryptographicAlgorithm.DES3, 2);
  assert.equal(QueryFunction.QueryOperations, 1);
  assert.equal(KeyFormatType.Raw, 1);
  assert.equal(NameType.UninterpretedTextString, 1);
  assert.equal(BatchErrorContinuationOption.Stop, 2);
  assert.equal(LinkType.ParentLink, 0x108);
  assert.equal(RevocationReasonCode.CessationOfOperation, 6);
  assert.equal(CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt, 0x0c);
});

test('enumeration-lookup-by-name-value-and-hex', () => {
  const objectType = enumForTag(Tag.ObjectType);
  assert.ok(objectType !== undefined);
  assert.equal(objectType.camel, 'ObjectType');
  assert.equal(objectType.specName, 'Object Type');
  assert.equal(objectType.tag, Tag.ObjectType);
  assert.equal(objectType.value('SymmetricKey'), 2);
  assert.equal(objectType.value('0x00000002'), 2);
  assert.equal(objectType.value('0x000000FF'), undefined, 'undefined value below the extension range');
  assert.equal(objectType.value('0x80000001'), 0x80000001, 'vendor extension values pass as hex');
  assert.equal(objectType.value('Symmetric Key'), undefined);
  assert.equal(objectType.name(2), 'SymmetricKey');
  assert.equal(objectType.name(0x7fff), undefined);
  assert.equal(enumByName('ResultReason')?.tag, Tag.ResultReason);
  assert.equal(enumByName('Nope'), undefined);
});

test('enumeration-values-follow-versions', () => {
  const objectType = enumForTag(Tag.ObjectType);
  assert.ok(objectType !== undefined);
  // Template: 1.0–1.4, Reserved from 2.0.
  assert.equal(objectType.value('Template', '1.4'), 6);
  assert.equal(objectType.value('Template', '2.0'), undefined);
  assert.ok(objectType.inVersion(6, '1.3') && !objectType.inVersion(6, '2.1'));
  assert.ok(objectType.values('1.0').includes(6));
  assert.ok(!objectType.values('2.1').includes(6));
  assert.deepEqual(
    [...objectType.values()],
    [...objectType.values()].sort((a, b) => a - b),
  );
  const reason = enumForTag(Tag.ResultReason);
  assert.ok(reason !== undefined);
  // Illegal Operation (0x0B) was removed in 2.0.
  assert.equal(reason.value('IllegalOperation', '1.4'), 0x0b);
  assert.equal(reason.value('IllegalOperation', '2.1'), undefined);
  // Operation Ping is 2.1 only.
  const op = enumForTag(Tag.Operation);
  assert.equal(op?.value('Ping', '2.0'), undefined);
  assert.equal(op?.value('Ping', '2.1'), 0x3b);
});

test('renamed-enumeration-values-resolve-both-ways', () => {
  const reason = enumForTag(Tag.ResultReason);
  assert.ok(reason !== undefined);
  // 1.x "Object archived", 2.x "Object Archived": one CamelCase spelling, every version.
  for (const v of KMIP_VERSIONS) {
    assert.equal(reason.value('ObjectArchived', v), 0x0d, v);
    assert.equal(reason.name(0x0d, v), 'ObjectArchived', v);
  }
  // Digital Signature Algorithm: 1.x "SHA-256 with RSA Encryption (PKCS#1 v1.5)", 2.x without the suffix.
  const dsa = enumForTag(Tag.DigitalSignatureAlgorithm);
  assert.ok(dsa !== undefined);
  assert.equal(dsa.name(5, '1.4'), 'SHA_256WithRSAEncryptionPKCS_1V1_5');
  assert.equal(dsa.name(5, '2.0'), 'SHA_256WithRSAEncryption');
  assert.equal(dsa.name(5), 'SHA_256WithRSAEncryption');
  assert.equal(dsa.value('SHA_256WithRSAEncryptionPKCS_1V1_5'), 5);
  assert.equal(dsa.value('SHA_256WithRSAEncryption', '1.1'), 5);
  // Hashing Algorithm: 1.4 "SHA-3-256", 2.x "SHA3-256".
  const hash = enumForTag(Tag.HashingAlgorithm);
  assert.equal(hash?.name(0x0f, '1.4'), 'SHA_3_256');
  assert.equal(hash?.name(0x0f, '2.1'), 'SHA3_256');
  assert.equal(hash?.value('SHA_3_256'), 0x0f);
});

test('mask-generator-mgf1-is-emitted-and-the-2x-misprint-accepted', () => {
  const mg = enumForTag(Tag.MaskGenerator);
  assert.ok(mg !== undefined);
  for (const v of ['1.4', '2.0', '2.1'] as const) assert.equal(mg.name(1, v), 'MGF1', v);
  assert.equal(mg.value('MGF1'), 1);
  assert.equal(mg.value('MFG1'), 1);
  assert.equal(mg.value('MGF1', '1.3'), undefined);
});

test('extra-carrier-tags-share-the-enumeration', () => {
  assert.equal(enumForTag(Tag.MaskGeneratorHashingAlgorithm), enumForTag(Tag.HashingAlgorithm));
  assert.equal(enumForTag(Tag.ObjectTypes), enumForTag(Tag.ObjectType));
  assert.equal(enumForTag(Tag.LinkedObjectIdentifier)?.camel, 'UniqueIdentifier');
  assert.equal(enumForTag(Tag.ExtensionType)?.camel, 'ItemType');
  assert.equal(enumForTag(Tag.ExtensionType)?.tag, undefined);
});

test('attribute-reference-carries-the-tag-enumeration', () => {
  const tags = enumForTag(Tag.AttributeReference);
  assert.ok(tags !== undefined);
  assert.equal(tags.camel, 'Tag');
  assert.equal(enumForTag(Tag.Tag), tags);
  assert.equal(tags.value('CryptographicAlgorithm'), Tag.CryptographicAlgorithm);
  assert.equal(tags.value('0x420028'), Tag.CryptographicAlgorithm);
  assert.equal(tags.name(Tag.CryptographicAlgorithm), 'CryptographicAlgorithm');
  assert.equal(tags.value('TemplateAttribute', '2.0'), undefined);
  assert.equal(tags.value('NoSuchTag'), undefined);
  assert.ok(tags.values('2.1').includes(Tag.RotateLatest));
  assert.ok(!tags.values('2.0').includes(Tag.RotateLatest));
});

test('masks-name-their-bits', () => {
  const mask = maskForTag(Tag.CryptographicUsageMask);
  assert.ok(mask !== undefined);
  assert.equal(mask.camel, 'CryptographicUsageMask');
  assert.equal((mask.bit('Encrypt') ?? 0) | (mask.bit('Decrypt') ?? 0), 0x0c);
  assert.equal(mask.bit('Sign'), 0x1);
  assert.equal(mask.bit('Nope'), undefined);
  assert.deepEqual(mask.names(0x0c), ['Encrypt', 'Decrypt']);
  assert.deepEqual(mask.names(0), []);
  assert.equal(mask.names(0x0c | 0x80000000), undefined, 'unknown bits make the value unnamed');
  // Export (0x40) is Reserved from 2.0; FPE Encrypt (0x400000) exists from 2.0.
  assert.deepEqual(mask.names(0x40, '1.4'), ['Export']);
  assert.equal(mask.names(0x40, '2.0'), undefined);
  assert.equal(mask.names(0x400000, '1.4'), undefined);
  assert.equal(mask.allBits('1.0'), 0x000fffff);
  assert.equal(mask.allBits('2.1'), 0x00f03bbf);
  assert.equal(maskForTag(Tag.ProtectionStorageMask)?.bit('Software'), 1);
  assert.equal(maskForTag(Tag.StorageStatusMask)?.bit('DestroyedStorage'), 4);
  assert.equal(maskForTag(Tag.StorageStatusMask)?.allBits('1.4'), 3);
  assert.equal(maskForTag(Tag.ProtectionStorageMasks), undefined, 'a Structure of masks, not a mask');
});

test('operations-by-code-and-name', () => {
  assert.equal(OPERATIONS.length, 59);
  assert.equal(operationByCode(0x04)?.camel, 'ReKey');
  assert.equal(operationByCode(0x04)?.name, 'Re-key');
  assert.equal(operationByName('DiscoverVersions')?.code, 0x1e);
  assert.deepEqual(operationByName('DiscoverVersions')?.versions, ['1.1', '1.2', '1.3', '1.4', '2.0', '2.1']);
  assert.deepEqual(operationByName('Ping')?.versions, ['2.1']);
  assert.equal(operationByCode(0x7fff), undefined);
  for (const op of OPERATIONS) assert.equal(enumForTag(Tag.Operation)?.name(op.code), op.camel);
});

test('1x-attribute-names-resolve-to-enumerations-and-masks', () => {
  const usage = attributeByName('Cryptographic Usage Mask');
  assert.ok(usage !== undefined);
  assert.equal(usage.maskDef, maskForTag(Tag.CryptographicUsageMask));
  assert.equal(usage.type, 'Integer');
  assert.equal(usage.enumDef, undefined);
  const objectType = attributeByName('Object Type');
  assert.equal(objectType?.enumDef?.camel, 'ObjectType');
  assert.equal(attributeByName('ObjectType'), objectType);
  const state = attributeByName('State');
  assert.equal(state?.enumDef?.value('Active'), 2);
  assert.equal(state?.type, 'Enumeration');
  assert.equal(state?.multiValued, false);
  assert.equal(attributeByName('Name')?.multiValued, true);
  assert.equal(attributeByName('Digital Signature Algorithm')?.multiValued, 'conditional');
  assert.equal(attributeByName('Cryptographic Algorithm')?.enumDef?.value('AES'), 3);
  assert.equal(attributeByName('x-Custom'), undefined);
});

test('attribute-versions', () => {
  assert.deepEqual(attributeByName('Operation Policy Name')?.versions, ['1.0', '1.1', '1.2', '1.3', '1.4']);
  assert.deepEqual(attributeByName('Comment')?.versions, ['1.4', '2.0', '2.1']);
  assert.deepEqual(attributeByName('Rotate Latest')?.versions, ['2.1']);
  assert.equal(attributeByName('Certificate Subject CN')?.tag, Tag.CertificateSubjectCN);
  for (const a of ATTRIBUTES) assert.ok(a.versions.length > 0, a.name);
});
