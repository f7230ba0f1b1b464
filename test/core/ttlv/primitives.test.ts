import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeTtlv, encodeTtlv, type TtlvItem } from '../../../core/ttlv/index.js';
import { sharedPath } from '../../support/shared.js';

interface Primitive {
  description: string;
  ttlv_hex: string;
  tag: string;
  type: string;
  value: unknown;
}

const data = sharedPath('kmip-vectors/ttlv-primitives.json');

function expectedValue(p: { type: string; value: unknown }): unknown {
  switch (p.type) {
    case 'LongInteger':
    case 'BigInteger':
      return BigInt(p.value as string);
    case 'DateTime':
      return BigInt(Date.parse(p.value as string) / 1000);
    case 'ByteString':
      return Buffer.from(p.value as string, 'hex');
    default:
      return p.value;
  }
}

function plain(item: TtlvItem): unknown {
  if (item.type === 'Structure') return item.value.map(plain);
  if (item.type === 'ByteString') return { tag: item.tag, type: item.type, value: Buffer.from(item.value) };
  return { tag: item.tag, type: item.type, value: item.value };
}

test('spec-primitive-examples-decode-and-reencode-byte-exact', { skip: data.skip }, () => {
  const examples = JSON.parse(readFileSync(data.path, 'utf8')) as Primitive[];
  assert.equal(examples.length, 10);
  for (const ex of examples) {
    const bytes = Buffer.from(ex.ttlv_hex, 'hex');
    const item = decodeTtlv(bytes);
    assert.equal(item.tag, Number(ex.tag), ex.description);
    assert.equal(item.type, ex.type, ex.description);
    if (ex.type === 'Structure') {
      const expected = (ex.value as { tag: string; type: string; value: unknown }[]).map((c) => ({
        tag: Number(c.tag),
        type: c.type,
        value: expectedValue(c),
      }));
      assert.deepEqual(plain(item), expected, ex.description);
    } else {
      assert.deepEqual(
        plain(item),
        { tag: Number(ex.tag), type: ex.type, value: expectedValue(ex) },
        ex.description,
      );
    }
    assert.equal(encodeTtlv(item).toString('hex'), ex.ttlv_hex, `${ex.description} re-encodes byte-exact`);
  }
});
