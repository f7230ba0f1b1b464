/**
 * Multi-part operations and Usage Limits through the gateway, with a core and a gateway as real
 * processes: a stream on an L4 lives in the gateway (the core does not know its Correlation
 * Value); a stream on an L3 — cached at the gateway or not — is forwarded to the core part by part
 * and lives there; an L3 with Usage Limits is never served from the gateway's cache, so every use
 * of it is counted by the core, also when it gains limits after it was cached.
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { KmipClient } from '../../core/client/client.js';
import { aesCmac } from '../../core/crypto/cmac.js';
import { BlockCipherMode, Operation, Tag, ValidityIndicator } from '../../core/spec/index.js';
import { boolean, byteString, child, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import { startSplit, type Split } from './split-support.js';
import { bytesOf, reasonOf, registerAes } from '../support/kmip-results.js';

const POLL_MS = 300;
const GCM = structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, BlockCipherMode.GCM)]);

let split: Split;
let gw: KmipClient;
let core: KmipClient;

before(async () => {
  split = await startSplit({ logLevel: 'warn', upstream: { l3Cache: { pollIntervalMs: POLL_MS } } });
  gw = await split.client();
  core = await split.client({ to: 'core' });
});

after(async () => {
  await split?.close();
});

function register(level: 'L3' | 'L4', key: Buffer, usage: string[], extra: Record<string, unknown> = {}) {
  return registerAes(gw, level, key, usage, extra);
}

function first(c: KmipClient, operation: number, id: string, data: Buffer, extra: TtlvItem[] = []) {
  return c.call(operation, [
    textString(Tag.UniqueIdentifier, id),
    ...extra,
    byteString(Tag.Data, data),
    boolean(Tag.InitIndicator, true),
  ]);
}

function later(
  c: KmipClient,
  operation: number,
  correlation: Buffer,
  data: Buffer,
  final: boolean,
  extra: TtlvItem[] = [],
) {
  return c.call(operation, [
    byteString(Tag.Data, data),
    byteString(Tag.CorrelationValue, correlation),
    ...extra,
    ...(final ? [boolean(Tag.FinalIndicator, true)] : []),
  ]);
}

async function usageCount(id: string): Promise<bigint | undefined> {
  const { attributes } = await core.getAttributes({ uniqueIdentifier: id, names: ['UsageLimits'] });
  const value = attributes.find((a) => a.name === 'UsageLimits')?.value as
    Record<string, unknown> | undefined;
  return value?.UsageLimitsCount as bigint | undefined;
}

test('an-l4-stream-lives-at-the-gateway-and-later-parts-need-no-key-name', async () => {
  const key = randomBytes(32);
  const id = await register('L4', key, ['Encrypt', 'Decrypt', 'MACGenerate', 'MACVerify']);
  const iv = randomBytes(12);
  const plain = randomBytes(70);
  const opened = await first(gw, Operation.Encrypt, id, plain.subarray(0, 30), [
    GCM,
    byteString(Tag.IVCounterNonce, iv),
  ]);
  const correlation = bytesOf(opened, Tag.CorrelationValue)!;
  // The core has no such stream: the value is the gateway's.
  assert.equal(
    await reasonOf(later(core, Operation.Encrypt, correlation, randomBytes(4), true)),
    'InvalidCorrelationValue',
  );
  const mid = await later(gw, Operation.Encrypt, correlation, plain.subarray(30, 31), false);
  const last = await later(gw, Operation.Encrypt, correlation, plain.subarray(31), true);
  const ref = createCipheriv('aes-256-gcm', key, iv);
  const expected = Buffer.concat([ref.update(plain), ref.final()]);
  assert.deepEqual(
    Buffer.concat([bytesOf(opened, Tag.Data)!, bytesOf(mid, Tag.Data)!, bytesOf(last, Tag.Data)!]),
    expected,
  );
  assert.deepEqual(bytesOf(last, Tag.AuthenticatedEncryptionTag), ref.getAuthTag());

  // CMAC of the L4 in parts, at the gateway as well.
  const m = await first(gw, Operation.MAC, id, plain.subarray(0, 17));
  const macd = await later(gw, Operation.MAC, bytesOf(m, Tag.CorrelationValue)!, plain.subarray(17), true);
  assert.deepEqual(bytesOf(macd, Tag.MACData), aesCmac(key, plain));
  const v = await first(gw, Operation.MACVerify, id, plain.subarray(0, 5), [
    byteString(Tag.MACData, aesCmac(key, plain)),
  ]);
  const verdict = await later(
    gw,
    Operation.MACVerify,
    bytesOf(v, Tag.CorrelationValue)!,
    plain.subarray(5),
    true,
  );
  assert.equal(child(verdict, Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);

  // Destroy through the gateway ends an open stream of the L4.
  const o = await first(gw, Operation.Encrypt, id, randomBytes(8), [GCM]);
  await gw.revoke({ uniqueIdentifier: id });
  assert.equal(
    await reasonOf(later(gw, Operation.Encrypt, bytesOf(o, Tag.CorrelationValue)!, randomBytes(8), true)),
    'InvalidCorrelationValue',
  );
});

test('an-l3-stream-is-forwarded-to-the-core-and-lives-there', async () => {
  const key = randomBytes(32);
  const id = await register('L3', key, ['Encrypt', 'Decrypt']);
  // A single-part Encrypt first: the gateway caches this L3.
  await gw.call(Operation.Encrypt, [
    textString(Tag.UniqueIdentifier, id),
    GCM,
    byteString(Tag.Data, randomBytes(16)),
  ]);
  const iv = randomBytes(12);
  const plain = randomBytes(48);
  const opened = await first(gw, Operation.Encrypt, id, plain.subarray(0, 20), [
    GCM,
    byteString(Tag.IVCounterNonce, iv),
  ]);
  const correlation = bytesOf(opened, Tag.CorrelationValue)!;
  // The same client identity reaches the same stream at the core directly: the state is the core's.
  const mid = await later(core, Operation.Encrypt, correlation, plain.subarray(20, 40), false);
  const last = await later(gw, Operation.Encrypt, correlation, plain.subarray(40), true);
  const ref = createCipheriv('aes-256-gcm', key, iv);
  assert.deepEqual(
    Buffer.concat([bytesOf(opened, Tag.Data)!, bytesOf(mid, Tag.Data)!, bytesOf(last, Tag.Data)!]),
    Buffer.concat([ref.update(plain), ref.final()]),
  );
  assert.deepEqual(bytesOf(last, Tag.AuthenticatedEncryptionTag), ref.getAuthTag());
  // Revoke through the gateway reaches the core, which ends the stream.
  const o = await first(gw, Operation.Encrypt, id, randomBytes(8), [GCM]);
  await gw.revoke({ uniqueIdentifier: id });
  assert.equal(
    await reasonOf(later(gw, Operation.Encrypt, bytesOf(o, Tag.CorrelationValue)!, randomBytes(8), true)),
    'InvalidCorrelationValue',
  );
});

test('an-l3-with-usage-limits-is-never-served-from-the-gateway-cache', async () => {
  const encrypt = (id: string, n: number) =>
    gw.call(Operation.Encrypt, [
      textString(Tag.UniqueIdentifier, id),
      GCM,
      byteString(Tag.Data, randomBytes(n)),
    ]);
  const limited = await register('L3', randomBytes(32), ['Encrypt', 'Decrypt'], {
    UsageLimits: { UsageLimitsTotal: 64n, UsageLimitsUnit: 'Byte' },
  });
  for (let i = 0; i < 3; i++) await encrypt(limited, 16);
  assert.equal(await usageCount(limited), 16n, 'every Encrypt through the gateway was counted by the core');
  await encrypt(limited, 16);
  assert.equal(await reasonOf(encrypt(limited, 1)), 'PermissionDenied');
  // Decrypt is not limited (KMIP 2.1 §4.59) and still works through the gateway.
  const iv = randomBytes(12);
  const out = await gw.call(Operation.Encrypt, [
    textString(Tag.UniqueIdentifier, await register('L3', randomBytes(32), ['Encrypt', 'Decrypt'])),
    GCM,
    byteString(Tag.IVCounterNonce, iv),
    byteString(Tag.Data, randomBytes(8)),
  ]);
  assert.ok(bytesOf(out, Tag.Data));

  // An L3 cached without limits that gains them at the core is dropped at the next poll.
  const cached = await register('L3', randomBytes(32), ['Encrypt', 'Decrypt']);
  await encrypt(cached, 16);
  await core.call(Operation.SetAttribute, [
    textString(Tag.UniqueIdentifier, cached),
    structure(Tag.NewAttribute, [
      structure(Tag.UsageLimits, [
        { tag: Tag.UsageLimitsTotal, type: 'LongInteger', value: 32n },
        enumeration(Tag.UsageLimitsUnit, 1),
      ]),
    ]),
  ]);
  await new Promise((r) => setTimeout(r, POLL_MS * 3));
  await encrypt(cached, 16);
  assert.equal(await usageCount(cached), 16n, 'the core counted the use after the poll');
  await encrypt(cached, 16);
  assert.equal(await reasonOf(encrypt(cached, 16)), 'PermissionDenied');
});
