import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KmipOperationError } from '../../core/client/client.js';
import type { KmipClient } from '../../core/client/client.js';
import type { RunningServer } from '../../core/server/server.js';
import {
  KMIP_VERSIONS,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
} from '../../core/spec/index.js';
import { children } from '../../core/ttlv/tree.js';
import { clientFor, startTestServer } from './support.js';

let server: RunningServer;
let client: KmipClient;

before(async () => {
  // The framework alone: the standalone profile's operations minus everything but these two.
  server = await startTestServer({ plugins: ['builtin:discover-versions', 'builtin:query'] });
  client = await clientFor(server);
});
after(async () => {
  await client.close();
  await server.close();
});

test('discover-versions-answers-in-every-version-1.0-to-2.1', async () => {
  for (const version of KMIP_VERSIONS) {
    const response = await client.batch([{ operation: Operation.DiscoverVersions }], { version });
    const [major, minor] = version.split('.').map(Number);
    assert.deepEqual(response.header.protocolVersion, { major, minor }, `answered in ${version}`);
    assert.equal(response.batchItems[0]?.resultStatus, ResultStatus.Success, version);
    const listed = children(response.batchItems[0]?.payload, Tag.ProtocolVersion).length;
    assert.equal(listed, KMIP_VERSIONS.length, version);
  }
});

test('discover-versions-intersects-the-client-offer', async () => {
  assert.deepEqual(await client.discoverVersions(['1.2', '2.0', '3.0' as never]), ['2.0', '1.2']);
});

test('query-reports-exactly-the-loaded-operations', async () => {
  for (const version of ['1.0', '1.4', '2.1'] as const) {
    const payload = await client.query([QueryFunction.QueryOperations, QueryFunction.QueryObjects], {
      version,
    });
    const ops = children(payload, Tag.Operation).map((o) => o.value);
    const expected = version === '1.0' ? [Operation.Query] : [Operation.DiscoverVersions, Operation.Query];
    assert.deepEqual([...ops].sort(), [...expected].sort(), version);
  }
});

test('query-server-information-names-the-vendor', async () => {
  const payload = await client.query([QueryFunction.QueryServerInformation]);
  assert.equal(children(payload, Tag.VendorIdentification)[0]?.value, 'Krypton');
  assert.equal(children(payload, Tag.ServerInformation).length, 1);
});

test('unknown-operation-is-operation-not-supported', async () => {
  await assert.rejects(
    client.call(Operation.Locate, []),
    (err: unknown) =>
      err instanceof KmipOperationError && err.resultReason === ResultReason.OperationNotSupported,
  );
});

test('batch-continue-runs-every-item-and-reports-each-result', async () => {
  const response = await client.batch(
    [
      { operation: Operation.Query, payload: [] },
      { operation: Operation.Locate },
      { operation: Operation.DiscoverVersions },
    ],
    { continuation: 'Continue' },
  );
  assert.equal(response.header.batchCount, 3);
  assert.deepEqual(
    response.batchItems.map((i) => i.resultStatus),
    [ResultStatus.Success, ResultStatus.OperationFailed, ResultStatus.Success],
  );
  assert.deepEqual(
    response.batchItems.map((i) => [...(i.uniqueBatchItemId ?? [])]),
    [[1], [2], [3]],
  );
});

test('batch-stop-ends-at-the-first-failure', async () => {
  const response = await client.batch(
    [
      { operation: Operation.Query },
      { operation: Operation.Locate },
      { operation: Operation.DiscoverVersions },
    ],
    { continuation: 'Stop' },
  );
  assert.equal(response.batchItems.length, 2);
  assert.equal(response.batchItems[1]?.resultReason, ResultReason.OperationNotSupported);
});

test('batch-undo-is-feature-not-supported', async () => {
  const response = await client.send(
    (await import('../../core/messages/index.js')).encodeRequestMessage({
      header: { protocolVersion: { major: 2, minor: 1 }, batchErrorContinuationOption: 3, batchCount: 1 },
      batchItems: [
        { operation: Operation.Query, payload: { tag: Tag.RequestPayload, type: 'Structure', value: [] } },
      ],
    }),
  );
  const parsed = (await import('../../core/messages/index.js')).parseResponseMessage(response);
  assert.equal(parsed.batchItems[0]?.resultReason, ResultReason.FeatureNotSupported);
});
