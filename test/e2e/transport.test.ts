import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createDevPki } from '../../core/auth/pki.js';
import { decodeKmipJson, decodeKmipXml, encodeKmipJson, encodeKmipXml } from '../../core/encodings/index.js';
import { encodeRequestMessage, parseResponseMessage } from '../../core/messages/index.js';
import type { RequestMessage } from '../../core/messages/index.js';
import type { RunningServer } from '../../core/server/server.js';
import { Operation, QueryFunction, ResultReason, ResultStatus, Tag } from '../../core/spec/index.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import { enumeration, structure } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import { rawConnect } from './raw.js';
import { startTestServer, testPki } from './support.js';

let server: RunningServer;

before(async () => {
  server = await startTestServer({
    limits: { handshakeTimeoutMs: 400, maxConnectionsPerPeer: 40, maxFrameBytes: 65536 },
  });
});
after(() => server.close());

const ttlvPort = () => server.addresses.ttlv?.port ?? 0;

function queryRequest(version = { major: 1, minor: 4 }, batchCount = 1): TtlvItem {
  const message: RequestMessage = {
    header: { protocolVersion: version, batchCount },
    batchItems: [
      {
        operation: Operation.Query,
        payload: structure(Tag.RequestPayload, [
          enumeration(Tag.QueryFunction, QueryFunction.QueryOperations),
          enumeration(Tag.QueryFunction, QueryFunction.QueryServerInformation),
        ]),
      },
    ],
  };
  return encodeRequestMessage(message);
}

test('wrong-batch-count-is-invalid-message', async () => {
  const conn = await rawConnect(ttlvPort());
  conn.socket.write(encodeTtlv(queryRequest({ major: 1, minor: 4 }, 2)));
  const [frame] = await conn.frames(1);
  const response = parseResponseMessage(decodeTtlv(frame as Buffer));
  assert.deepEqual(response.header.protocolVersion, { major: 1, minor: 4 });
  assert.equal(response.batchItems[0]?.resultStatus, ResultStatus.OperationFailed);
  assert.equal(response.batchItems[0]?.resultReason, ResultReason.InvalidMessage);
  conn.socket.destroy();
});

test('unsupported-protocol-version-gets-a-readable-error-response', async () => {
  const conn = await rawConnect(ttlvPort());
  conn.socket.write(encodeTtlv(queryRequest({ major: 3, minor: 0 })));
  const [frame] = await conn.frames(1);
  const response = parseResponseMessage(decodeTtlv(frame as Buffer));
  assert.deepEqual(response.header.protocolVersion, { major: 2, minor: 1 });
  assert.equal(response.batchItems[0]?.resultReason, ResultReason.UnsupportedProtocolVersion);
  conn.socket.destroy();
});

test('pipelined-requests-on-one-connection-are-answered-in-order', async () => {
  const conn = await rawConnect(ttlvPort());
  const ops = [Operation.Query, Operation.Locate, Operation.DiscoverVersions, Operation.Query];
  const frames = ops.map((operation) =>
    encodeTtlv(
      encodeRequestMessage({
        header: { protocolVersion: { major: 2, minor: 0 }, batchCount: 1 },
        batchItems: [{ operation, payload: structure(Tag.RequestPayload, []) }],
      }),
    ),
  );
  conn.socket.write(Buffer.concat(frames)); // all in one chunk
  const answers = (await conn.frames(ops.length)).map((f) => parseResponseMessage(decodeTtlv(f)));
  assert.deepEqual(
    answers.map((a) => a.batchItems[0]?.operation),
    ops,
  );
  conn.socket.destroy();
});

test('oversize-frame-is-refused-after-its-header-and-the-connection-closed', async () => {
  const conn = await rawConnect(ttlvPort());
  // RequestMessage header claiming 2 MiB; the limit here is 64 KiB. No body is sent.
  conn.socket.write(Buffer.from('42007801' + '00200000', 'hex'));
  const { bytes } = await conn.closed;
  assert.equal(bytes, 0, 'no response to an oversize frame');
});

test('client-without-certificate-is-refused-at-the-handshake', async () => {
  const conn = await rawConnect(ttlvPort(), { withCert: false });
  // TLS 1.3 reports the refusal after the client's Finished: any request must go unanswered.
  if (!conn.socket.destroyed) conn.socket.write(encodeTtlv(queryRequest()));
  const { bytes } = await conn.closed;
  assert.equal(bytes, 0);
});

test('client-certificate-from-another-ca-is-refused', async () => {
  const other = await createDevPki(join(mkdtempSync(join(tmpdir(), 'krypton-other-')), 'pki'));
  const conn = await rawConnect(ttlvPort(), {
    cert: readFileSync(other.client),
    key: readFileSync(other.clientKey),
  });
  if (!conn.socket.destroyed) conn.socket.write(encodeTtlv(queryRequest()));
  const { bytes } = await conn.closed;
  assert.equal(bytes, 0);
});

test('tcp-connection-without-handshake-is-closed-after-the-handshake-timeout', async () => {
  const socket = netConnect(ttlvPort(), '127.0.0.1');
  socket.on('error', () => {});
  const started = Date.now();
  await new Promise((resolve) => socket.once('close', resolve));
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `closed after ${elapsed} ms`);
});

test('tls-1.1-is-refused', async () => {
  const { files } = await testPki();
  const outcome = await new Promise<string>((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: ttlvPort(),
      ca: readFileSync(files.ca),
      cert: readFileSync(files.client),
      key: readFileSync(files.clientKey),
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    s.once('secureConnect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', () => resolve('refused'));
  });
  assert.equal(outcome, 'refused');
});

async function postKmip(
  body: Buffer | string,
  contentType: string,
): Promise<{ status: number; type: string; body: Buffer }> {
  const { files } = await testPki();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.addresses.https?.port,
        path: '/kmip',
        method: 'POST',
        ca: readFileSync(files.ca),
        cert: readFileSync(files.client),
        key: readFileSync(files.clientKey),
        servername: 'localhost',
        headers: { 'content-type': contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function withoutTimeStamp(item: TtlvItem): TtlvItem {
  if (item.type !== 'Structure') return item;
  return { ...item, value: item.value.filter((c) => c.tag !== Tag.TimeStamp).map(withoutTimeStamp) };
}

test('same-request-over-ttlv-json-and-xml-on-https-gives-equal-answers', async () => {
  const request = queryRequest({ major: 2, minor: 1 });
  const ttlv = await postKmip(encodeTtlv(request), 'application/octet-stream');
  const json = await postKmip(encodeKmipJson(request), 'application/json');
  const xml = await postKmip(encodeKmipXml(request), 'text/xml');
  assert.equal(ttlv.status, 200);
  assert.match(ttlv.type, /application\/octet-stream/);
  assert.match(json.type, /application\/json/);
  assert.match(xml.type, /text\/xml/);
  const a = withoutTimeStamp(decodeTtlv(ttlv.body));
  const b = withoutTimeStamp(decodeKmipJson(json.body.toString()));
  const c = withoutTimeStamp(decodeKmipXml(xml.body.toString()));
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.equal(parseResponseMessage(decodeTtlv(ttlv.body)).batchItems[0]?.resultStatus, ResultStatus.Success);
});

test('https-answers-like-the-ttlv-listener', async () => {
  const request = queryRequest({ major: 1, minor: 2 });
  const overHttps = decodeTtlv((await postKmip(encodeTtlv(request), 'application/octet-stream')).body);
  const conn = await rawConnect(ttlvPort());
  conn.socket.write(encodeTtlv(request));
  const [frame] = await conn.frames(1);
  conn.socket.destroy();
  assert.deepEqual(withoutTimeStamp(decodeTtlv(frame as Buffer)), withoutTimeStamp(overHttps));
});

test('https-refuses-other-content-types', async () => {
  const res = await postKmip('hello', 'text/plain');
  assert.equal(res.status, 415);
});

test('https-body-over-the-limit-is-refused', async () => {
  const res = await postKmip(Buffer.alloc(2 * 1024 * 1024), 'application/octet-stream');
  assert.equal(res.status, 413);
});

test('undecodable-body-gets-an-invalid-message-response', async () => {
  const res = await postKmip('{"tag":"RequestMessage","value":[', 'application/json');
  assert.equal(res.status, 200);
  const response = parseResponseMessage(decodeKmipJson(res.body.toString()));
  assert.equal(response.batchItems[0]?.resultReason, ResultReason.InvalidMessage);
});

function adminGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: server.addresses.admin?.port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

test('admin-listener-serves-health-readiness-and-metrics', async () => {
  assert.equal((await adminGet('/healthz')).status, 200);
  assert.equal((await adminGet('/readyz')).status, 200);
  const metrics = await adminGet('/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /krypton_kmip_operations_total\{operation="Query",status="Success"\} [1-9]/);
  assert.match(
    metrics.body,
    /krypton_kmip_operation_duration_seconds_bucket\{le="[^"]+",operation="Query"\}/,
  );
  assert.match(metrics.body, /krypton_open_connections/);
  assert.equal((await adminGet('/kmip')).status, 404);
});
