/**
 * The logger a handler sees (`ctx.log`): lines carry the item's bindings (operation, principal,
 * tenant); lines below the server's level cost nothing — the item's pino child logger is built
 * only for a line that will be written.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import { Dispatcher } from '../../../core/dispatch/dispatcher.js';
import { defineOperation, type RequestServices } from '../../../core/dispatch/operation.js';
import { OperationRegistry } from '../../../core/dispatch/registry.js';
import { handleKmipMessage } from '../../../core/server/kmip-endpoint.js';
import { encodeTtlv } from '../../../core/ttlv/encoder.js';
import { requestMessage } from '../../../bench/scenarios/requests.js';

const LOGS = 0x80000e21;

function harness(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const base = pino({ level }, sink);
  let children = 0;
  const counting = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'child')
        return (...a: Parameters<Logger['child']>) => {
          children++;
          return target.child(...a);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const registry = new OperationRegistry();
  registry.add(
    defineOperation({
      phase: 1,
      roles: ['core'],
      permission: 'log-test',
      operation: { name: 'LogTest', code: LOGS },
      handle(ctx) {
        ctx.log.info({ event: 'info-line' }, 'info line');
        ctx.log.debug('debug line');
        ctx.log.warn({ event: 'warn-line' }, 'warn line');
        return [];
      },
    }),
  );
  registry.seal();
  const dispatcher = new Dispatcher({
    registry,
    log: counting,
    services: {} as RequestServices,
    maxBatchItems: 8,
    maxResponseBytes: 1 << 20,
  });
  const send = () =>
    handleKmipMessage({ dispatcher, maxDepth: 32 }, encodeTtlv(requestMessage('2.1', LOGS, [])), 'ttlv', {
      transport: 'ttlv',
      remoteAddress: '127.0.0.1',
      peerIdentity: Object.freeze({
        principal: 'alice',
        source: 'certificate' as const,
        tenant: 't1',
        permissions: new Set(['*']),
        gateway: false,
      }),
    });
  return { lines, send, children: () => children, flush: () => new Promise((r) => setImmediate(r)) };
}

test('at level info the lines carry the item bindings; debug is dropped', async () => {
  const h = harness('info');
  await h.send();
  await h.flush();
  const events = h.lines.map((l) => l.event);
  assert.deepEqual(events, ['info-line', 'warn-line']);
  for (const l of h.lines) {
    assert.equal(l.op, 'LogTest');
    assert.equal(l.principal, 'alice');
    assert.equal(l.tenant, 't1');
  }
  assert.equal(h.children(), 1, 'one child logger for the item');
});

test('at level warn an info line builds no child logger; a warn line still does, with bindings', async () => {
  const h = harness('warn');
  await h.send();
  await h.flush();
  assert.deepEqual(
    h.lines.map((l) => [l.event, l.op, l.tenant]),
    [['warn-line', 'LogTest', 't1']],
  );
  assert.equal(h.children(), 1);
});

test('at level error no line is written and no child logger is built', async () => {
  const h = harness('error');
  await h.send();
  await h.flush();
  assert.deepEqual(h.lines, []);
  assert.equal(h.children(), 0);
});
