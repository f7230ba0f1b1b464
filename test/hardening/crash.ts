/**
 * Crash safety of the core (the second half of the Hardening issue): a `krypton serve --profile
 * core` child process under concurrent Create/Rekey load over TLS is killed with SIGKILL at a
 * random moment, restarted on the same state, and checked:
 *
 * - the restart succeeds (audit log, store and software HSM reopen after a torn moment);
 * - every object whose Create or Rekey was acknowledged is there and intact: Active, an L3 of
 *   256 bits, its material unwraps (an Encrypt/Decrypt round trip), a rekey's pair linked both ways;
 * - nothing is half-written: every object the tenants hold is readable and usable, and every
 *   Replacement/Replaced link has its partner pointing back.
 *
 * Used by crash.test.ts (a few cycles in `npm test`) and crash-full.ts (the full run).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process.js';
import { KmipClient, KmipResultError } from '../../core/client/client.js';
import type { KmipAttribute } from '../../core/attributes/index.js';
import { LinkType, ObjectType, State } from '../../core/spec/index.js';
import { repoRoot } from '../support/shared.js';
import { PG_URL, TENANT, dropSchema, tenantAuth, tenantPki, type Adapter } from './tenants.js';

const compiledRoot = fileURLToPath(new URL('../../', import.meta.url));
const READY = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/;

const L3 = {
  CryptographicAlgorithm: 'AES',
  CryptographicLength: 256,
  CryptographicUsageMask: ['Encrypt', 'Decrypt'],
};
const LINK_REPLACEMENT = LinkType.ReplacementObjectLink;
const LINK_REPLACED = LinkType.ReplacedObjectLink;
const STATE_ACTIVE = State.Active;
const PROBE = Buffer.from('crash-safety probe, 32 bytes....');

export interface CrashOptions {
  readonly adapter: Adapter;
  readonly cycles: number;
  /** Concurrent request loops (split over alice and bob). */
  readonly workers?: number;
  /** The kill lands uniformly between these many ms after the load started. */
  readonly killAfterMs?: readonly [number, number];
  readonly log?: (line: string) => void;
}

export interface CycleReport {
  readonly cycle: number;
  readonly killedAfterMs: number;
  readonly acknowledgedCreates: number;
  readonly acknowledgedRekeys: number;
  /** Requests in flight at the kill: their outcome is unknown and either is allowed. */
  readonly inFlight: number;
  readonly objectsChecked: number;
  readonly restartMs: number;
}

export interface CrashReport {
  readonly adapter: Adapter;
  readonly cycles: readonly CycleReport[];
}

type Who = 'alice' | 'bob';

interface Acked {
  readonly who: Who;
  readonly id: string;
  /** For a rekey: the key it replaced. */
  readonly replaced?: string;
}

class CoreProcess {
  proc: ServerProcess | undefined;
  port = 0;

  constructor(private readonly profile: string) {}

  async start(): Promise<number> {
    const started = Date.now();
    this.proc = await startServerProcess({
      name: 'core',
      command: process.execPath,
      args: [join(compiledRoot, 'core', 'cli', 'main.js'), 'serve', '--profile', this.profile],
      readyPattern: READY,
      timeoutMs: 60_000,
    });
    this.port = Number(this.proc.match![1]);
    return Date.now() - started;
  }

  /** SIGKILL to the process group: no handler runs, nothing is flushed or closed. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await p.stop(1000);
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }
}

async function connect(port: number, who: Who): Promise<KmipClient> {
  const p = await tenantPki();
  return KmipClient.connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(p.ca),
    cert: readFileSync(p.certs[who].cert),
    key: readFileSync(p.certs[who].key),
    timeoutMs: 30_000,
  });
}

function linkOf(attrs: readonly KmipAttribute[], type: number): string | undefined {
  for (const a of attrs) {
    if (a.name !== 'Link') continue;
    const v = a.value as { LinkType?: number; LinkedObjectIdentifier?: string };
    if (v.LinkType === type) return v.LinkedObjectIdentifier;
  }
  return undefined;
}

function attr(attrs: readonly KmipAttribute[], name: string): unknown {
  return attrs.find((a) => a.name === name)?.value;
}

/**
 * Runs the load until the kill: workers loop Create (two thirds) and Rekey of an acknowledged,
 * not yet rekeyed key of their tenant (one third). Resolves once every worker saw its connection die.
 */
async function loadUntilKilled(
  core: CoreProcess,
  workers: number,
  killAt: number,
  acked: Acked[],
): Promise<{ inFlight: number }> {
  const fresh: Record<Who, string[]> = { alice: [], bob: [] };
  let inFlight = 0;
  let killed = false;
  const started = Date.now();
  const killing = (async () => {
    await new Promise((r) => setTimeout(r, killAt));
    killed = true;
    await core.kill();
  })();
  const loops = Array.from({ length: workers }, async (_, w) => {
    const who: Who = w % 2 === 0 ? 'alice' : 'bob';
    let client: KmipClient;
    try {
      client = await connect(core.port, who);
    } catch {
      return;
    }
    // Bounded in count and time: the kill ends it well before either bound.
    for (let i = 0; i < 100_000 && !killed && Date.now() - started < 120_000; i++) {
      const rekey = fresh[who].length > 0 && Math.random() < 1 / 3;
      inFlight += 1;
      try {
        if (rekey) {
          const old = fresh[who].splice(Math.floor(Math.random() * fresh[who].length), 1)[0]!;
          const r = await client.rekey({ uniqueIdentifier: old });
          acked.push({ who, id: r.uniqueIdentifier, replaced: old });
          fresh[who].push(r.uniqueIdentifier);
        } else {
          const r = await client.create({
            objectType: 'SymmetricKey',
            attributes: { ...L3, ActivationDate: new Date(Date.now() - 60_000) },
          });
          acked.push({ who, id: r.uniqueIdentifier });
          fresh[who].push(r.uniqueIdentifier);
        }
        inFlight -= 1;
      } catch (err) {
        if (!killed && err instanceof KmipResultError) throw err;
        break; // the connection died with the process: this request's outcome is unknown
      }
    }
    await client.close().catch(() => undefined);
  });
  await Promise.all(loops);
  await killing;
  return { inFlight };
}

/** Every object of one tenant: Locate pages (the profile's cap is 100,000). */
async function everyObject(client: KmipClient): Promise<string[]> {
  const out: string[] = [];
  for (let page = 0; page < 100; page++) {
    const r = await client.locate({ maximumItems: 10_000, offsetItems: out.length });
    out.push(...r.uniqueIdentifiers);
    if (r.uniqueIdentifiers.length < 10_000) break;
  }
  return out;
}

/** Checks one object; returns its attributes. */
async function checkWhole(client: KmipClient, id: string, why: string): Promise<readonly KmipAttribute[]> {
  const { attributes } = await client.getAttributes({ uniqueIdentifier: id });
  const level = attributes.find((a) => a.name === 'x-krypton-level')?.value;
  if (level === 'L2') return attributes; // tenant keys: used by every L3 check below
  assert.equal(attr(attributes, 'ObjectType'), ObjectType.SymmetricKey, `${why} ${id}: a Symmetric Key`);
  assert.equal(attr(attributes, 'CryptographicLength'), 256, `${why} ${id}: 256 bits`);
  const state = attr(attributes, 'State');
  if (why === 'acknowledged') assert.equal(state, STATE_ACTIVE, `${why} ${id}: Active`);
  // A rekeyed key no longer encrypts (decrypt only): the round trip is for the current ones.
  if (state === STATE_ACTIVE && linkOf(attributes, LINK_REPLACEMENT) === undefined) {
    // The material unwraps (L2 → L3) and works.
    const enc = await client.encrypt({ uniqueIdentifier: id, data: PROBE });
    const dec = await client.decrypt({
      uniqueIdentifier: id,
      data: enc.data!,
      ...(enc.ivCounterNonce && { ivCounterNonce: enc.ivCounterNonce }),
      ...(enc.authenticatedEncryptionTag && { authenticatedEncryptionTag: enc.authenticatedEncryptionTag }),
    });
    assert.deepEqual(Buffer.from(dec.data!), PROBE, `${why} ${id}: material intact`);
  }
  return attributes;
}

async function verify(port: number, acked: readonly Acked[]): Promise<{ objects: number }> {
  const clients = { alice: await connect(port, 'alice'), bob: await connect(port, 'bob') };
  try {
    // 1. Every acknowledged object is there, Active, intact; a rekey's links point both ways.
    for (const a of acked) {
      const attrs = await checkWhole(clients[a.who], a.id, 'acknowledged');
      if (a.replaced) {
        assert.equal(linkOf(attrs, LINK_REPLACED), a.replaced, `rekey ${a.id}: Replaced Object Link`);
        const old = await clients[a.who].getAttributes({ uniqueIdentifier: a.replaced });
        assert.equal(
          linkOf(old.attributes, LINK_REPLACEMENT),
          a.id,
          `rekeyed ${a.replaced}: Replacement Object Link`,
        );
      }
    }
    // 2. Nothing half-written: every object the tenants hold is whole, every link has its partner.
    let objects = 0;
    for (const who of ['alice', 'bob'] as const) {
      const ids = await everyObject(clients[who]);
      for (const id of ids) {
        const attrs = await checkWhole(clients[who], id, `${TENANT[who]} object`);
        const replacement = linkOf(attrs, LINK_REPLACEMENT);
        if (replacement) {
          const n = await clients[who].getAttributes({ uniqueIdentifier: replacement });
          assert.equal(linkOf(n.attributes, LINK_REPLACED), id, `${replacement} links back to ${id}`);
        }
        const replaced = linkOf(attrs, LINK_REPLACED);
        if (replaced) {
          const o = await clients[who].getAttributes({ uniqueIdentifier: replaced });
          assert.equal(linkOf(o.attributes, LINK_REPLACEMENT), id, `${replaced} links forward to ${id}`);
        }
        objects += 1;
      }
    }
    return { objects };
  } finally {
    await clients.alice.close();
    await clients.bob.close();
  }
}

/** The cycles; throws (an AssertionError naming the object) on the first violation. */
export async function runCrashCycles(opts: CrashOptions): Promise<CrashReport> {
  const log = opts.log ?? (() => undefined);
  const p = await tenantPki();
  const dir = mkdtempSync(join(tmpdir(), 'krypton-crash-'));
  const schema = `krypton_crash_${randomBytes(6).toString('hex')}`;
  const base = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'core.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const profile = join(dir, 'core.json');
  writeFileSync(
    profile,
    JSON.stringify({
      ...base,
      stateDir: join(dir, 'state'),
      listeners: {
        ttlv: { host: '127.0.0.1', port: 0 },
        https: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
      },
      tls: { ...(base.tls as object), cert: p.server, key: p.serverKey, ca: p.ca },
      auth: tenantAuth(base.auth as Record<string, unknown>),
      logging: { level: 'info', pretty: false },
      storage:
        opts.adapter === 'sqlite'
          ? { adapter: 'sqlite', maxLocateItems: 100_000 }
          : { adapter: 'postgres', url: PG_URL, schema, maxLocateItems: 100_000 },
    }),
  );
  const core = new CoreProcess(profile);
  const cycles: CycleReport[] = [];
  const [lo, hi] = opts.killAfterMs ?? [300, 2000];
  try {
    await core.start();
    for (let cycle = 1; cycle <= opts.cycles; cycle++) {
      const acked: Acked[] = [];
      const killAt = Math.round(lo + Math.random() * (hi - lo));
      const { inFlight } = await loadUntilKilled(core, opts.workers ?? 16, killAt, acked);
      let restartMs: number;
      try {
        restartMs = await core.start();
      } catch (err) {
        throw new Error(`cycle ${cycle}: the restart after SIGKILL failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const { objects } = await verify(core.port, acked);
      const report: CycleReport = {
        cycle,
        killedAfterMs: killAt,
        acknowledgedCreates: acked.filter((a) => !a.replaced).length,
        acknowledgedRekeys: acked.filter((a) => a.replaced).length,
        inFlight,
        objectsChecked: objects,
        restartMs,
      };
      cycles.push(report);
      log(
        `${opts.adapter} cycle ${cycle}: killed after ${killAt} ms; acknowledged ${report.acknowledgedCreates} creates, ` +
          `${report.acknowledgedRekeys} rekeys, ${inFlight} in flight; restart ${restartMs} ms; ${objects} objects whole`,
      );
    }
    return { adapter: opts.adapter, cycles };
  } finally {
    await core.stop();
    if (opts.adapter === 'postgres') await dropSchema(schema).catch(() => undefined);
  }
}
