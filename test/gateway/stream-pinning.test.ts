/**
 * Forwarded multi-part operations stay on one upstream connection (core/gateway/stream-pins.ts):
 * a core served by two worker processes (PostgreSQL store, a schema of its own) keeps each stream
 * in the worker that opened it, and a gateway with four pooled connections — spread over both
 * workers — must send every later part over the connection that carried the Init part. Many
 * concurrent Encrypt, Decrypt, Sign and Signature Verify streams on core keys all complete; a
 * stream whose pinned connection is cut mid-stream ends with the core's answer for an unknown
 * Correlation Value (1.x: Item Not Found) — also in front of a single-process core, where another
 * connection would have reached the stream: its parts are never sent over another connection. The pin table's
 * bounds, idle expiry and connection drops are checked on the class itself with a set clock, and
 * through its metrics at a running gateway.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { KmipClient } from '../../core/client/client.js';
import { isKryptonError } from '../../core/errors.js';
import { StreamPins } from '../../core/gateway/stream-pins.js';
import { BlockCipherMode, Operation, Tag, ValidityIndicator } from '../../core/spec/index.js';
import type { KmipVersion } from '../../core/spec/index.js';
import { boolean, byteString, child, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { PG_URL, dropSchema, postgresSkip } from '../hardening/tenants.js';
import { bytesOf, reasonOf, registerAes } from '../support/kmip-results.js';
import { startSplit, type Split, type SplitOptions } from './split-support.js';
import { startWireTap, type WireTap } from './wire-tap.js';

const GCM = structure(Tag.CryptographicParameters, [enumeration(Tag.BlockCipherMode, BlockCipherMode.GCM)]);
/** Clients streaming at once, and streams each runs one after the other. */
const CLIENTS = 8;
const STREAMS_EACH = 4;

/** Splits `data` into `n` non-empty parts of random sizes. */
function partsOf(data: Buffer, n: number): Buffer[] {
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(1 + Math.floor(Math.random() * (data.length - 1)));
  const at = [0, ...[...cuts].sort((a, b) => a - b), data.length];
  return at.slice(1).map((end, i) => data.subarray(at[i], end));
}

/** One stream through `c`: the first part names the key, the later ones send its Correlation Value. */
async function runStream(
  c: KmipClient,
  operation: number,
  id: string,
  parts: readonly Buffer[],
  opts: { first?: TtlvItem[]; last?: TtlvItem[]; version?: KmipVersion } = {},
): Promise<(StructureItem | undefined)[]> {
  const call = (items: TtlvItem[]) => c.call(operation, items, opts.version ? { version: opts.version } : {});
  const opened = await call([
    textString(Tag.UniqueIdentifier, id),
    ...(opts.first ?? []),
    byteString(Tag.Data, parts[0]!),
    boolean(Tag.InitIndicator, true),
  ]);
  const correlation = bytesOf(opened, Tag.CorrelationValue);
  assert.ok(correlation, 'the first answer carries a Correlation Value');
  const answers = [opened];
  for (const [i, data] of parts.slice(1).entries()) {
    const final = i === parts.length - 2;
    answers.push(
      await call([
        byteString(Tag.Data, data),
        byteString(Tag.CorrelationValue, correlation),
        ...(final ? [...(opts.last ?? []), boolean(Tag.FinalIndicator, true)] : []),
      ]),
    );
  }
  return answers;
}

const joined = (answers: (StructureItem | undefined)[], tag: number) =>
  Buffer.concat(answers.map((a) => bytesOf(a, tag) ?? Buffer.alloc(0)));

/**
 * Opens an Encrypt stream on `l3` through the gateway, cuts the upstream connection that carried
 * it, and expects its later parts to be answered `reason` — then a new stream to work.
 */
async function cutMidStream(
  c: KmipClient,
  tap: WireTap,
  l3: string,
  version: KmipVersion,
  reason: string,
): Promise<void> {
  const call = (items: TtlvItem[]) => c.call(Operation.Encrypt, items, { version });
  const opened = await call([
    textString(Tag.UniqueIdentifier, l3),
    GCM,
    byteString(Tag.Data, randomBytes(20)),
    boolean(Tag.InitIndicator, true),
  ]);
  const correlation = bytesOf(opened, Tag.CorrelationValue)!;
  assert.equal(tap.cutCarrying(correlation), 1, 'one upstream connection carried the stream');
  // The gateway's end of that connection closes at once on loopback.
  await new Promise((r) => setTimeout(r, 300));
  const next = [byteString(Tag.Data, randomBytes(20)), byteString(Tag.CorrelationValue, correlation)];
  assert.equal(await reasonOf(call(next)), reason);
  assert.equal(await reasonOf(call([...next, boolean(Tag.FinalIndicator, true)])), reason);
  // The pool refills the slot; a new stream works.
  const again = await runStream(c, Operation.Encrypt, l3, partsOf(randomBytes(64), 3), {
    first: [GCM],
    version,
  });
  assert.equal(joined(again, Tag.Data).length, 64);
}

describe('forwarded streams on a core with workers: 2', { skip: postgresSkip() }, () => {
  const schema = `krypton_pin_${randomBytes(6).toString('hex')}`;
  let split: Split;
  let tap: WireTap;
  let clients: KmipClient[];
  let l3: string;
  let l3Key: Buffer;

  before(async () => {
    split = await startSplit({
      logLevel: 'warn',
      core: { workers: 2, storage: { adapter: 'postgres', url: PG_URL, schema } },
      upstream: { connections: 4 },
      via: async (corePort, pki) => (tap = await startWireTap(pki, corePort)).port,
    });
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => split.client()));
    l3Key = randomBytes(32);
    l3 = await registerAes(clients[0]!, 'L3', l3Key, ['Encrypt', 'Decrypt']);
  });

  after(async () => {
    await split?.close();
    await tap?.close();
    if (PG_URL) await dropSchema(schema);
  });

  /** Every client runs STREAMS_EACH streams in turn, all clients at once (parts interleave upstream). */
  function concurrently(each: (c: KmipClient) => Promise<void>): Promise<void[]> {
    return Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < STREAMS_EACH; i++) await each(c);
      }),
    );
  }

  test('every-part-of-many-concurrent-l3-encrypt-and-decrypt-streams-reaches-the-worker-that-opened-it', async () => {
    let streams = 0;
    await concurrently(async (c) => {
      const iv = randomBytes(12);
      const plain = randomBytes(200);
      const sealed = await runStream(c, Operation.Encrypt, l3, partsOf(plain, 5), {
        first: [GCM, byteString(Tag.IVCounterNonce, iv)],
      });
      const ref = createCipheriv('aes-256-gcm', l3Key, iv);
      const cipher = Buffer.concat([ref.update(plain), ref.final()]);
      assert.deepEqual(joined(sealed, Tag.Data), cipher);
      const tag = bytesOf(sealed.at(-1), Tag.AuthenticatedEncryptionTag);
      assert.deepEqual(tag, ref.getAuthTag());
      const opened = await runStream(c, Operation.Decrypt, l3, partsOf(cipher, 5), {
        first: [GCM, byteString(Tag.IVCounterNonce, iv)],
        last: [byteString(Tag.AuthenticatedEncryptionTag, tag!)],
      });
      assert.deepEqual(joined(opened, Tag.Data), plain);
      // The reference agrees on what the core returned, part by part.
      const check = createDecipheriv('aes-256-gcm', l3Key, iv).setAuthTag(tag!);
      assert.deepEqual(Buffer.concat([check.update(cipher), check.final()]), plain);
      streams += 2;
    });
    assert.equal(streams, 2 * CLIENTS * STREAMS_EACH);
  });

  test('every-part-of-many-concurrent-sign-and-signature-verify-streams-reaches-the-worker-that-opened-it', async () => {
    const pair = await clients[0]!.createKeyPair({
      commonAttributes: {
        CryptographicAlgorithm: 'EC',
        CryptographicLength: 256,
        ActivationDate: new Date(Date.now() - 1000),
      },
      privateKeyAttributes: { CryptographicUsageMask: ['Sign'] },
      publicKeyAttributes: { CryptographicUsageMask: ['Verify'] },
    });
    let verified = 0;
    await concurrently(async (c) => {
      const message = randomBytes(300);
      const signed = await runStream(c, Operation.Sign, pair.privateKeyUniqueIdentifier, partsOf(message, 4));
      const signature = bytesOf(signed.at(-1), Tag.SignatureData);
      assert.ok(signature, 'the last part answers the signature');
      const verdict = await runStream(
        c,
        Operation.SignatureVerify,
        pair.publicKeyUniqueIdentifier,
        partsOf(message, 4),
        { last: [byteString(Tag.SignatureData, signature)] },
      );
      assert.equal(child(verdict.at(-1), Tag.ValidityIndicator)?.value, ValidityIndicator.Valid);
      verified++;
    });
    assert.equal(verified, CLIENTS * STREAMS_EACH);
  });

  test('a-part-whose-pinned-connection-was-cut-is-an-unknown-correlation-value', () =>
    cutMidStream(clients[0]!, tap, l3, '2.1', 'InvalidCorrelationValue'));
});

/** A gateway in front of a single-process core through a wire tap; a client; an L3 of the core. */
interface Tapped {
  readonly split: Split;
  readonly tap: WireTap;
  readonly c: KmipClient;
  readonly l3: string;
  close(): Promise<void>;
}

async function tappedSplit(opts: SplitOptions): Promise<Tapped> {
  let tap: WireTap | undefined;
  const split = await startSplit({
    logLevel: 'warn',
    ...opts,
    via: async (corePort, pki) => (tap = await startWireTap(pki, corePort)).port,
  });
  const c = await split.client();
  const l3 = await registerAes(c, 'L3', randomBytes(32), ['Encrypt', 'Decrypt']);
  return {
    split,
    tap: tap!,
    c,
    l3,
    async close() {
      await split.close();
      await tap?.close();
    },
  };
}

/**
 * A single-process core still holds the stream after the cut, so any other connection would
 * carry its next part through: the gateway must not try one.
 */
describe('a cut pinned connection with a single-process core', () => {
  let t: Tapped;
  before(async () => {
    t = await tappedSplit({ upstream: { connections: 4 } });
  });
  after(() => t?.close());

  for (const [version, reason] of [
    ['2.1', 'InvalidCorrelationValue'],
    ['1.4', 'ItemNotFound'],
  ] as const)
    test(`its-stream-is-not-sent-over-another-connection-and-answers-${reason}-in-${version}`, () =>
      cutMidStream(t.c, t.tap, t.l3, version, reason));
});

/** The gateway's metrics as `name{labels}` → value. */
async function gatewayMetrics(split: Split): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${split.gateway.adminPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/**
 * The pin table's metrics move with real streams: a gateway allowed 2 streams, idle after 1.5 s,
 * in front of a single-process core, one upstream connection cut by the wire tap.
 */
describe('stream pin metrics', () => {
  const IDLE_MS = 1500;
  let t: Tapped;
  before(async () => {
    t = await tappedSplit({
      upstream: { connections: 2 },
      gateway: { limits: { maxStreams: 2, streamIdleTimeoutMs: IDLE_MS } },
    });
  });
  after(() => t?.close());

  const open = async (): Promise<Buffer> =>
    bytesOf(
      await t.c.call(Operation.Encrypt, [
        textString(Tag.UniqueIdentifier, t.l3),
        GCM,
        byteString(Tag.Data, randomBytes(20)),
        boolean(Tag.InitIndicator, true),
      ]),
      Tag.CorrelationValue,
    )!;
  const part = (correlation: Buffer, final = false) =>
    t.c.call(Operation.Encrypt, [
      byteString(Tag.Data, randomBytes(20)),
      byteString(Tag.CorrelationValue, correlation),
      ...(final ? [boolean(Tag.FinalIndicator, true)] : []),
    ]);

  test('pinned-streams-and-pins-ended-refused-expired-or-lost-with-their-connection-are-counted', async () => {
    const start = await gatewayMetrics(t.split);
    const moved = async (name: string) =>
      ((await gatewayMetrics(t.split)).get(name) ?? 0) - (start.get(name) ?? 0);
    const exits = (reason: string) => moved(`krypton_gateway_stream_pin_exits_total{reason="${reason}"}`);
    const pinned = async () => (await gatewayMetrics(t.split)).get('krypton_gateway_stream_pins');
    assert.equal(await pinned(), 0);

    const [ending, lost] = [await open(), await open()];
    assert.equal(await pinned(), 2);
    // The table is full: a third stream is refused at the gateway.
    assert.equal(await reasonOf(open()), 'PermissionDenied');
    assert.equal(await moved('krypton_gateway_stream_pins_refused_total'), 1);

    await part(ending);
    await part(ending, true);
    assert.equal(await exits('ended'), 1);
    assert.equal(await pinned(), 1);

    assert.equal(t.tap.cutCarrying(lost), 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await reasonOf(part(lost)), 'InvalidCorrelationValue');
    assert.equal(await exits('connection_closed'), 1);
    assert.equal(await pinned(), 0);

    const idle = await open();
    assert.equal(await pinned(), 1);
    await new Promise((r) => setTimeout(r, IDLE_MS + 300));
    assert.equal(await reasonOf(part(idle)), 'InvalidCorrelationValue');
    assert.equal(await exits('expired'), 1);
    assert.equal(await pinned(), 0);
    assert.equal(await exits('ended'), 1, 'nothing else ended');
  });
});

describe('StreamPins', () => {
  const alice = { tenant: 't', principal: 'alice' };
  const bob = { tenant: 't', principal: 'bob' };
  const conn = () => ({ closed: false });
  let now = 0;
  const pins = () => new StreamPins<{ closed: boolean }>({ maxEntries: 2, idleTimeoutMs: 1000 }, () => now);

  test('a-pin-is-the-callers-own-and-ends-on-unpin', () => {
    const p = pins();
    const a = conn();
    const cv = randomBytes(16);
    p.pin(alice, cv, a);
    assert.equal(p.connectionOf(alice, cv), a);
    assert.equal(p.connectionOf(bob, cv), undefined, 'another identity does not reach it');
    p.unpin(bob, cv);
    assert.equal(p.connectionOf(alice, cv), a, "another identity's unpin leaves it");
    p.unpin(alice, cv);
    assert.equal(p.connectionOf(alice, cv), undefined);
    p.clear();
  });

  test('a-pin-idle-past-the-stream-timeout-is-gone-and-a-used-one-stays', () => {
    const p = pins();
    const [used, idle] = [randomBytes(16), randomBytes(16)];
    now = 0;
    p.pin(alice, used, conn());
    p.pin(alice, idle, conn());
    now = 900;
    assert.ok(p.connectionOf(alice, used));
    now = 1500;
    assert.ok(p.connectionOf(alice, used), 'its idle clock restarted at 900');
    assert.equal(p.connectionOf(alice, idle), undefined);
    p.clear();
  });

  test('a-closed-connection-drops-every-pin-it-carried', () => {
    const p = pins();
    const a = conn();
    const [x, y] = [randomBytes(16), randomBytes(16)];
    now = 0;
    p.pin(alice, x, a);
    p.pin(bob, y, a);
    a.closed = true;
    assert.equal(p.connectionOf(alice, x), undefined);
    assert.equal(p.size, 0, "bob's pin on the same connection went too");
    p.clear();
  });

  test('the-table-is-bounded-counting-first-parts-in-flight-and-frees-idle-pins', () => {
    const p = pins();
    now = 0;
    p.pin(alice, randomBytes(16), conn());
    p.reserve();
    assert.throws(
      () => p.reserve(),
      (err: unknown) => isKryptonError(err) && err.code === 'KRY_STREAM_LIMIT',
    );
    p.release();
    p.reserve();
    p.release();
    now = 5000;
    p.pin(alice, randomBytes(16), conn());
    // Both pins idle now: a new first part sweeps them and fits.
    now = 10_000;
    p.reserve();
    assert.equal(p.size, 0);
    p.release();
    p.clear();
  });
});
