/**
 * The client against a real server (ephemeral ports, real mutual TLS): version negotiation,
 * Result Reasons surfacing as KmipResultError, batches, pipelining, the pool, and the HTTPS
 * transports in TTLV, JSON and XML.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { KmipClient, KmipOperationError, KmipResultError } from '../../../core/client/client.js';
import type { KmipClientOptions } from '../../../core/client/client.js';
import { queryRequest, rawRequest, discoverVersionsRequest } from '../../../core/client/requests.js';
import type { RunningServer } from '../../../core/server/server.js';
import { KMIP_VERSIONS, Operation, ResultReason, type KmipVersion } from '../../../core/spec/index.js';
import { startTestServer, testPki } from '../../e2e/support.js';

let server: RunningServer;
let base: KmipClientOptions;

before(async () => {
  server = await startTestServer();
  const { files } = await testPki();
  base = {
    host: '127.0.0.1',
    port: server.addresses.ttlv?.port ?? 0,
    ca: readFileSync(files.ca),
    cert: readFileSync(files.client),
    key: readFileSync(files.clientKey),
  };
});
after(() => server.close());

async function withClient<T>(
  extra: Partial<KmipClientOptions>,
  fn: (c: KmipClient) => Promise<T>,
): Promise<T> {
  const client = await KmipClient.connect({ ...base, ...extra });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

test('negotiate-adopts-the-servers-first-choice-of-the-offer', async () => {
  await withClient({ version: '1.1' }, async (c) => {
    assert.equal(await c.negotiate(), '2.1');
    assert.equal(c.version, '2.1');
    assert.equal(await c.negotiate(['1.3', '1.2']), '1.3');
    assert.equal(c.version, '1.3');
  });
  await withClient({ negotiate: ['1.4', '1.0'] }, async (c) => assert.equal(c.version, '1.4'));
});

test('server-result-reason-surfaces-as-typed-kmip-result-error', async () => {
  await withClient({}, async (c) => {
    const err = await c.request('Certify').then(
      () => assert.fail('Certify must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof KmipResultError);
    assert.ok(err instanceof KmipOperationError, 'the earlier name still matches');
    assert.equal(err.resultReason, ResultReason.OperationNotSupported);
    assert.equal(err.resultReasonName, 'OperationNotSupported');
    assert.equal(err.operation, Operation.Certify);
    assert.match(err.message, /Certify: OperationNotSupported/);
  });
});

// No such object: KMIP 2.0 added Object Not Found; 1.x answers Item Not Found (1.4 §11.12).
for (const [version, reason, said] of [
  ['1.4', 'ItemNotFound', 'item-not-found'],
  ['2.0', 'ObjectNotFound', 'object-not-found'],
  ['2.1', 'ObjectNotFound', 'object-not-found'],
] as const) {
  for (const transport of ['ttlv', 'https-json'] as const) {
    test(`typed-method-of-an-unknown-object-is-${said}-in-kmip-${version}-over-${transport}`, async () => {
      const over: Partial<KmipClientOptions> =
        transport === 'ttlv'
          ? { version }
          : {
              version,
              transport: 'https',
              encoding: 'json',
              port: server.addresses.https?.port ?? 0,
              servername: 'localhost',
            };
      await withClient(over, async (c) => {
        assert.ok((await c.queryServer()).operations.includes('Get'), 'the standalone profile serves Get');
        for (const attempt of [
          c.get('no-such-object'),
          c.getAttributes({ uniqueIdentifier: 'no-such-object' }),
        ])
          await assert.rejects(
            attempt,
            (e: unknown) =>
              e instanceof KmipResultError &&
              e.resultReasonName === reason &&
              e.resultReason === ResultReason[reason] &&
              e.message.includes(reason),
          );
      });
    });
  }
}

test('batch-of-typed-requests-reports-each-outcome-and-stop-leaves-the-rest-unrun', async () => {
  await withClient({}, async (c) => {
    const go = await c.batchOf([queryRequest(), rawRequest('Certify'), discoverVersionsRequest()], {
      continuation: 'Continue',
    });
    assert.equal(go[0].status, 'ok');
    assert.ok(go[0].status === 'ok' && go[0].value.operations.includes('Query'));
    assert.ok(go[1].status === 'failed' && go[1].error.resultReasonName === 'OperationNotSupported');
    assert.ok(go[2].status === 'ok' && go[2].value.length === KMIP_VERSIONS.length);
    const stop = await c.batchOf([rawRequest('Certify'), queryRequest()], { continuation: 'Stop' });
    assert.equal(stop[0].status, 'failed');
    assert.equal(stop[1].status, 'not-run');
  });
});

test('pipelined-requests-on-one-connection-get-their-own-answers', async () => {
  await withClient({}, async (c) => {
    const versions: KmipVersion[] = Array.from(
      { length: 40 },
      (_, i) => KMIP_VERSIONS[i % KMIP_VERSIONS.length]!,
    );
    const answers = await Promise.all(
      versions.map((version) => c.batch([{ operation: Operation.Query }], { version })),
    );
    answers.forEach((a, i) => {
      const [major, minor] = versions[i]!.split('.').map(Number);
      assert.deepEqual(a.header.protocolVersion, { major, minor }, `request ${i}`);
    });
  });
});

test('pool-spreads-concurrent-requests-and-keeps-answers-matched', async () => {
  await withClient({ poolSize: 3 }, async (c) => {
    const offers: KmipVersion[][] = Array.from({ length: 30 }, (_, i) => [
      KMIP_VERSIONS[i % KMIP_VERSIONS.length]!,
    ]);
    const answers = await Promise.all(offers.map((offer) => c.discoverVersions(offer)));
    assert.deepEqual(answers, offers);
  });
});

for (const encoding of ['ttlv', 'json', 'xml'] as const) {
  test(`https-transport-in-${encoding}-answers-like-ttlv-over-tls`, async () => {
    const viaTls = await withClient({}, (c) => c.queryServer());
    const viaHttps = await withClient(
      { transport: 'https', encoding, port: server.addresses.https?.port ?? 0, servername: 'localhost' },
      async (c) => {
        await assert.rejects(c.request('Certify'), (e: unknown) => e instanceof KmipResultError);
        return c.queryServer();
      },
    );
    assert.deepEqual(viaHttps.operations, viaTls.operations);
  });
}
