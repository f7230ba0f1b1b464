import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS, KryptonError } from '../../core/errors.js';

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
