import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KMIP_VERSIONS,
  Tag,
  enumByName,
  enumForTag,
  operationByCode,
  operationByName,
  registerExtensionEnumValue,
  registerExtensionTag,
  tagByName,
  tagInVersion,
  tagName,
  tagType,
} from '../../../core/spec/index.js';

// The registry is process-wide; node:test runs each file in its own process.

test('extension-tag-registers-in-0x54-range', () => {
  registerExtensionTag({ tag: 0x540001, name: 'KryptonKeyLevel', type: 'Integer' });
  assert.equal(tagByName('KryptonKeyLevel'), 0x540001);
  assert.equal(tagName(0x540001), 'KryptonKeyLevel');
  assert.equal(tagType(0x540001), 'Integer');
  assert.equal(tagType(0x540001, '1.0'), 'Integer');
  for (const v of KMIP_VERSIONS) assert.ok(tagInVersion(0x540001, v));
  // The 2.x Tag enumeration (Attribute Reference) sees extension tags too.
  assert.equal(enumForTag(Tag.AttributeReference)?.value('KryptonKeyLevel'), 0x540001);
});

test('extension-tag-re-registration-is-idempotent', () => {
  registerExtensionTag({ tag: 0x540002, name: 'KryptonTenant', type: 'TextString' });
  registerExtensionTag({ tag: 0x540002, name: 'KryptonTenant', type: 'TextString' });
  assert.equal(tagByName('KryptonTenant'), 0x540002);
});

test('extension-tag-rejects-tags-outside-0x54xxxx', () => {
  assert.throws(() => registerExtensionTag({ tag: 0x420001, name: 'Shadow', type: 'Integer' }), RangeError);
  assert.throws(() => registerExtensionTag({ tag: 0x550000, name: 'Shadow', type: 'Integer' }), RangeError);
  assert.throws(() => registerExtensionTag({ tag: 0x53ffff, name: 'Shadow', type: 'Integer' }), RangeError);
  assert.throws(
    () => registerExtensionTag({ tag: 0x540000 + 0.5, name: 'Shadow', type: 'Integer' }),
    RangeError,
  );
  assert.equal(tagByName('Shadow'), undefined);
});

test('extension-tag-rejects-name-and-number-collisions', () => {
  assert.throws(
    () => registerExtensionTag({ tag: 0x540010, name: 'ActivationDate', type: 'DateTime' }),
    /already used/,
  );
  registerExtensionTag({ tag: 0x540011, name: 'KryptonPolicy', type: 'TextString' });
  assert.throws(
    () => registerExtensionTag({ tag: 0x540012, name: 'KryptonPolicy', type: 'TextString' }),
    /already used/,
  );
  assert.throws(
    () => registerExtensionTag({ tag: 0x540011, name: 'KryptonOther', type: 'TextString' }),
    /already registered/,
  );
  assert.throws(
    () => registerExtensionTag({ tag: 0x540011, name: 'KryptonPolicy', type: 'Integer' }),
    /already registered/,
  );
  assert.throws(
    () => registerExtensionTag({ tag: 0x540013, name: 'not a name', type: 'Integer' }),
    TypeError,
  );
  assert.throws(
    () => registerExtensionTag({ tag: 0x540013, name: 'Bad', type: 'Float' as unknown as 'Integer' }),
    TypeError,
  );
  assert.equal(tagName(0x540010), undefined);
  assert.equal(tagName(0x540013), undefined);
});

test('extension-enum-value-registers-a-vendor-operation', () => {
  registerExtensionEnumValue('Operation', 'KryptonRewrap', 0x80000001);
  const op = enumForTag(Tag.Operation);
  assert.equal(op?.value('KryptonRewrap'), 0x80000001);
  assert.equal(op?.value('KryptonRewrap', '1.0'), 0x80000001);
  assert.equal(op?.name(0x80000001, '2.1'), 'KryptonRewrap');
  assert.ok(op?.values().includes(0x80000001));
  assert.equal(operationByCode(0x80000001)?.camel, 'KryptonRewrap');
  assert.equal(operationByName('KryptonRewrap')?.code, 0x80000001);
  registerExtensionEnumValue('Operation', 'KryptonRewrap', 0x80000001); // idempotent
});

test('extension-enum-value-rejects-bad-input', () => {
  assert.throws(() => registerExtensionEnumValue('Operation', 'Sneaky', 0x40), RangeError);
  assert.throws(() => registerExtensionEnumValue('Operation', 'Sneaky', 0x100000000), RangeError);
  assert.throws(() => registerExtensionEnumValue('NoSuchEnum', 'Sneaky', 0x80000002), /unknown enumeration/);
  assert.throws(() => registerExtensionEnumValue('Tag', 'Sneaky', 0x80000002), /registerExtensionTag/);
  assert.throws(() => registerExtensionEnumValue('Operation', 'Create', 0x80000002), /already used/);
  registerExtensionEnumValue('ObjectType', 'KryptonBlob', 0x80000010);
  assert.throws(
    () => registerExtensionEnumValue('ObjectType', 'KryptonOther', 0x80000010),
    /already registered/,
  );
  assert.equal(enumByName('ObjectType')?.value('KryptonBlob'), 0x80000010);
  assert.equal(operationByCode(0x80000002), undefined);
});
