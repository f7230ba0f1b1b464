import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeKmipJson,
  decodeKmipXml,
  encodeKmipJson,
  encodeKmipXml,
} from '../../../core/encodings/index.js';
import { KryptonError } from '../../../core/errors.js';
import { CryptographicUsageMask, Tag } from '../../../core/spec/index.js';
import type { TtlvItem } from '../../../core/ttlv/index.js';
import { fuzzParams, ttlvTree } from '../../support/fuzz.js';

function rejectsWith(run: () => unknown, code: string): void {
  assert.throws(run, (e: unknown) => e instanceof KryptonError && e.code === code, `expected ${code}`);
}

test('json-refuses-prototype-poisoning-keys', () => {
  rejectsWith(
    () => decodeKmipJson('{"tag":"BatchCount","type":"Integer","value":1,"__proto__":{"x":1}}'),
    'KRY_ENC_FORBIDDEN_KEY',
  );
  rejectsWith(
    () => decodeKmipJson('{"tag":"BatchCount","constructor":{"prototype":{}}}'),
    'KRY_ENC_FORBIDDEN_KEY',
  );
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('json-refuses-deep-nesting-without-stack-overflow', () => {
  const deep = '{"tag":"RequestPayload","value":['.repeat(100_000) + ']}'.repeat(100_000);
  rejectsWith(() => decodeKmipJson(deep), 'KRY_ENC_TOO_DEEP');
  const arrays = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.throws(() => decodeKmipJson(arrays), KryptonError);
});

test('json-refuses-numbers-a-double-cannot-hold', () => {
  rejectsWith(
    () => decodeKmipJson('{"tag":"UsageLimitsCount","type":"LongInteger","value":18446744073709551616}'),
    'KRY_ENC_BAD_VALUE',
  );
  rejectsWith(
    () => decodeKmipJson('{"tag":"BatchCount","type":"Integer","value":1e400}'),
    'KRY_ENC_BAD_VALUE',
  );
  rejectsWith(
    () => decodeKmipJson('{"tag":"BatchCount","type":"Integer","value":2147483648}'),
    'KRY_ENC_BAD_VALUE',
  );
  const big = decodeKmipJson('{"tag":"UsageLimitsCount","type":"LongInteger","value":"0x1000000000000000"}');
  assert.equal(big.value, 1n << 60n);
  const neg = decodeKmipJson('{"tag":"0x540001","type":"LongInteger","value":"0xfffffffffffffffe"}');
  assert.equal(neg.value, -2n);
});

test('json-mask-and-enumeration-forms-of-the-spec-examples', () => {
  const forms = [
    '"0x0000100c"',
    '"Encrypt|Decrypt|CertificateSign"',
    '"CertificateSign|0x00000004|0x0000008"',
    '"CertificateSign|0x0000000c"',
  ];
  for (const f of forms) {
    const item = decodeKmipJson(`{"tag":"CryptographicUsageMask","type":"Integer","value":${f}}`);
    assert.equal(
      item.value,
      CryptographicUsageMask.Encrypt |
        CryptographicUsageMask.Decrypt |
        CryptographicUsageMask.CertificateSign,
    );
  }
  for (const f of ['2', '"0x00000002"', '"SymmetricKey"']) {
    assert.equal(decodeKmipJson(`{"tag":"ObjectType","type":"Enumeration","value":${f}}`).value, 2);
  }
  rejectsWith(
    () => decodeKmipJson('{"tag":"ObjectType","type":"Enumeration","value":"NoSuchType"}'),
    'KRY_ENC_UNKNOWN_ENUM',
  );
  rejectsWith(
    () => decodeKmipJson('{"tag":"CryptographicUsageMask","type":"Integer","value":"Encrypt|Bogus"}'),
    'KRY_ENC_UNKNOWN_MASK',
  );
  rejectsWith(() => decodeKmipJson('{"tag":"NoSuchTag","type":"Integer","value":1}'), 'KRY_ENC_UNKNOWN_TAG');
  rejectsWith(() => decodeKmipJson('{"tag":"BatchCount","type":"Float","value":1}'), 'KRY_ENC_BAD_TYPE');
  rejectsWith(
    () => decodeKmipJson('{"tag":"BatchCount","type":"Integer","value":1,"extra":1}'),
    'KRY_ENC_MALFORMED',
  );
  rejectsWith(
    () => decodeKmipJson('{"tag":"ActivationDate","type":"DateTime","value":"$NOW"}'),
    'KRY_ENC_BAD_VALUE',
  );
});

test('date-times-parse-zones-and-hex-and-print-utc', () => {
  const a = decodeKmipJson('{"tag":"ArchiveDate","type":"DateTime","value":"2001-01-01T10:00:00+10:00"}');
  const b = decodeKmipJson('{"tag":"ArchiveDate","type":"DateTime","value":"0x000000003a4fc880"}');
  assert.equal(a.value, 978307200n);
  assert.equal(b.value, 978307200n);
  assert.match(encodeKmipJson(a), /2001-01-01T00:00:00\+00:00/);
  const far: TtlvItem = { tag: Tag.ArchiveDate, type: 'DateTime', value: 1n << 62n };
  assert.deepEqual(decodeKmipXml(encodeKmipXml(far)), far);
});

test('xml-refuses-dtd-entities-deep-nesting-and-stray-text', () => {
  rejectsWith(
    () => decodeKmipXml('<!DOCTYPE a [<!ENTITY x "y">]><BatchCount type="Integer" value="1"/>'),
    'KRY_ENC_MALFORMED',
  );
  rejectsWith(
    () =>
      decodeKmipXml(
        '<RequestMessage>' +
          '<RequestPayload>'.repeat(100) +
          '</RequestPayload>'.repeat(100) +
          '</RequestMessage>',
      ),
    'KRY_ENC_TOO_DEEP',
  );
  rejectsWith(() => decodeKmipXml('<RequestMessage>hello</RequestMessage>'), 'KRY_ENC_MALFORMED');
  rejectsWith(
    () => decodeKmipXml('<RequestMessage><BatchCount type="Integer" value="1"></RequestMessage>'),
    'KRY_ENC_MALFORMED',
  );
  rejectsWith(() => decodeKmipXml('<BatchCount type="Integer" value="x1"/>'), 'KRY_ENC_BAD_VALUE');
  rejectsWith(() => decodeKmipXml('<BatchCount type="Integer"/>'), 'KRY_ENC_BAD_VALUE');
  rejectsWith(() => decodeKmipXml('<ResultMessage type="TextString" value="&bogus;"/>'), 'KRY_ENC_MALFORMED');
});

test('xml-text-keeps-entities-and-white-space-exactly', () => {
  const item: TtlvItem = { tag: Tag.ResultMessage, type: 'TextString', value: ' a\nb\t&amp; <"\'> é 😀 ' };
  const xml = encodeKmipXml(item);
  assert.deepEqual(decodeKmipXml(xml), item);
  assert.equal(decodeKmipXml('<ResultMessage type="TextString" value="&amp;#233;"/>').value, '&#233;');
});

test('extension-tags-use-the-general-ttlv-form', () => {
  const item: TtlvItem = { tag: 0x54ffff, type: 'Integer', value: 1 };
  assert.match(encodeKmipXml(item), /<TTLV tag="0x54FFFF" type="Integer" value="1"\/>/);
  assert.deepEqual(decodeKmipXml('<TTLV tag="0x54FFFF" type="Integer" value="1"/>'), item);
  assert.deepEqual(decodeKmipXml('<x54ffff type="Integer" value="1"/>'), item);
  assert.deepEqual(decodeKmipJson(encodeKmipJson(item)), item);
});

/** XML 1.0 cannot carry most control characters: keep random text within what it can. */
function xmlSafe(tree: TtlvItem): boolean {
  if (tree.type === 'Structure') return tree.value.every(xmlSafe);
  if (tree.type === 'TextString') {
    for (const ch of tree.value) {
      const c = ch.codePointAt(0)!;
      if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) return false;
    }
  }
  return true;
}

test('random-trees-round-trip-through-json-and-xml', () => {
  fc.assert(
    fc.property(ttlvTree, (tree) => {
      assert.deepEqual(decodeKmipJson(encodeKmipJson(tree), { maxDepth: 1000 }), tree);
      if (xmlSafe(tree)) assert.deepEqual(decodeKmipXml(encodeKmipXml(tree), { maxDepth: 1000 }), tree);
    }),
    fuzzParams(1500),
  );
});

test('random-text-raises-only-coded-errors', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      for (const decode of [decodeKmipJson, decodeKmipXml]) {
        try {
          decode(text);
        } catch (err) {
          if (!(err instanceof KryptonError)) throw err;
        }
      }
    }),
    fuzzParams(3000),
  );
});
