/**
 * Core outage: the gateway keeps serving L4 keys under a cached L3, fails forwarded operations
 * fast with a clear reason, reports upstream health, and reconnects by itself.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { KmipResultError, type KmipClient } from '../../core/client/client.js';
import { startSplit, type Split } from './split-support.js';

const TIMEOUT_MS = 1500;
const KWP = { BlockCipherMode: 'AESKeyWrapPadding' };

let split: Split;
let gw: KmipClient;

before(async () => {
  split = await startSplit({
    upstream: { requestTimeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, reconnectDelayMs: 100 },
  });
  gw = await split.client();
});

after(async () => {
  await split?.close();
});

async function metric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${split.gateway.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

test('core-outage-cached-l3-keeps-l4-working-forwarded-fails-fast-then-recovers', async () => {
  // Warm: the tenant's service key and its L3 in the gateway's cache.
  const first = (await gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256 } }))
    .uniqueIdentifier;
  const l3 = (await gw.getAttributes({ uniqueIdentifier: first })).attributes.find((a) => a.name === 'Link')
    ?.value as { LinkedObjectIdentifier: string };
  const l3Id = l3.LinkedObjectIdentifier;
  await gw.encrypt({ uniqueIdentifier: l3Id, data: randomBytes(32), cryptographicParameters: KWP });
  assert.equal(await metric('krypton_gateway_upstream_up'), 1);

  await split.stopCore();

  // 1,000 operations under the cached L3: Create, Get, Encrypt (wrap), Decrypt (unwrap).
  let done = 0;
  for (let i = 0; i < 250; i++) {
    const id = (await gw.create({ attributes: { CryptographicAlgorithm: 'AES', CryptographicLength: 256 } }))
      .uniqueIdentifier;
    const dek = (await gw.get(id)).keyMaterial!;
    const wrapped = (await gw.encrypt({ uniqueIdentifier: l3Id, data: dek, cryptographicParameters: KWP }))
      .data!;
    const back = (await gw.decrypt({ uniqueIdentifier: l3Id, data: wrapped, cryptographicParameters: KWP }))
      .data!;
    assert.deepEqual(Buffer.from(back), Buffer.from(dek));
    done += 4;
  }
  assert.equal(done, 1000);

  // A forwarded operation fails within its timeout with a reason and a message, never hangs.
  const started = Date.now();
  await assert.rejects(
    gw.rekey({ uniqueIdentifier: l3Id }),
    (err: unknown) =>
      err instanceof KmipResultError &&
      err.resultReasonName === 'GeneralFailure' &&
      /core/.test(err.resultMessage ?? ''),
  );
  assert.ok(Date.now() - started < TIMEOUT_MS + 1000, `failed after ${Date.now() - started} ms`);
  assert.equal(await metric('krypton_gateway_upstream_up'), 0);

  // The core comes back on its port: forwarded operations work again, the gateway never restarted.
  await split.restartCore();
  let recovered = false;
  for (let i = 0; i < 100 && !recovered; i++) {
    try {
      await gw.getAttributes({ uniqueIdentifier: l3Id });
      recovered = true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.ok(recovered, 'forwarded operations succeed again');
  assert.equal(await metric('krypton_gateway_upstream_up'), 1);
});
