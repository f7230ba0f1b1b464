/**
 * Sentinel: no L4 material ever reaches core storage or logs, and L3 material arrives in storage
 * only wrapped. Recognisable key bytes are sent to the core; the database bytes and every log
 * line (trace level) are searched for them in raw, hex and base64 form.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Tag } from '../../core/spec/index.js';
import { byteString, enumeration, integer, structure } from '../../core/ttlv/tree.js';
import {
  attributesFor,
  call,
  identity,
  openHarness,
  postgresSkip,
  textOf,
  uid,
  type Adapter,
  type CoreHarness,
} from './support.js';

const SENTINEL_L4 = Buffer.from('4c344c344c344c34e2e2e2e2e2e2e2e2', 'hex');
const SENTINEL_L3 = Buffer.from('4c334c334c334c33d3d3d3d3d3d3d3d3', 'hex');

function forms(b: Buffer): string[] {
  return [b.toString('hex'), b.toString('base64'), b.toString('latin1')];
}

function symmetricKey(key: Buffer): ReturnType<typeof structure> {
  return structure(Tag.SymmetricKey, [
    structure(Tag.KeyBlock, [
      enumeration(Tag.KeyFormatType, 1),
      structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, key)]),
      enumeration(Tag.CryptographicAlgorithm, 3),
      integer(Tag.CryptographicLength, key.length * 8),
    ]),
  ]);
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`sentinel on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    const lines: string[] = [];
    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString('latin1'));
          done();
        },
      });
      h = await openHarness(adapter, { log: pino({ level: 'trace' }, sink) });
    });
    after(async () => h?.close());

    it('no-l4-material-reaches-core-storage-or-logs-and-l3-is-stored-wrapped', async () => {
      const alice = identity('alice', 'tenant-s');
      for (const v of ['1.4', '2.1'] as const) {
        const r = await call(h, alice, v, 'Register', [
          enumeration(Tag.ObjectType, 2),
          await attributesFor(v, [
            { name: 'x-krypton-level', value: 'L4' },
            { name: 'CryptographicUsageMask', value: 12 },
          ]),
          symmetricKey(SENTINEL_L4),
        ]);
        assert.equal(r.reasonName, 'PermissionDenied');
        for (const f of forms(SENTINEL_L4)) assert.equal((r.resultMessage ?? '').includes(f), false);
      }
      const l3 = await call(h, alice, '2.1', 'Register', [
        enumeration(Tag.ObjectType, 2),
        await attributesFor('2.1', [{ name: 'CryptographicUsageMask', value: 12 }]),
        symmetricKey(SENTINEL_L3),
      ]);
      assert.equal(l3.resultStatus, 0, l3.resultMessage);
      const id = textOf(l3.payload, Tag.UniqueIdentifier)!;
      // A non-gateway Get is refused and carries no key bytes.
      const get = await call(h, alice, '2.1', 'Get', [uid(id)]);
      assert.equal(get.reasonName, 'PermissionDenied');
      const persisted = await h.persistedBytes();
      assert.ok(persisted.length > 0);
      for (const sentinel of [SENTINEL_L4, SENTINEL_L3]) {
        assert.equal(persisted.includes(sentinel), false, 'raw bytes in storage');
        for (const f of forms(sentinel)) assert.equal(persisted.includes(Buffer.from(f, 'latin1')), false, f);
        const log = lines.join('');
        for (const f of forms(sentinel)) assert.equal(log.includes(f), false, `log holds ${f}`);
      }
      assert.ok(lines.length > 0, 'the logger was exercised');
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
