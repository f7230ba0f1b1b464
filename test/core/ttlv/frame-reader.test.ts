import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KryptonError } from '../../../core/errors.js';
import { TtlvFrameReader, encodeTtlv, integer, structure } from '../../../core/ttlv/index.js';

const frame = (n: number): Buffer => encodeTtlv(structure(0x420078, [integer(0x42006a, n)]));

test('reassembles-a-frame-split-into-1-byte-chunks', () => {
  const reader = new TtlvFrameReader();
  const bytes = frame(7);
  const out: Buffer[] = [];
  for (const b of bytes) out.push(...reader.push(Buffer.from([b])));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], bytes);
  assert.equal(reader.pendingBytes, 0);
});

test('splits-two-frames-in-one-chunk-and-keeps-the-remainder', () => {
  const reader = new TtlvFrameReader();
  const a = frame(1);
  const b = frame(2);
  const c = frame(3);
  const out = reader.push(Buffer.concat([a, b, c.subarray(0, 5)]));
  assert.deepEqual(out, [a, b]);
  assert.equal(reader.pendingBytes, 5);
  assert.ok(reader.inFrame);
  assert.deepEqual(reader.push(c.subarray(5)), [c]);
});

test('rejects-frame-over-limit-right-after-the-header-before-buffering', () => {
  const reader = new TtlvFrameReader({ maxFrameBytes: 1024 * 1024 });
  const header = Buffer.from('42007801' + (1024 * 1024).toString(16).padStart(8, '0'), 'hex');
  assert.throws(
    () => reader.push(header),
    (e: unknown) => e instanceof KryptonError && e.code === 'KRY_TTLV_FRAME_TOO_LARGE',
  );
  // exactly at the limit is accepted (header + 1 MiB - 8)
  const ok = new TtlvFrameReader({ maxFrameBytes: 1024 * 1024 });
  assert.deepEqual(
    ok.push(Buffer.from('42007801' + (1024 * 1024 - 8).toString(16).padStart(8, '0'), 'hex')),
    [],
  );
});

test('rejects-a-4-GiB-claimed-length-without-allocating', () => {
  const reader = new TtlvFrameReader();
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => reader.push(Buffer.from('42007801ffffffff', 'hex')), KryptonError);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
});

test('rejects-garbage-and-non-structure-messages-at-the-header', () => {
  assert.throws(() => new TtlvFrameReader().push(Buffer.from('GET / HTTP/1.1\r\n')), /prefix/);
  assert.throws(
    () => new TtlvFrameReader().push(Buffer.from('4200780200000004', 'hex')),
    (e: unknown) => e instanceof KryptonError && e.code === 'KRY_TTLV_BAD_TYPE',
  );
});

test('a-frame-followed-by-garbage-yields-the-frame-then-an-error', () => {
  const reader = new TtlvFrameReader();
  const a = frame(9);
  assert.deepEqual(reader.push(a), [a]);
  assert.throws(() => reader.push(Buffer.from('ffffffffffffffff', 'hex')), KryptonError);
});

test('header-split-across-chunks-is-checked-once-complete', () => {
  const reader = new TtlvFrameReader({ maxFrameBytes: 64 });
  assert.deepEqual(reader.push(Buffer.from('4200', 'hex')), []);
  assert.deepEqual(reader.push(Buffer.from('7801', 'hex')), []);
  assert.throws(() => reader.push(Buffer.from('00001000', 'hex')), /limit 64/);
});
