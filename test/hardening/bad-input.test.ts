/**
 * SECURITY-CHECKLIST items 1–4, 6–25, 30 and 33: each hostile input as exact bytes, sent over a
 * raw mutual-TLS socket and, where the item applies to it, over HTTPS `POST /kmip`. Expected: the
 * right KMIP error or a clean close; after each, a well-behaved client on another connection is
 * served (the process is up and unaffected).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDevPki, issueClientCertificate } from '../../core/auth/pki.js';
import { hashPassword } from '../../core/auth/credentials.js';
import { ResultStatus } from '../../core/spec/index.js';
import type { RunningServer } from '../../core/server/server.js';
import { rawConnect } from '../e2e/raw.js';
import { startTestServer, testPki } from '../e2e/support.js';
import {
  PLACEHOLDER_GET,
  PLACEHOLDER_SET,
  REJECTS_LATER,
  RETURNS_UNENCODABLE,
  THROWS_LEAKY_ERROR,
  THROWS_NON_ERROR,
} from './fixtures/hostile-plugin.js';
import {
  assertFailedWith,
  assertGoodClientServed,
  batchCount,
  batchItem,
  emptyPayload,
  hex,
  operation,
  postKmip,
  protocolVersion,
  queryOperations,
  queryRequest,
  requestMessage,
  responseOf,
  sendTtlv,
  st,
  startHardeningServer,
} from './support.js';
import type { ResultReason } from '../../core/spec/index.js';

let server: RunningServer;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

before(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  server = await startHardeningServer({
    limits: { handshakeTimeoutMs: 1000, requestTimeoutMs: 1000, idleTimeoutMs: 4000 },
    listeners: {
      ttlv: { host: '127.0.0.1', port: 0 },
      https: { host: '127.0.0.1', port: 0, requestTimeoutMs: 1000 },
      admin: { host: '127.0.0.1', port: 0 },
    },
  });
});
after(async () => {
  await server.close();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  assert.deepEqual(uncaught, [], 'no uncaught exception or unhandled rejection');
});

type Reason = keyof typeof ResultReason;

/** The same request bytes over TTLV/TLS and HTTPS: both answer with `reason`. */
async function expectReasonOnBoth(bytes: Buffer, reason: Reason): Promise<void> {
  const { frames } = await sendTtlv(server, bytes);
  assert.equal(frames.length, 1, 'one answer over TTLV');
  assertFailedWith(responseOf(frames[0] as Buffer), reason);
  const res = await postKmip(server, bytes);
  assert.equal(res.status, 200);
  assertFailedWith(responseOf(res.body), reason);
  await assertGoodClientServed(server);
}

async function expectSuccessOnBoth(bytes: Buffer): Promise<void> {
  const { frames } = await sendTtlv(server, bytes);
  assert.equal(responseOf(frames[0] as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
  const res = await postKmip(server, bytes);
  assert.equal(responseOf(res.body).batchItems[0]?.resultStatus, ResultStatus.Success);
}

/** Over TTLV the connection is closed without an answer. */
async function expectCleanClose(chunks: Buffer[], end = true): Promise<void> {
  const { frames, closedAfterBytes } = await sendTtlv(server, chunks, {
    end,
    waitClose: true,
    expectFrames: 0,
  });
  assert.equal(frames.length, 0);
  assert.equal(closedAfterBytes, 0, 'closed by the server, nothing sent back');
  await assertGoodClientServed(server);
}

/** Raw HTTP/1.1 over TLS: the exact request bytes, the raw answer (or '' when closed silently). */
async function rawHttps(
  request: Buffer[],
  waitMs = 5000,
): Promise<{ text: string; closed: boolean; ms: number }> {
  const { files } = await testPki();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: server.addresses.https?.port ?? 0,
      ca: readFileSync(files.ca),
      cert: readFileSync(files.client),
      key: readFileSync(files.clientKey),
      servername: 'localhost',
    });
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false, ms: Date.now() - started });
    }, waitMs);
    s.on('secureConnect', () => {
      for (const r of request) s.write(r);
    });
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - started });
    });
  });
}

const httpHead = (lines: string[]): Buffer =>
  Buffer.from(['POST /kmip HTTP/1.1', 'Host: localhost', ...lines, '', ''].join('\r\n'), 'latin1');

// ------------------------------------------------------------------------------------------------
describe('1-4 framing', () => {
  test('empty-input-then-eof-is-closed-cleanly', () => expectCleanClose([]));
  test('four-byte-header-then-eof-is-closed-cleanly', () => expectCleanClose([hex('42007801')]));
  test('seven-byte-header-then-eof-is-closed-cleanly', () => expectCleanClose([hex('42007801 000000')]));
  test('header-with-no-value-then-eof-is-closed-cleanly', () => expectCleanClose([hex('42007801 00000010')]));

  test('empty-and-short-bodies-over-https-are-invalid-message', async () => {
    for (const body of ['', '42007801', '42007801000000', '4200780100000010']) {
      const res = await postKmip(server, hex(body));
      assert.equal(res.status, 200, `body ${body}`);
      assertFailedWith(responseOf(res.body), 'InvalidMessage');
    }
    await assertGoodClientServed(server);
  });

  test('rejects-frame-over-limit-before-buffering', async () => {
    // 1 MiB of body announced: 8 + 0x100000 > the 1 MiB limit. Nothing else is sent, so a close
    // proves the refusal came right after the 8-byte header.
    await expectCleanClose([hex('42007801 00100000')], false);
    await expectCleanClose([hex('42007801 fffffff8')], false);
  });

  test('https-content-length-over-body-limit-is-413-before-the-body', async () => {
    const res = await rawHttps([
      httpHead(['Content-Type: application/octet-stream', 'Content-Length: 2097152']),
    ]);
    assert.match(res.text, /^HTTP\/1\.1 413 /);
    await assertGoodClientServed(server);
  });

  test('announced-length-then-eof-closes-and-leaks-nothing', () =>
    // Structure of 0x40 bytes announced; 8 arrive; then EOF.
    expectCleanClose([hex('42007801 00000040 42007701 00000038')]));

  test('announced-length-then-stall-is-closed-by-the-request-deadline', async () => {
    const started = Date.now();
    const { closedAfterBytes } = await sendTtlv(server, [hex('42007801 00000040 42007701 00000038')], {
      expectFrames: 0,
      waitClose: true,
      timeoutMs: 10_000,
    });
    assert.equal(closedAfterBytes, 0);
    assert.ok(Date.now() - started < 8000, 'closed by the 1 s request deadline, well before 8 s');
    await assertGoodClientServed(server);
  });

  test('frame-in-1-byte-chunks-is-reassembled-and-answered', async () => {
    const conn = await rawConnect(server.addresses.ttlv?.port ?? 0);
    conn.socket.setNoDelay(true);
    const bytes = queryRequest();
    for (const b of bytes) {
      conn.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const [frame] = await conn.frames(1);
    assert.equal(responseOf(frame as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
    conn.socket.destroy();
  });

  test('two-frames-in-one-chunk-get-two-answers', async () => {
    const { frames } = await sendTtlv(server, Buffer.concat([queryRequest(), queryRequest()]), {
      expectFrames: 2,
    });
    assert.equal(frames.length, 2);
  });

  test('frame-followed-by-garbage-is-answered-then-closed', async () => {
    const garbage = hex('ff00ff00 ff00ff00');
    const { frames, closedAfterBytes } = await sendTtlv(server, Buffer.concat([queryRequest(), garbage]), {
      expectFrames: 1,
      waitClose: true,
    });
    assert.equal(frames.length, 1);
    assert.equal(responseOf(frames[0] as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
    assert.ok(closedAfterBytes !== undefined && closedAfterBytes > 0, 'answered, then closed');
    // Over HTTPS the body is one message: trailing bytes make it invalid.
    const res = await postKmip(server, Buffer.concat([queryRequest(), garbage]));
    assertFailedWith(responseOf(res.body), 'InvalidMessage');
    await assertGoodClientServed(server);
  });
});

describe('6 http', () => {
  test('https-chunked-body-without-content-length-is-served', async () => {
    const body = queryRequest();
    const res = await rawHttps(
      [
        httpHead([
          'Content-Type: application/octet-stream',
          'Transfer-Encoding: chunked',
          'Connection: close',
        ]),
        Buffer.from(`${body.length.toString(16)}\r\n`),
        body,
        Buffer.from('\r\n0\r\n\r\n'),
      ],
      5000,
    );
    assert.match(res.text, /^HTTP\/1\.1 200 /);
  });

  test('https-chunked-body-over-the-limit-is-413', async () => {
    const chunk = Buffer.alloc(256 * 1024);
    const parts = [httpHead(['Content-Type: application/octet-stream', 'Transfer-Encoding: chunked'])];
    for (let i = 0; i < 6; i++)
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    const res = await rawHttps(parts);
    assert.match(res.text, /^HTTP\/1\.1 413 /);
    await assertGoodClientServed(server);
  });

  test('https-lying-content-length-is-cut-by-the-request-timeout', async () => {
    // 1000 bytes announced, 16 sent, then silence.
    const res = await rawHttps(
      [
        httpHead(['Content-Type: application/octet-stream', 'Content-Length: 1000']),
        hex('42007801 000003e0 42007701 000003d8'),
      ],
      15_000,
    );
    assert.ok(res.closed, 'the server closed the connection');
    assert.ok(res.ms < 12_000, `closed after ${res.ms} ms`);
    assert.doesNotMatch(res.text, /^HTTP\/1\.1 200/);
    await assertGoodClientServed(server);
  });

  test('https-error-answers-carry-no-error-text', async () => {
    const res = await postKmip(server, Buffer.alloc(2 * 1024 * 1024));
    assert.equal(res.status, 413);
    assert.equal(res.body.length, 0);
    const other = await postKmip(server, '', 'application/octet-stream', {
      path: '/kmip/../admin',
      method: 'GET',
    });
    assert.equal(other.status, 404);
    assert.doesNotMatch(other.body.toString(), /Error|stack|\//);
  });
});

// ------------------------------------------------------------------------------------------------
describe('7-16 ttlv items', () => {
  test('type-byte-zero-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420074 00 00000004 00000001 00000000')]), 'InvalidMessage'));
  test('type-byte-above-the-highest-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420074 0c 00000004 00000001 00000000')]), 'InvalidMessage'));
  test('type-byte-ff-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420074 ff 00000004 00000001 00000000')]), 'InvalidMessage'));
  test('tag-prefix-not-42-or-54-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('430074 05 00000004 00000001 00000000')]), 'InvalidMessage'));
  test('outer-tag-prefix-not-42-or-54-closes-the-connection', () =>
    expectCleanClose([hex('43007801 00000000')], false));

  const wrongLengths: [string, string][] = [
    ['integer-length-8', '42000d 02 00000008 00000000 00000001'],
    ['long-integer-length-4', '42006a 03 00000004 00000001 00000000'],
    ['enumeration-length-2', '420074 05 00000002 0001 000000000000'],
    ['boolean-length-4', '420007 06 00000004 00000001 00000000'],
    ['interval-length-8', '420074 0a 00000008 00000000 00000001'],
    ['date-time-length-4', '420092 09 00000004 00000001 00000000'],
    ['date-time-extended-length-16', '420092 0b 00000010 00000000 00000001 00000000 00000001'],
    ['boolean-value-2', '420007 06 00000008 00000000 00000002'],
    ['boolean-high-word-set', '420007 06 00000008 00000001 00000001'],
    ['nonzero-padding-after-integer', '42000d 02 00000004 00000001 00000001'],
    ['nonzero-padding-after-text', '420105 07 00000003 616263 0000000001'],
  ];
  for (const [name, bytes] of wrongLengths) {
    test(`fixed-width-${name}-is-invalid-message`, () =>
      expectReasonOnBoth(queryRequest([hex(bytes)]), 'InvalidMessage'));
  }

  test('huge-claimed-text-length-over-a-few-bytes-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420105 07 fffffff0 41414141 41414141')]), 'InvalidMessage'));
  test('huge-claimed-byte-string-length-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420093 08 7fffffff 41414141 41414141')]), 'InvalidMessage'));
  test('child-structure-overrunning-its-parent-is-invalid-message', () =>
    // A structure claiming 0x20 bytes with 0x08 left in the payload.
    expectReasonOnBoth(queryRequest([hex('420105 01 00000020 420105 07 00000000')]), 'InvalidMessage'));
  test('zero-length-message-followed-by-bytes-is-invalid-message', async () => {
    const res = await postKmip(server, hex('42007801 00000000 42007701 00000000'));
    assertFailedWith(responseOf(res.body), 'InvalidMessage');
    // Over TTLV the 8-byte frame is answered, then the next header is refused.
    const { frames } = await sendTtlv(server, hex('42007801 00000000 00000000 00000000'), {
      waitClose: true,
    });
    assertFailedWith(responseOf(frames[0] as Buffer), 'InvalidMessage');
    await assertGoodClientServed(server);
  });

  const nested = (depth: number): Buffer => {
    // Depth counts the Request Message as 1; Batch Item 2; Request Payload 3.
    let inner = hex('420105 01 00000000');
    for (let d = 5; d <= depth; d++) inner = st('420105', inner);
    return requestMessage([batchCount(1)], [batchItem(operation(PLACEHOLDER_SET), st('420079', inner))]);
  };
  test('nesting-depth-64-is-accepted', () => expectSuccessOnBoth(nested(64)));
  test('nesting-depth-65-is-invalid-message', () => expectReasonOnBoth(nested(65), 'InvalidMessage'));
  test('nesting-100000-deep-is-refused-without-stack-overflow', async () => {
    // 100,000 nested empty-length headers: 800 KB, under the frame limit; each claims the rest.
    const depth = 100_000;
    const bytes = Buffer.alloc(depth * 8);
    for (let i = 0; i < depth; i++) {
      bytes.writeUIntBE(i === 0 ? 0x420078 : 0x420105, i * 8, 3);
      bytes[i * 8 + 3] = 0x01;
      bytes.writeUInt32BE((depth - i - 1) * 8, i * 8 + 4);
    }
    await expectReasonOnBoth(bytes, 'InvalidMessage');
  });

  test('invalid-utf8-text-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([], [hex('420105 07 00000002 c328 000000000000')]), 'InvalidMessage'));
  test('overlong-utf8-and-lone-surrogate-are-invalid-message', async () => {
    await expectReasonOnBoth(
      queryRequest([], [hex('420105 07 00000002 c0af 000000000000')]),
      'InvalidMessage',
    );
    await expectReasonOnBoth(
      queryRequest([], [hex('420105 07 00000003 eda080 0000000000')]),
      'InvalidMessage',
    );
  });
  test('empty-text-string-is-accepted', () =>
    expectSuccessOnBoth(queryRequest([], [hex('420105 07 00000000')])));
  test('empty-big-integer-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([hex('420074 04 00000000')]), 'InvalidMessage'));
  test('big-integer-of-12-bytes-is-invalid-message', () =>
    expectReasonOnBoth(
      queryRequest([hex('420074 04 0000000c 00000000 00000000 00000001 00000000')]),
      'InvalidMessage',
    ));

  test('extreme-date-times-in-the-header-are-accepted', async () => {
    await expectSuccessOnBoth(queryRequest([], [hex('420092 09 00000008 7fffffff ffffffff')]));
    await expectSuccessOnBoth(queryRequest([], [hex('420092 09 00000008 80000000 00000000')]));
  });
  test('extreme-long-integers-in-a-payload-are-accepted', () =>
    expectSuccessOnBoth(
      requestMessage(
        [batchCount(1)],
        [
          batchItem(
            operation(PLACEHOLDER_SET),
            st(
              '420079',
              hex('420105 03 00000008 80000000 00000000'),
              hex('420105 03 00000008 7fffffff ffffffff'),
            ),
          ),
        ],
      ),
    ));

  test('wrong-type-for-a-known-tag-is-invalid-message', () =>
    // Batch Count as an Enumeration.
    expectReasonOnBoth(
      requestMessage(
        [hex('42000d 05 00000004 00000001 00000000')],
        [batchItem(operation(0x18), st('420079', queryOperations))],
      ),
      'InvalidMessage',
    ));
  test('unexpected-tag-in-the-header-is-invalid-message', () =>
    expectReasonOnBoth(queryRequest([], [hex('420094 07 00000001 78 00000000000000')]), 'InvalidMessage'));
  test('missing-batch-count-is-invalid-message', () =>
    expectReasonOnBoth(requestMessage([], [batchItem(operation(0x18), emptyPayload)]), 'InvalidMessage'));
  test('missing-protocol-version-is-invalid-message', () =>
    expectReasonOnBoth(
      st('420078', st('420077', batchCount(1)), batchItem(operation(0x18), emptyPayload)),
      'InvalidMessage',
    ));
  test('repeated-batch-count-is-invalid-message', () =>
    expectReasonOnBoth(
      requestMessage([batchCount(1), batchCount(1)], [batchItem(operation(0x18), emptyPayload)]),
      'InvalidMessage',
    ));
  test('batch-item-without-operation-is-invalid-message', () =>
    expectReasonOnBoth(requestMessage([batchCount(1)], [batchItem(emptyPayload)]), 'InvalidMessage'));

  test('undefined-batch-error-continuation-value-is-invalid-field', () =>
    expectReasonOnBoth(queryRequest([], [hex('42000e 05 00000004 00000063 00000000')]), 'InvalidField'));
  test('undefined-query-function-value-is-invalid-field', () =>
    expectReasonOnBoth(queryRequest([hex('420074 05 00000004 00000063 00000000')]), 'InvalidField'));
  test('unknown-operation-is-operation-not-supported', () =>
    expectReasonOnBoth(
      requestMessage([batchCount(1)], [batchItem(operation(0x7f), emptyPayload)]),
      'OperationNotSupported',
    ));
  test('unknown-vendor-operation-is-operation-not-supported', () =>
    expectReasonOnBoth(
      requestMessage([batchCount(1)], [batchItem(operation(0x8000ffff), emptyPayload)]),
      'OperationNotSupported',
    ));

  const jsonQuery = (payload: string, header = ''): string =>
    `{"tag":"RequestMessage","value":[{"tag":"RequestHeader","value":[{"tag":"ProtocolVersion","value":[{"tag":"ProtocolVersionMajor","type":"Integer","value":2},{"tag":"ProtocolVersionMinor","type":"Integer","value":1}]}${header},{"tag":"BatchCount","type":"Integer","value":1}]},{"tag":"BatchItem","value":[{"tag":"Operation","type":"Enumeration","value":"Query"},{"tag":"RequestPayload","value":[${payload}]}]}]}`;
  const okPayload = '{"tag":"QueryFunction","type":"Enumeration","value":"QueryOperations"}';

  async function expectJson(body: string, reason: Reason): Promise<void> {
    const res = await postKmip(server, body, 'application/json');
    assert.equal(res.status, 200);
    assertFailedWith(responseOf(res.body, 'json'), reason);
    await assertGoodClientServed(server);
  }
  async function expectXml(body: string, reason: Reason): Promise<void> {
    const res = await postKmip(server, body, 'text/xml');
    assert.equal(res.status, 200);
    assertFailedWith(responseOf(res.body, 'xml'), reason);
    await assertGoodClientServed(server);
  }

  test('json-baseline-query-is-served', async () => {
    const res = await postKmip(server, jsonQuery(okPayload), 'application/json');
    assert.equal(responseOf(res.body, 'json').batchItems[0]?.resultStatus, ResultStatus.Success);
  });
  test('json-proto-key-is-invalid-message', () =>
    expectJson(
      jsonQuery(
        `${okPayload},{"tag":"QueryFunction","type":"Enumeration","value":"QueryOperations","__proto__":{"polluted":1}}`,
      ),
      'InvalidMessage',
    ));
  test('json-constructor-key-is-invalid-message', () =>
    expectJson(
      jsonQuery(
        `{"tag":"QueryFunction","type":"Enumeration","value":"QueryOperations","constructor":{"prototype":{"polluted":1}}}`,
      ),
      'InvalidMessage',
    ));
  test('json-prototype-is-not-polluted', () => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  test('json-deep-nesting-is-invalid-message', () =>
    expectJson(
      jsonQuery('{"tag":"QueryFunction","value":'.repeat(20_000) + '[]' + '}'.repeat(20_000)),
      'InvalidMessage',
    ));
  test('json-huge-numbers-are-invalid-message', async () => {
    await expectJson(jsonQuery(okPayload).replace('"value":2}', '"value":1e400}'), 'InvalidMessage');
    await expectJson(
      jsonQuery(okPayload).replace('"value":2}', '"value":18446744073709551617}'),
      'InvalidMessage',
    );
  });
  test('json-undefined-enumeration-name-is-invalid-field', () =>
    expectJson(
      jsonQuery('{"tag":"QueryFunction","type":"Enumeration","value":"NoSuchFunction"}'),
      'InvalidField',
    ));
  test('json-mask-with-unknown-bits-is-invalid-field', () =>
    expectJson(
      jsonQuery(`${okPayload},{"tag":"CryptographicUsageMask","type":"Integer","value":"Encrypt|NoSuchBit"}`),
      'InvalidField',
    ));
  test('xml-entity-expansion-is-invalid-message', () =>
    expectXml(
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><RequestMessage>&b;</RequestMessage>',
      'InvalidMessage',
    ));
  test('xml-deep-nesting-is-invalid-message', () =>
    expectXml(
      '<RequestMessage>' +
        '<RequestPayload>'.repeat(20_000) +
        '</RequestPayload>'.repeat(20_000) +
        '</RequestMessage>',
      'InvalidMessage',
    ));
});

// ------------------------------------------------------------------------------------------------
describe('17-23 messages and batches', () => {
  const item = (op = 0x18, ubid?: string) =>
    batchItem(
      operation(op),
      ...(ubid ? [hex(`420093 08 00000001 ${ubid} 00000000000000`)] : []),
      st('420079', queryOperations),
    );

  test('batch-count-not-matching-items-is-invalid-message', () =>
    expectReasonOnBoth(requestMessage([batchCount(2)], [item()]), 'InvalidMessage'));
  test('ten-thousand-batch-items-are-refused-by-the-cap', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) =>
      batchItem(
        operation(0x18),
        hex(`420093 08 00000004 ${i.toString(16).padStart(8, '0')} 00000000`),
        emptyPayload,
      ),
    );
    await expectReasonOnBoth(requestMessage([batchCount(10_000)], items), 'InvalidMessage');
  });
  test('sixty-four-batch-items-are-served-sixty-five-refused', async () => {
    const make = (n: number) =>
      requestMessage(
        [batchCount(n)],
        Array.from({ length: n }, (_, i) => item(0x18, i.toString(16).padStart(2, '0'))),
      );
    const { frames } = await sendTtlv(server, make(64));
    const ok = responseOf(frames[0] as Buffer);
    assert.equal(ok.batchItems.length, 64);
    assert.ok(ok.batchItems.every((b) => b.resultStatus === ResultStatus.Success));
    await expectReasonOnBoth(make(65), 'InvalidMessage');
  });
  test('batch-error-continuation-undo-is-feature-not-supported', () =>
    expectReasonOnBoth(
      queryRequest([], [hex('42000e 05 00000004 00000003 00000000')]),
      'FeatureNotSupported',
    ));
  test('several-items-without-unique-batch-item-id-are-invalid-message', () =>
    expectReasonOnBoth(requestMessage([batchCount(2)], [item(), item()]), 'InvalidMessage'));
  test('repeated-unique-batch-item-id-is-invalid-message', () =>
    expectReasonOnBoth(
      requestMessage([batchCount(2)], [item(0x18, '01'), item(0x18, '01')]),
      'InvalidMessage',
    ));

  test('id-placeholder-of-one-client-is-not-seen-by-another', async () => {
    const setA = requestMessage([batchCount(1)], [batchItem(operation(PLACEHOLDER_SET), emptyPayload)]);
    const getB = requestMessage([batchCount(1)], [batchItem(operation(PLACEHOLDER_GET), emptyPayload)]);
    const a = await rawConnect(server.addresses.ttlv?.port ?? 0);
    const b = await rawConnect(server.addresses.ttlv?.port ?? 0);
    a.socket.write(setA);
    b.socket.write(getB);
    const [fa] = await a.frames(1);
    const [fb] = await b.frames(1);
    assert.equal(responseOf(fa as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
    assertFailedWith(responseOf(fb as Buffer), 'MissingData');
    // Nor by the next request of the same client.
    a.socket.write(getB);
    const [fa2] = await a.frames(1);
    assertFailedWith(responseOf(fa2 as Buffer), 'MissingData');
    a.socket.destroy();
    b.socket.destroy();
    const res = await postKmip(server, getB);
    assertFailedWith(responseOf(res.body), 'MissingData');
  });

  test('concurrent-requests-never-swap-id-placeholders', async () => {
    const setGet = (i: number) =>
      requestMessage(
        [batchCount(2)],
        [
          batchItem(
            operation(PLACEHOLDER_SET),
            hex(`420093 08 00000001 01 00000000000000`),
            st('420079', hex(`420105 02 00000004 ${i.toString(16).padStart(8, '0')} 00000000`)),
          ),
          batchItem(operation(PLACEHOLDER_GET), hex(`420093 08 00000001 02 00000000000000`), emptyPayload),
        ],
      );
    const conns = await Promise.all(
      Array.from({ length: 4 }, () => rawConnect(server.addresses.ttlv?.port ?? 0)),
    );
    const rounds = 25;
    const results = await Promise.all(
      conns.map(async (c, ci) => {
        for (let r = 0; r < rounds; r++) c.socket.write(setGet(ci * rounds + r));
        return c.frames(rounds, 10_000);
      }),
    );
    for (const frames of results) {
      for (const f of frames) {
        const [set, get] = responseOf(f).batchItems;
        const setId = set?.payload?.value[0]?.value;
        const getId = get?.payload?.value[0]?.value;
        assert.equal(typeof setId, 'string');
        assert.equal(getId, setId, 'each request reads its own placeholder');
      }
    }
    for (const c of conns) c.socket.destroy();
  });

  test('unsupported-protocol-version-gets-a-readable-answer', async () => {
    const bytes = queryRequest([], [], protocolVersion(3, 0));
    const { frames } = await sendTtlv(server, bytes);
    const response = responseOf(frames[0] as Buffer);
    assert.deepEqual(response.header.protocolVersion, { major: 2, minor: 1 });
    assertFailedWith(response, 'UnsupportedProtocolVersion');
    const old = responseOf(
      (await sendTtlv(server, queryRequest([], [], protocolVersion(1, 9)))).frames[0] as Buffer,
    );
    assert.deepEqual(old.header.protocolVersion, { major: 1, minor: 4 });
    assertFailedWith(old, 'InvalidMessage'); // 1.x has no Unsupported Protocol Version reason
    await assertGoodClientServed(server);
  });
  test('maximum-response-size-too-small-is-response-too-large', () =>
    expectReasonOnBoth(queryRequest([], [hex('420050 02 00000004 00000010 00000000')]), 'ResponseTooLarge'));
  test('negative-maximum-response-size-is-response-too-large', () =>
    expectReasonOnBoth(queryRequest([], [hex('420050 02 00000004 ffffffff 00000000')]), 'ResponseTooLarge'));
  // KMIP 1.4 §6.7: the server decides whether to run a request asynchronously; operations
  // that cannot run asynchronously are answered synchronously, never left hanging.
  test('asynchronous-indicator-on-a-synchronous-operation-is-answered-at-once', () =>
    expectSuccessOnBoth(queryRequest([], [hex('420007 06 00000008 00000000 00000001')])));
});

// ------------------------------------------------------------------------------------------------
describe('24-25 identity and authentication', () => {
  async function tlsOutcome(port: number, cert?: Buffer, key?: Buffer): Promise<{ answered: boolean }> {
    const conn = await rawConnect(port, cert && key ? { cert, key } : { withCert: false });
    if (!conn.socket.destroyed) conn.socket.write(queryRequest());
    const got = await Promise.race([
      conn.frames(1, 5000).then(
        () => true,
        () => false,
      ),
      conn.closed.then(() => false),
    ]);
    conn.socket.destroy();
    return { answered: got };
  }
  async function httpsRefused(cert?: Buffer, key?: Buffer): Promise<boolean> {
    const { files } = await testPki();
    return new Promise((resolve) => {
      const s = tlsConnect({
        host: '127.0.0.1',
        port: server.addresses.https?.port ?? 0,
        ca: readFileSync(files.ca),
        servername: 'localhost',
        ...(cert && key && { cert, key }),
      });
      const body = queryRequest();
      let text = '';
      s.on('secureConnect', () => {
        s.write(
          `POST /kmip HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        s.write(body);
      });
      s.on('data', (c: Buffer) => (text += c.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => resolve(!/^HTTP\/1\.1 200/.test(text)));
      setTimeout(() => s.destroy(), 5000).unref();
    });
  }

  test('no-client-certificate-is-refused-on-both-transports', async () => {
    assert.equal((await tlsOutcome(server.addresses.ttlv?.port ?? 0)).answered, false);
    assert.equal(await httpsRefused(), true);
    await assertGoodClientServed(server);
  });

  test('certificate-from-another-ca-is-refused-on-both-transports', async () => {
    const other = await createDevPki(join(mkdtempSync(join(tmpdir(), 'krypton-other-')), 'pki'));
    const cert = readFileSync(other.client);
    const key = readFileSync(other.clientKey);
    assert.equal((await tlsOutcome(server.addresses.ttlv?.port ?? 0, cert, key)).answered, false);
    assert.equal(await httpsRefused(cert, key), true);
    await assertGoodClientServed(server);
  });

  test('expired-client-certificate-is-refused-on-both-transports', async () => {
    const { stateDir } = await testPki();
    const expired = await issueClientCertificate(join(stateDir, 'pki'), 'expired-client', { validDays: -1 });
    const cert = readFileSync(expired.cert);
    const key = readFileSync(expired.key);
    assert.equal((await tlsOutcome(server.addresses.ttlv?.port ?? 0, cert, key)).answered, false);
    assert.equal(await httpsRefused(cert, key), true);
    await assertGoodClientServed(server);
  });

  test('certificate-naming-another-identity-from-another-ca-is-refused', async () => {
    // The other CA's "gateway" certificate carries the gateway principal's exact name.
    const other = await createDevPki(join(mkdtempSync(join(tmpdir(), 'krypton-other-')), 'pki'));
    const cert = readFileSync(other.gateway);
    const key = readFileSync(other.gatewayKey);
    assert.equal((await tlsOutcome(server.addresses.ttlv?.port ?? 0, cert, key)).answered, false);
    assert.equal(await httpsRefused(cert, key), true);
  });

  test('https-routes-other-than-post-kmip-are-not-served', async () => {
    for (const [method, path] of [
      ['GET', '/kmip'],
      ['GET', '/'],
      ['GET', '/metrics'],
      ['GET', '/healthz'],
      ['POST', '/kmip/'],
      ['PUT', '/kmip'],
    ] as const) {
      const res = await postKmip(server, '', 'application/octet-stream', { method, path });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });

  test('open-authentication-setup-fails-start-up', async () => {
    await assert.rejects(
      startTestServer({ tls: { requireClientCert: false }, auth: { credentials: { verifier: 'none' } } }),
      (err: unknown) => err instanceof Error && /auth/i.test(err.message),
    );
  });

  test('wrong-credential-is-authentication-not-successful', async () => {
    const withVerifier = await startHardeningServer({
      auth: {
        defaultPermissions: ['*'],
        credentials: { verifier: 'static', users: { alice: { password: await hashPassword('right') } } },
      },
    });
    const credential = st(
      '42000c',
      st(
        '420023',
        hex('420024 05 00000004 00000001 00000000'),
        st(
          '420025',
          hex('420099 07 00000005 616c696365 000000'),
          hex('4200a1 07 00000005 7772306e67 000000'),
        ),
      ),
    );
    const previous = server;
    server = withVerifier;
    try {
      await expectReasonOnBoth(queryRequest([], [credential]), 'AuthenticationNotSuccessful');
    } finally {
      server = previous;
      await withVerifier.close();
    }
  });
  test('unsupported-credential-type-is-authentication-not-successful', async () => {
    const credential = st('42000c', st('420023', hex('420024 05 00000004 00000003 00000000'), st('420025')));
    await expectReasonOnBoth(queryRequest([], [credential]), 'AuthenticationNotSuccessful');
  });
});

// ------------------------------------------------------------------------------------------------
describe('30, 33 output and process', () => {
  const call = (op: number) => requestMessage([batchCount(1)], [batchItem(operation(op), emptyPayload)]);

  test('error-text-with-sql-and-paths-never-reaches-the-client', async () => {
    await expectReasonOnBoth(call(THROWS_LEAKY_ERROR), 'GeneralFailure');
    const { frames } = await sendTtlv(server, call(THROWS_LEAKY_ERROR));
    assert.equal(responseOf(frames[0] as Buffer).batchItems[0]?.resultMessage, 'internal error');
  });

  test('unencodable-handler-result-fails-the-item-and-the-process-lives', () =>
    expectReasonOnBoth(call(RETURNS_UNENCODABLE), 'GeneralFailure'));

  test('handler-throwing-a-non-error-fails-the-item-and-the-process-lives', async () => {
    await expectReasonOnBoth(call(THROWS_NON_ERROR), 'GeneralFailure');
    await expectReasonOnBoth(call(REJECTS_LATER), 'GeneralFailure');
  });

  test('abrupt-disconnects-mid-request-leave-the-server-serving', async () => {
    for (let i = 0; i < 20; i++) {
      const conn = await rawConnect(server.addresses.ttlv?.port ?? 0);
      conn.socket.write(call(REJECTS_LATER)); // the answer will find the socket gone
      conn.socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    await assertGoodClientServed(server);
  });
});
