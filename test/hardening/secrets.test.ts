/**
 * Secrets hygiene (SECURITY-CHECKLIST 31): with the production logger at debug level, a sentinel
 * sent as a password, as key bytes in payloads and inside malformed input never appears in the
 * logs or the audit log — not as text, hex or base64. Secret-named fields are redacted at any
 * depth the server logs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { hashPassword } from '../../core/auth/credentials.js';
import { createLogger } from '../../core/server/logger.js';
import { PLACEHOLDER_SET, THROWS_LEAKY_ERROR } from './fixtures/hostile-plugin.js';
import {
  batchCount,
  batchItem,
  hex,
  operation,
  postKmip,
  queryRequest,
  requestMessage,
  responseOf,
  sendTtlv,
  st,
  startHardeningServer,
} from './support.js';
import { ResultStatus } from '../../core/spec/index.js';

const SENTINEL = 'S3ntinel-K3y-5ecret-0xC0FFEE';
const sentinelBytes = Buffer.from(SENTINEL, 'utf8');
const forms = [
  SENTINEL,
  sentinelBytes.toString('hex'),
  sentinelBytes.toString('hex').toUpperCase(),
  sentinelBytes.toString('base64'),
  sentinelBytes.toString('base64url'),
  // A fragment, in case something truncates.
  SENTINEL.slice(4, 20),
];

function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function assertNoSentinel(where: string, text: string): void {
  for (const f of forms) assert.ok(!text.includes(f), `${where} contains the sentinel (${f})`);
}

const textItem = (tag: string, value: string): Buffer => {
  const b = Buffer.from(value, 'utf8');
  const pad = (8 - (b.length % 8)) % 8;
  return Buffer.concat([hex(`${tag} 07 ${b.length.toString(16).padStart(8, '0')}`), b, Buffer.alloc(pad)]);
};
const byteItem = (tag: string, value: Buffer): Buffer => {
  const pad = (8 - (value.length % 8)) % 8;
  return Buffer.concat([
    hex(`${tag} 08 ${value.length.toString(16).padStart(8, '0')}`),
    value,
    Buffer.alloc(pad),
  ]);
};
const credential = (user: string, password: string): Buffer =>
  st(
    '42000c',
    st(
      '420023',
      hex('420024 05 00000004 00000001 00000000'),
      st('420025', textItem('420099', user), textItem('4200a1', password)),
    ),
  );

test('debug-logs-and-audit-never-hold-sentinel-passwords-or-key-bytes', async () => {
  const logs = capture();
  const log = createLogger({ level: 'trace', pretty: false }, logs.stream);
  const server = await startHardeningServer(
    {
      auth: {
        defaultPermissions: ['*'],
        credentials: { verifier: 'static', users: { alice: { password: await hashPassword(SENTINEL) } } },
      },
    },
    { log },
  );
  try {
    const keyBytes = byteItem('420043', sentinelBytes);
    const requests: Buffer[] = [
      // Right and wrong passwords.
      queryRequest([], [credential('alice', SENTINEL)]),
      queryRequest([], [credential(SENTINEL, SENTINEL)]),
      // Key bytes in a payload the operation ignores, and in one whose handler fails.
      requestMessage([batchCount(1)], [batchItem(operation(PLACEHOLDER_SET), st('420079', keyBytes))]),
      requestMessage([batchCount(1)], [batchItem(operation(THROWS_LEAKY_ERROR), st('420079', keyBytes))]),
      // Key bytes followed by a decoding error, and key bytes as a Text String of a bad message.
      requestMessage(
        [batchCount(1)],
        [batchItem(operation(0x18), st('420079', keyBytes, hex('420074 ff 00000000')))],
      ),
      queryRequest([], [textItem('420105', SENTINEL), textItem('420105', SENTINEL)]),
    ];
    const answers = [];
    for (const r of requests) {
      answers.push((await sendTtlv(server, r)).frames[0]);
      answers.push((await postKmip(server, r)).body);
    }
    // The right password was accepted: the sentinel really went through authentication.
    assert.equal(responseOf(answers[0] as Buffer).batchItems[0]?.resultStatus, ResultStatus.Success);
    for (const a of answers) assertNoSentinel('a response', (a as Buffer).toString('latin1'));
    // Configuration-shaped objects with secret names, as a careless caller might log them.
    log.info({ hsm: { pin: SENTINEL, passphrase: SENTINEL, password: SENTINEL } }, 'config');
    log.debug({ password: SENTINEL, passphrase: SENTINEL, pin: SENTINEL, credential: SENTINEL }, 'fields');
  } finally {
    await server.close();
  }
  const text = logs.text();
  assert.ok(text.split('\n').length > 10, 'debug logging was on and captured');
  assertNoSentinel('the log', text);
  assertNoSentinel('the audit log', readFileSync(server.auditPath, 'utf8'));
});
