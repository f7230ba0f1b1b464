/**
 * Helpers for the tenancy, key-cache and crash tests: a real core server (the shipped core
 * profile, TLS on 127.0.0.1, SQLite in a temporary folder or PostgreSQL in a schema of its own)
 * with three client certificates of one development PKI — `alice` (tenant-a), `bob` (tenant-b)
 * and `gateway` (a gateway identity of tenant-a) — and a raw TTLV client that keeps the exact
 * response bytes, so answers can be compared byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { issueClientCertificate } from '../../core/auth/pki.js';
import { validateProfileObject } from '../../core/config/load.js';
import {
  encodeRequestMessage,
  parseResponseMessage,
  type RequestHeader,
  type ResponseBatchItem,
} from '../../core/messages/index.js';
import { startServer, type RunningServer } from '../../core/server/server.js';
import { Operation, Tag, enumForTag, type KmipVersion } from '../../core/spec/index.js';
import { decodeTtlv } from '../../core/ttlv/decoder.js';
import { encodeTtlv } from '../../core/ttlv/encoder.js';
import { structure } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { testPki } from '../e2e/support.js';
import { rawConnect, type RawConnection } from '../e2e/raw.js';
import { inCI, repoRoot } from '../support/shared.js';

export type Adapter = 'sqlite' | 'postgres';
export const PG_URL = process.env.KRYPTON_TEST_PG_URL;

/** The skip for PostgreSQL: never in CI, where a missing database is a failure. */
export function postgresSkip(): string | false {
  if (PG_URL) return false;
  if (inCI) throw new Error('KRYPTON_TEST_PG_URL must be set in CI');
  return 'set KRYPTON_TEST_PG_URL (start PostgreSQL: pg_ctlcluster 15 main start)';
}

export type Who = 'alice' | 'bob' | 'gateway';

export const TENANT: Readonly<Record<Who, string>> = Object.freeze({
  alice: 'tenant-a',
  bob: 'tenant-b',
  gateway: 'tenant-a',
});

export interface TenantPki {
  readonly ca: string;
  readonly server: string;
  readonly serverKey: string;
  readonly certs: Readonly<Record<Who, { cert: string; key: string }>>;
}

let pki: Promise<TenantPki> | undefined;

/** The test PKI of this process with `alice` and `bob` issued beside `gateway` (`krypton init --client`). */
export function tenantPki(): Promise<TenantPki> {
  pki ??= (async () => {
    const { files } = await testPki();
    const dir = dirname(files.ca);
    const alice = await issueClientCertificate(dir, 'alice');
    const bob = await issueClientCertificate(dir, 'bob');
    return {
      ca: files.ca,
      server: files.server,
      serverKey: files.serverKey,
      certs: { alice, bob, gateway: { cert: files.gateway, key: files.gatewayKey } },
    };
  })();
  return pki;
}

/** The `auth` section mapping the three principals to their tenants. */
export function tenantAuth(base: Record<string, unknown>): Record<string, unknown> {
  return {
    ...base,
    principals: {
      alice: { tenant: TENANT.alice },
      bob: { tenant: TENANT.bob },
      gateway: { tenant: TENANT.gateway, gateway: true, permissions: ['*'] },
    },
  };
}

export interface CoreServer {
  readonly server: RunningServer;
  readonly port: number;
  readonly stateDir: string;
  close(): Promise<void>;
}

/**
 * The shipped core profile, in this process, on ephemeral loopback ports; `patch` replaces whole
 * sections, except `storage`, which is merged over the adapter's settings.
 */
export async function startCore(adapter: Adapter, patch: Record<string, unknown> = {}): Promise<CoreServer> {
  const p = await tenantPki();
  const stateDir = mkdtempSync(join(tmpdir(), 'krypton-tenancy-'));
  const schema = `krypton_hard_${randomBytes(6).toString('hex')}`;
  const base = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'core.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const doc = {
    ...base,
    stateDir,
    listeners: {
      ttlv: { host: '127.0.0.1', port: 0 },
      https: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
    },
    tls: { ...(base.tls as object), cert: p.server, key: p.serverKey, ca: p.ca },
    auth: tenantAuth(base.auth as Record<string, unknown>),
    logging: { level: 'silent', pretty: false },
    audit: { enabled: true, fsync: 'none' },
    ...patch,
    storage: {
      ...(adapter === 'sqlite' ? { adapter: 'sqlite' } : { adapter: 'postgres', url: PG_URL, schema }),
      ...(patch.storage as object | undefined),
    },
  };
  const config = validateProfileObject(doc, join(repoRoot, 'profiles', 'hardening-core.json'), { env: {} });
  const server = await startServer(config, { log: pino({ level: 'silent' }) });
  return {
    server,
    port: server.addresses.ttlv?.port ?? 0,
    stateDir,
    async close() {
      await server.close();
      if (adapter === 'postgres') await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
  } finally {
    await admin.end();
  }
}

// --- a raw TTLV client that keeps the answer's bytes ---------------------------------------------

const REASON = enumForTag(Tag.ResultReason);

export interface Answer {
  /** The response frame exactly as it arrived. */
  readonly bytes: Buffer;
  readonly items: readonly (ResponseBatchItem & { readonly reasonName?: string })[];
}

export type Entry = readonly [operation: keyof typeof Operation, payload: readonly TtlvItem[]];

export class RawKmip {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly conn: RawConnection) {}

  static async open(port: number, who: Who): Promise<RawKmip> {
    const p = await tenantPki();
    const conn = await rawConnect(port, {
      cert: readFileSync(p.certs[who].cert),
      key: readFileSync(p.certs[who].key),
    });
    if (conn.socket.destroyed) throw new Error(`${who}: the TLS connection was refused`);
    return new RawKmip(conn);
  }

  /** One request message; requests on one connection are sent one after the other. */
  send(
    entries: readonly Entry[],
    version: KmipVersion = '2.1',
    header: Partial<RequestHeader> = {},
  ): Promise<Answer> {
    const run = this.#queue.then(() => this.#send(entries, version, header));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(
    entries: readonly Entry[],
    version: KmipVersion,
    header: Partial<RequestHeader>,
  ): Promise<Answer> {
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const request = encodeRequestMessage({
      header: { protocolVersion: { major, minor }, ...header, batchCount: entries.length },
      batchItems: entries.map(([op, payload], i) => ({
        operation: Operation[op],
        ...(entries.length > 1 && { uniqueBatchItemId: Uint8Array.of(i + 1) }),
        payload: structure(Tag.RequestPayload, [...payload]),
      })),
    });
    this.conn.socket.write(encodeTtlv(request));
    const [bytes] = await this.conn.frames(1, 30_000);
    const parsed = parseResponseMessage(decodeTtlv(bytes!));
    return {
      bytes: bytes!,
      items: parsed.batchItems.map((item) => ({
        ...item,
        ...(item.resultReason !== undefined && {
          reasonName: REASON?.name(item.resultReason, version) ?? String(item.resultReason),
        }),
      })),
    };
  }

  /** One operation; its batch item. */
  async call(
    op: keyof typeof Operation,
    payload: readonly TtlvItem[],
    version: KmipVersion = '2.1',
    header: Partial<RequestHeader> = {},
  ): Promise<Answer['items'][number] & { readonly bytes: Buffer }> {
    const a = await this.send([[op, payload]], version, header);
    return { ...a.items[0]!, bytes: a.bytes };
  }

  /** One operation that must succeed; its payload. */
  async ok(
    op: keyof typeof Operation,
    payload: readonly TtlvItem[],
    version: KmipVersion = '2.1',
  ): Promise<StructureItem | undefined> {
    const r = await this.call(op, payload, version);
    if (r.resultStatus !== 0) throw new Error(`${op} failed: ${r.reasonName} ${r.resultMessage ?? ''}`);
    return r.payload;
  }

  close(): void {
    this.conn.socket.destroy();
  }
}

/**
 * The response bytes with the header's Time Stamp (tag 42 00 92, DateTime, 8 bytes) zeroed: the
 * one field two answers given at different moments may differ in.
 */
export function maskTimeStamp(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const marker = Buffer.from('42009209' + '00000008', 'hex');
  const at = out.indexOf(marker);
  if (at < 0) throw new Error('no Time Stamp in the response header');
  out.fill(0, at + 8, at + 16);
  return out;
}

export function textOf(item: TtlvItem | undefined, tag: number): string | undefined {
  if (item?.type !== 'Structure') return undefined;
  const c = item.value.find((x) => x.tag === tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

export function textsOf(item: TtlvItem | undefined, tag: number): string[] {
  if (item?.type !== 'Structure') return [];
  return item.value.flatMap((c) => (c.tag === tag && c.type === 'TextString' ? [c.value] : []));
}
