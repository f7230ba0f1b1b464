import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS, KryptonError, REASON_IN_OLDER_VERSIONS } from '../../core/errors.js';
import { KMIP_VERSIONS, Tag, enumForTag } from '../../core/spec/index.js';

test('error-table-codes-are-stable-and-prefixed', () => {
  for (const [code, def] of Object.entries(ERRORS)) {
    assert.match(code, /^KRY_[A-Z0-9_]+$/);
    assert.ok(def.message.length > 0 && def.message.length < 120, code);
    assert.doesNotMatch(
      def.message,
      /(^|\s)\/\w+\/|\\|\bSELECT\b|\bstack\b/i,
      `${code} message must not leak internals`,
    );
  }
});

test('coded-error-carries-reason-and-detail', () => {
  const err = new KryptonError('KRY_TTLV_TRUNCATED', 'need 8 bytes', { offset: 12 });
  assert.equal(err.reason, 'InvalidMessage');
  assert.equal(err.offset, 12);
  assert.equal(err.message, 'TTLV item truncated: need 8 bytes');
  assert.ok(err instanceof Error);
});

test('reasons-that-1x-lacks-map-to-a-1x-reason', () => {
  const reasons = enumForTag(Tag.ResultReason);
  assert.equal(REASON_IN_OLDER_VERSIONS.ObjectNotFound, 'ItemNotFound');
  for (const [newer, older] of Object.entries(REASON_IN_OLDER_VERSIONS)) {
    assert.equal(reasons?.value(newer, '1.4'), undefined, `${newer} is not a 1.x reason`);
    assert.notEqual(reasons?.value(newer, '2.0'), undefined, `${newer} is a 2.x reason`);
    for (const v of KMIP_VERSIONS) assert.notEqual(reasons?.value(older!, v), undefined, `${older} in ${v}`);
  }
});
