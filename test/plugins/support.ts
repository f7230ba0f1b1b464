/**
 * Harness for the core operation tests: the core profile's services opened for real (SQLite in a
 * temporary folder, or PostgreSQL in a schema of its own; the software HSM), the core plugins in
 * an operation registry and the real dispatcher. Requests are TTLV trees dispatched in-process
 * with chosen identities, so tenants and gateway identities can be varied freely.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { AttributeValue } from '../../core/attributes/index.js';
import type { Identity } from '../../core/auth/identity.js';
import { validateProfileObject } from '../../core/config/load.js';
import { Dispatcher } from '../../core/dispatch/dispatcher.js';
import { isOperationDescriptor, type DefinedOperation } from '../../core/dispatch/operation.js';
import { OperationRegistry } from '../../core/dispatch/registry.js';
import type { AsyncOperationOptions } from '../../core/dispatch/pending.js';
import { parseResponseMessage, type ResponseBatchItem } from '../../core/messages/index.js';
import { openCoreServices, type CoreServices } from '../../core/services/index.js';
import { Operation, Tag, enumForTag, type KmipVersion } from '../../core/spec/index.js';
import { enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { inCI, repoRoot } from '../support/shared.js';

export type Adapter = 'sqlite' | 'postgres';

export const PG_URL = process.env.KRYPTON_TEST_PG_URL;

/** The skip for PostgreSQL: never in CI, where a missing database is a failure. */
export function postgresSkip(): string | false {
  if (PG_URL) return false;
  if (inCI) throw new Error('KRYPTON_TEST_PG_URL must be set in CI');
  return 'set KRYPTON_TEST_PG_URL (start PostgreSQL: pg_ctlcluster 15 main start)';
}

export const CORE_PLUGINS = [
  'discover-versions',
  'query',
  'locate',
  'create',
  'register',
  'get',
  'get-attributes',
  'encrypt',
  'decrypt',
  'activate',
  'revoke',
  'destroy',
  'rekey',
] as const;

export function identity(principal: string, tenant: string, gateway = false): Identity {
  return Object.freeze({
    principal,
    source: 'certificate' as const,
    tenant,
    permissions: new Set(['*']),
    gateway,
  });
}

export interface CoreHarness {
  readonly services: CoreServices;
  readonly dispatcher: Dispatcher;
  readonly stateDir: string;
  /** Bytes of everything persisted (SQLite file and WAL, or every PostgreSQL row). */
  persistedBytes(): Promise<Buffer>;
  close(): Promise<void>;
}

/** The phase 3 and 4 operations of the core profile (attribute changes, Check, Archive, Poll, …). */
export const PHASE_3_4_PLUGINS = [
  'get-attribute-list',
  'add-attribute',
  'modify-attribute',
  'delete-attribute',
  'set-attribute',
  'check',
  'archive',
  'recover',
  'poll',
  'cancel',
  'rng-retrieve',
  'rng-seed',
  'hash',
  'interop',
  'log',
] as const;

export interface HarnessOptions {
  log?: Logger;
  /** Plugin files to load (default CORE_PLUGINS). */
  plugins?: readonly string[];
  asynchronous?: AsyncOperationOptions;
}

export async function openHarness(adapter: Adapter, opts: HarnessOptions = {}): Promise<CoreHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'krypton-core-ops-'));
  const schema = `krypton_ops_${randomBytes(6).toString('hex')}`;
  const raw = JSON.parse(readFileSync(join(repoRoot, 'profiles', 'core.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const config = validateProfileObject(
    {
      ...raw,
      stateDir,
      storage: adapter === 'sqlite' ? { adapter: 'sqlite' } : { adapter: 'postgres', url: PG_URL, schema },
      keys: { rootCheckIntervalMs: 0 },
    },
    join(repoRoot, 'profiles', 'core-test.json'),
    { env: {} },
  );
  const log = opts.log ?? pino({ level: 'silent' });
  const services = await openCoreServices(config, log, { softwareHsmScrypt: { log2N: 10 } });
  const registry = new OperationRegistry();
  for (const name of opts.plugins ?? CORE_PLUGINS) {
    const mod = (await import(`../../plugins/${name}.js`)) as Record<string, unknown>;
    for (const d of Object.values(mod)) if (isOperationDescriptor(d)) registry.add(d as DefinedOperation);
  }
  registry.seal();
  const dispatcher = new Dispatcher({
    registry,
    log,
    services: { store: services.store, keys: services.keys },
    maxBatchItems: 64,
    maxResponseBytes: 4 * 1024 * 1024,
    ...(opts.asynchronous && { asynchronous: opts.asynchronous }),
  });
  return {
    services,
    dispatcher,
    stateDir,
    async persistedBytes() {
      if (adapter === 'sqlite') {
        const parts: Buffer[] = [];
        for (const f of ['krypton.db', 'krypton.db-wal']) {
          try {
            parts.push(readFileSync(join(stateDir, f)));
          } catch {
            // no WAL yet
          }
        }
        return Buffer.concat(parts);
      }
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        const tables = await admin.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = $1',
          [schema],
        );
        const rows: string[] = [];
        for (const { table_name } of tables.rows) {
          const r = await admin.query<{ row: string }>(
            `select t::text as row from ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)} t`,
          );
          rows.push(...r.rows.map((x) => x.row));
        }
        return Buffer.from(rows.join('\n'));
      } finally {
        await admin.end();
      }
    },
    async close() {
      await services.close();
      if (adapter === 'postgres') {
        const admin = new pg.Client({ connectionString: PG_URL });
        await admin.connect();
        await admin.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
        await admin.end();
      }
    },
  };
}

const OPERATION = enumForTag(Tag.Operation);

export interface CallResult extends ResponseBatchItem {
  readonly reasonName?: string;
}

/** One request with one batch item, answered through the dispatcher. */
export async function call(
  h: CoreHarness,
  who: Identity,
  version: KmipVersion,
  operation: keyof typeof Operation,
  payload: TtlvItem[],
): Promise<CallResult> {
  const items = await batch(h, who, version, [[operation, payload]]);
  return items[0]!;
}

export async function batch(
  h: CoreHarness,
  who: Identity,
  version: KmipVersion,
  entries: [keyof typeof Operation, TtlvItem[]][],
): Promise<CallResult[]> {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const request = structure(Tag.RequestMessage, [
    structure(Tag.RequestHeader, [
      structure(Tag.ProtocolVersion, [
        integer(Tag.ProtocolVersionMajor, major),
        integer(Tag.ProtocolVersionMinor, minor),
      ]),
      integer(Tag.BatchCount, entries.length),
    ]),
    ...entries.map(([op, payload], i) =>
      structure(Tag.BatchItem, [
        enumeration(Tag.Operation, Operation[op]),
        ...(entries.length > 1
          ? [{ tag: Tag.UniqueBatchItemID, type: 'ByteString' as const, value: new Uint8Array([i]) }]
          : []),
        structure(Tag.RequestPayload, payload),
      ]),
    ),
  ]);
  const { response } = await h.dispatcher.dispatch(request, {
    transport: 'in-process',
    remoteAddress: '127.0.0.1',
    peerIdentity: who,
  });
  return parseResponseMessage(response).batchItems.map((item) => ({
    ...item,
    ...(item.resultReason !== undefined && {
      reasonName: enumForTag(Tag.ResultReason)?.name(item.resultReason, version) ?? String(item.resultReason),
    }),
  }));
}

export function opName(code: number): string | undefined {
  return OPERATION?.name(code);
}

// --- request builders --------------------------------------------------------------------------

export interface AttrSpec {
  readonly name: string;
  readonly value: AttributeValue;
  readonly vendorIdentification?: string;
}

/** Attributes in the version's container: 1.x TemplateAttribute, 2.x Attributes. */
export async function attributesFor(version: KmipVersion, attrs: readonly AttrSpec[]): Promise<TtlvItem> {
  const { writeAttributes } = await import('../../core/attributes/index.js');
  const written = writeAttributes(attrs, version, false, { anyValue: true });
  return structure(version.startsWith('2.') ? Tag.Attributes : Tag.TemplateAttribute, written);
}

export const AES = 3;
export const SYMMETRIC_KEY = 2;

export function aesAttributes(bits: number, usage = 0x04 | 0x08, extra: AttrSpec[] = []): AttrSpec[] {
  return [
    { name: 'CryptographicAlgorithm', value: AES },
    { name: 'CryptographicLength', value: bits },
    { name: 'CryptographicUsageMask', value: usage },
    ...extra,
  ];
}

export async function createKey(
  h: CoreHarness,
  who: Identity,
  version: KmipVersion,
  attrs: AttrSpec[],
): Promise<string> {
  const r = await call(h, who, version, 'Create', [
    enumeration(Tag.ObjectType, SYMMETRIC_KEY),
    await attributesFor(version, attrs),
  ]);
  if (r.resultStatus !== 0) throw new Error(`Create failed: ${r.reasonName} ${r.resultMessage}`);
  return textOf(r.payload, Tag.UniqueIdentifier)!;
}

export function uid(id: string): TtlvItem {
  return textString(Tag.UniqueIdentifier, id);
}

export function textOf(item: StructureItem | TtlvItem | undefined, tag: number): string | undefined {
  if (item?.type !== 'Structure') return undefined;
  const c = item.value.find((x) => x.tag === tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

export function bytesOf(item: StructureItem | TtlvItem | undefined, tag: number): Uint8Array | undefined {
  if (item?.type !== 'Structure') return undefined;
  const c = item.value.find((x) => x.tag === tag);
  return c?.type === 'ByteString' ? c.value : undefined;
}
