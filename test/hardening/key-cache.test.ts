/**
 * Cached key material after Revoke, Destroy and Rekey (SECURITY-CHECKLIST 28), over real TLS:
 * the core's unwrapped-key cache (one core; two cores sharing one PostgreSQL database, where the
 * change is made on the other process) and the gateway's L3 cache (a core and a gateway as two
 * processes, the change made at the core behind the gateway's back). What was cached must stop
 * working at once at the core, and within the documented poll bound at the gateway; the gateway
 * must then answer exactly what the core answers.
 *
 * Through-the-gateway Revoke/Destroy/Rekey and a Revoke at the core are in test/gateway/gateway.test.ts;
 * the caches' bounds and zeroing in test/core/keys/key-cache.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { KmipClient, KmipResultError } from '../../core/client/client.js';
import { readFileSync } from 'node:fs';
import { startSplit, type Split } from '../gateway/split-support.js';
import {
  PG_URL,
  dropSchema,
  postgresSkip,
  startCore,
  tenantPki,
  type Adapter,
  type CoreServer,
} from './tenants.js';

const L3 = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
  'x-krypton-level': 'L3',
};
const KWP = { BlockCipherMode: 'AESKeyWrapPadding' };

function reasonOf(err: unknown): string {
  if (err instanceof KmipResultError) return err.resultReasonName ?? 'none';
  throw err;
}

/** The Result Reason of a call, or 'Success'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'Success';
  } catch (err) {
    return reasonOf(err);
  }
}

async function aliceOf(port: number): Promise<KmipClient> {
  const p = await tenantPki();
  return KmipClient.connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(p.ca),
    cert: readFileSync(p.certs.alice.cert),
    key: readFileSync(p.certs.alice.key),
  });
}

/** An active L3, used once so that it (and its L2) sit in the cache; a DEK wrapped under it. */
async function cachedL3(c: KmipClient): Promise<{ id: string; dek: Buffer; wrapped: Uint8Array }> {
  const id = (await c.create({ attributes: { ...L3, ActivationDate: new Date(Date.now() - 1000) } }))
    .uniqueIdentifier;
  const dek = randomBytes(32);
  const wrapped = (await c.encrypt({ uniqueIdentifier: id, data: dek, cryptographicParameters: KWP })).data!;
  const back = (await c.decrypt({ uniqueIdentifier: id, data: wrapped, cryptographicParameters: KWP })).data!;
  assert.deepEqual(Buffer.from(back), dek);
  return { id, dek, wrapped };
}

/** Wrap and unwrap under `id` by client `c`: their outcomes. */
async function uses(c: KmipClient, k: { id: string; dek: Buffer; wrapped: Uint8Array }) {
  return {
    wrap: await outcome(c.encrypt({ uniqueIdentifier: k.id, data: k.dek, cryptographicParameters: KWP })),
    unwrap: await outcome(
      c.decrypt({ uniqueIdentifier: k.id, data: k.wrapped, cryptographicParameters: KWP }),
    ),
  };
}

/**
 * Revoke, Rekey and Destroy made through `changer` while the key is cached where `user` is
 * served; `user` must see each at once.
 */
async function changesSeenAtOnce(changer: KmipClient, user: KmipClient): Promise<void> {
  // Revoke (Cessation of Operation): Deactivated — unwrap only.
  const a = await cachedL3(user);
  await changer.revoke({ uniqueIdentifier: a.id });
  assert.deepEqual(
    await uses(user, a),
    { wrap: 'WrongKeyLifecycleState', unwrap: 'Success' },
    'after Revoke',
  );
  // Destroy: nothing works any more, though the plaintext was cached.
  await changer.destroy(a.id);
  assert.deepEqual(
    await uses(user, a),
    { wrap: 'WrongKeyLifecycleState', unwrap: 'WrongKeyLifecycleState' },
    'after Destroy',
  );
  // Compromise: Compromised, then Destroyed Compromised.
  const b = await cachedL3(user);
  await changer.revoke({
    uniqueIdentifier: b.id,
    reason: 'KeyCompromise',
    compromiseOccurrenceDate: new Date(),
  });
  assert.equal((await uses(user, b)).wrap, 'WrongKeyLifecycleState', 'after compromise');
  await changer.destroy(b.id);
  assert.deepEqual(
    await uses(user, b),
    { wrap: 'WrongKeyLifecycleState', unwrap: 'WrongKeyLifecycleState' },
    'after Destroy of a compromised key',
  );
  // Rekey: the old key is decrypt only at once.
  const c = await cachedL3(user);
  const next = (await changer.rekey({ uniqueIdentifier: c.id })).uniqueIdentifier;
  assert.deepEqual(await uses(user, c), { wrap: 'WrongKeyLifecycleState', unwrap: 'Success' }, 'after Rekey');
  assert.equal(
    await outcome(user.encrypt({ uniqueIdentifier: next, data: c.dek, cryptographicParameters: KWP })),
    'Success',
  );
}

function coreSuite(adapter: Adapter, skip: string | false): void {
  describe(`core key cache on ${adapter}`, { skip }, () => {
    let core: CoreServer;
    let alice: KmipClient;
    before(async () => {
      core = await startCore(adapter);
      alice = await aliceOf(core.port);
    });
    after(async () => {
      await alice?.close();
      await core?.close();
    });

    it('revoke-destroy-and-rekey-make-cached-key-material-unusable-at-once', async () => {
      await changesSeenAtOnce(alice, alice);
    });
  });
}

coreSuite('sqlite', false);
coreSuite('postgres', postgresSkip());

describe('two cores sharing one postgresql database', { skip: postgresSkip() }, () => {
  const schema = `krypton_two_${randomBytes(6).toString('hex')}`;
  let one: CoreServer;
  let two: CoreServer;
  let a: KmipClient;
  let b: KmipClient;
  before(async () => {
    one = await startCore('postgres', { storage: { schema } });
    // One deployment: the same database and the same L1 (the software HSM's key file in stateDir).
    two = await startCore('postgres', { storage: { schema }, stateDir: one.stateDir });
    a = await aliceOf(one.port);
    b = await aliceOf(two.port);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await one?.close();
    await two?.close();
    if (PG_URL) await dropSchema(schema);
  });

  it('revoke-destroy-and-rekey-on-one-core-make-the-other-cores-cached-key-unusable-at-once', async () => {
    await changesSeenAtOnce(b, a);
  });
});

describe('gateway l3 cache', () => {
  const POLL_MS = 300;
  let split: Split;
  let gw: KmipClient;
  let core: KmipClient;
  before(async () => {
    split = await startSplit({
      upstream: { l3Cache: { pollIntervalMs: POLL_MS }, requestTimeoutMs: 3000 },
      logLevel: 'warn',
    });
    gw = await split.client();
    core = await split.client({ to: 'core' });
  });
  after(async () => split?.close());

  /** Polls the gateway (bounded in count and time) until it answers like the core; the delay. */
  async function converges(k: { id: string; dek: Buffer; wrapped: Uint8Array }, changedAt: number) {
    const expected = await uses(core, k);
    let seen = await uses(gw, k);
    for (let i = 0; i < 200 && JSON.stringify(seen) !== JSON.stringify(expected); i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = await uses(gw, k);
    }
    assert.deepEqual(seen, expected, 'the gateway answers what the core answers');
    // Documented bound: pollIntervalMs + one request timeout; generous slack for a loaded machine.
    const delay = Date.now() - changedAt;
    assert.ok(delay < POLL_MS + 3000 + 2000, `converged after ${delay} ms`);
  }

  it('destroy-and-compromise-at-the-core-reach-the-gateways-cached-l3-within-the-poll-bound', async () => {
    // Destroy behind the gateway's back: the cached plaintext must stop unwrapping.
    const a = await cachedL3(gw);
    await core.revoke({ uniqueIdentifier: a.id });
    await converges(a, Date.now());
    let at = Date.now();
    await core.destroy(a.id);
    await converges(a, at);
    assert.equal((await uses(gw, a)).unwrap, 'WrongKeyLifecycleState');
    // Compromise behind its back.
    const b = await cachedL3(gw);
    at = Date.now();
    await core.revoke({
      uniqueIdentifier: b.id,
      reason: 'KeyCompromise',
      compromiseOccurrenceDate: new Date(),
    });
    await converges(b, at);
    assert.equal((await uses(gw, b)).wrap, 'WrongKeyLifecycleState');
    // Rekey behind its back: the old key wraps no more.
    const c = await cachedL3(gw);
    at = Date.now();
    await core.rekey({ uniqueIdentifier: c.id });
    await converges(c, at);
    assert.deepEqual(await uses(gw, c), { wrap: 'WrongKeyLifecycleState', unwrap: 'Success' });
  });
});
