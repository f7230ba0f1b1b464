/**
 * Helpers for the hardening tests: a server with the hostile test operations and its own audit
 * log, exact-byte TTLV builders, raw TLS and HTTPS senders, and the "a well-behaved client on
 * another connection is unaffected" check every bad-input test ends with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeKmipJson, decodeKmipXml } from '../../core/encodings/index.js';
import { parseResponseMessage } from '../../core/messages/index.js';
import type { ResponseBatchItem, ResponseMessage } from '../../core/messages/index.js';
import type { RunningServer, StartServerOptions } from '../../core/server/server.js';
import { ResultReason, ResultStatus } from '../../core/spec/index.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import { clientFor, startTestServer, testPki } from '../e2e/support.js';
import { rawConnect } from '../e2e/raw.js';

export const hostilePluginPath = fileURLToPath(new URL('./fixtures/hostile-plugin.js', import.meta.url));
export const BUILTINS = ['builtin:discover-versions', 'builtin:query'];

/** A server on ephemeral loopback ports with the hostile operations and a fresh audit log. */
export async function startHardeningServer(
  patch: Record<string, unknown> = {},
  opts: StartServerOptions = {},
): Promise<RunningServer & { auditPath: string }> {
  const auditPath = join(mkdtempSync(join(tmpdir(), 'krypton-audit-')), 'audit.jsonl');
  const server = await startTestServer(
    {
      plugins: [...BUILTINS, hostilePluginPath],
      ...patch,
      audit: { path: auditPath, ...(patch.audit as object | undefined) },
    },
    opts,
  );
  return Object.assign(server, { auditPath });
}

// --- exact-byte TTLV builders -------------------------------------------------------------------

/** Bytes from hex written with spaces for readability. */
export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  assert.ok(/^([0-9a-f]{2})*$/i.test(clean), `bad hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** A Structure (type 01) with the tag given as 6 hex digits, its length computed. */
export function st(tag: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUIntBE(parseInt(tag, 16), 0, 3);
  head[3] = 0x01;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Protocol Version 2.1 unless told. */
export const protocolVersion = (major = 2, minor = 1): Buffer =>
  st(
    '420069',
    hex(`42006a 02 00000004 ${major.toString(16).padStart(8, '0')} 00000000`),
    hex(`42006b 02 00000004 ${minor.toString(16).padStart(8, '0')} 00000000`),
  );

export const batchCount = (n: number): Buffer =>
  hex(`42000d 02 00000004 ${n.toString(16).padStart(8, '0')} 00000000`);
export const operation = (code: number): Buffer =>
  hex(`42005c 05 00000004 ${code.toString(16).padStart(8, '0')} 00000000`);
/** Query Function: Query Operations (1). */
export const queryOperations = hex('420074 05 00000004 00000001 00000000');
export const emptyPayload = hex('420079 01 00000000');

/** Request Message around a header (after Protocol Version) and batch items. */
export function requestMessage(headerExtra: Buffer[], items: Buffer[], version = protocolVersion()): Buffer {
  return st('420078', st('420077', version, ...headerExtra), ...items);
}

export function batchItem(...parts: Buffer[]): Buffer {
  return st('42000f', ...parts);
}

/** A well-formed Query (Query Operations) request; `payloadExtra` lands inside its payload. */
export function queryRequest(
  payloadExtra: Buffer[] = [],
  headerExtra: Buffer[] = [],
  version = protocolVersion(),
): Buffer {
  return requestMessage(
    [...headerExtra, batchCount(1)],
    [batchItem(operation(0x18), st('420079', queryOperations, ...payloadExtra))],
    version,
  );
}

// --- senders ------------------------------------------------------------------------------------

export interface TtlvExchange {
  frames: Buffer[];
  /** Bytes received before the server closed; undefined while still open. */
  closedAfterBytes: number | undefined;
}

/**
 * Writes `chunks` over a fresh mutual-TLS connection, then collects `expectFrames` answers (or
 * fewer if the server closes first). `end` half-closes after writing.
 */
export async function sendTtlv(
  server: RunningServer,
  chunks: Buffer | Buffer[],
  opts: { expectFrames?: number; end?: boolean; timeoutMs?: number; waitClose?: boolean } = {},
): Promise<TtlvExchange> {
  const conn = await rawConnect(server.addresses.ttlv?.port ?? 0);
  let closedAfterBytes: number | undefined;
  void conn.closed.then(({ bytes }) => (closedAfterBytes = bytes));
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) {
    if (conn.socket.destroyed) break;
    conn.socket.write(c);
  }
  if (opts.end) conn.socket.end();
  const want = opts.expectFrames ?? 1;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const frames: Buffer[] = [];
  if (want > 0) {
    const got = await Promise.race([
      conn.frames(want, timeoutMs).catch(() => undefined),
      conn.closed.then(() => undefined),
    ]);
    if (got) frames.push(...got);
  }
  if (opts.waitClose) {
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, timeoutMs))]);
  }
  conn.socket.destroy();
  await new Promise((r) => setImmediate(r));
  return { frames, closedAfterBytes };
}

export interface HttpsAnswer {
  status: number;
  type: string;
  body: Buffer;
}

export async function postKmip(
  server: RunningServer,
  body: Buffer | string,
  contentType = 'application/octet-stream',
  opts: {
    headers?: Record<string, string | number>;
    withCert?: boolean;
    path?: string;
    method?: string;
  } = {},
): Promise<HttpsAnswer> {
  const { files } = await testPki();
  const withCert = opts.withCert ?? true;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.addresses.https?.port,
        path: opts.path ?? '/kmip',
        method: opts.method ?? 'POST',
        ca: readFileSync(files.ca),
        ...(withCert && { cert: readFileSync(files.client), key: readFileSync(files.clientKey) }),
        servername: 'localhost',
        agent: false,
        headers: { 'content-type': contentType, ...opts.headers },
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
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// --- answers ------------------------------------------------------------------------------------

export function responseOf(body: Buffer, encoding: 'ttlv' | 'json' | 'xml' = 'ttlv'): ResponseMessage {
  const tree =
    encoding === 'ttlv'
      ? decodeTtlv(body)
      : encoding === 'json'
        ? decodeKmipJson(body.toString())
        : decodeKmipXml(body.toString());
  return parseResponseMessage(tree);
}

const REASON_NAMES = new Map(Object.entries(ResultReason).map(([k, v]) => [v as number, k]));

/** Asserts every batch item failed with `reason` and carries a client-safe message. */
export function assertFailedWith(
  response: ResponseMessage,
  reason: keyof typeof ResultReason,
): ResponseBatchItem {
  assert.ok(response.batchItems.length >= 1);
  for (const item of response.batchItems) {
    assert.equal(item.resultStatus, ResultStatus.OperationFailed);
    assert.equal(
      REASON_NAMES.get(item.resultReason ?? -1),
      reason,
      `expected ${reason}, got ${REASON_NAMES.get(item.resultReason ?? -1)}: ${item.resultMessage}`,
    );
    assertSafeMessage(item.resultMessage);
    assert.equal(item.payload, undefined, 'a failed item carries no payload');
  }
  return response.batchItems[0] as ResponseBatchItem;
}

/** SECURITY-CHECKLIST 30: no stack frames, SQL, file paths or source locations. */
export function assertSafeMessage(message: string | undefined): void {
  if (message === undefined) return;
  assert.ok(message.length <= 200, `long message: ${message}`);
  for (const bad of [
    /\bat .+\(/,
    /\.(ts|js|db|sqlite|pem):?/i,
    /\/(var|tmp|work|home|usr|etc)\//,
    /\bSELECT\b|\bINSERT\b|SQLITE|postgres/i,
    /node:/,
    /Error:/,
  ]) {
    assert.doesNotMatch(message, bad, `unsafe message: ${message}`);
  }
}

/** A well-behaved client on a fresh connection of each transport is still served promptly. */
export async function assertGoodClientServed(server: RunningServer): Promise<void> {
  const client = await clientFor(server);
  try {
    const versions = await client.discoverVersions();
    assert.ok(versions.length > 0);
  } finally {
    await client.close();
  }
  if (server.addresses.https) {
    const res = await postKmip(server, queryRequest());
    assert.equal(res.status, 200);
    assert.equal(responseOf(res.body).batchItems[0]?.resultStatus, ResultStatus.Success);
  }
}
