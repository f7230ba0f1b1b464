/**
 * The Store on knex, for SQLite (better-sqlite3) and PostgreSQL (pg). Hot Locate filters are
 * indexed columns of managed_objects; Name, Object Group, custom and vendor attributes are rows
 * of object_attributes indexed on (tenant, vendor, name, value_key); links are rows of
 * object_links indexed on (tenant, link_type, linked_id). Every change bumps `version`: state
 * transitions are optimistic (`UPDATE … WHERE version = ?`), other changes lock the object row
 * first so that concurrent changes serialize instead of losing one another.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { KryptonError } from '../core/errors.js';
import {
  attributeValueKey,
  decodeAttributeValue,
  encodeAttribute,
  encodeAttributeValue,
} from './attribute-codec.js';
import { DATE_COLUMNS, TABLES } from './migrations.js';
import { postgresRowWriter, sqliteRowWriter, type RowWriter, type SyncTransaction } from './row-writers.js';
import {
  LIFECYCLE_DATE_NAMES,
  LinkType,
  ObjectGroupMember,
  ObjectType,
  PROMOTED_ATTRIBUTE_NAMES,
  State,
  StorageStatus,
  type AttributeRef,
  type AttributeValue,
  type KeyLevel,
  type LifecycleDateChanges,
  type LifecycleDateName,
  type LifecycleDates,
  type Link,
  type LocateQuery,
  type LocateResult,
  type ManagedObject,
  type NewAttribute,
  type NewManagedObject,
  type RekeyRequest,
  type RekeyResult,
  type StateTransition,
  type Store,
  type StoredAttribute,
} from './types.js';
import { isWrappedKeyMaterial, wrappedKeyMaterial, type WrappedKeyMaterial } from './wrapped-key-material.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface StoreTuning {
  /** Server cap on Locate results, whatever Maximum Items asks [1000]. */
  readonly maxLocateItems?: number;
  /** Identifier generator [timeOrderedUuid: UUID version 7]. */
  readonly generateId?: () => string;
  /** Clock, for tests [() => new Date()]. */
  readonly now?: () => Date;
}

const DEFAULT_MAX_LOCATE_ITEMS = 1000;

/**
 * A UUID version 7 (RFC 9562 §5.7): the creation time in milliseconds, then 74 random bits.
 * Identifiers created together sort together, so the identifier indexes (the object's, and the
 * attribute rows' keyed by it) grow at their right edge: a commit writes a few index pages
 * instead of one page per new identifier scattered over the whole B-tree, as random (v4)
 * identifiers did. The random bits come from randomUUID's v4 (122 random bits, buffered).
 */
export function timeOrderedUuid(): string {
  const random = randomUUID();
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${random.slice(15)}`;
}

const quiet = (): void => {};
export const SILENT_LOG = Object.freeze({ warn: quiet, error: quiet, deprecate: quiet, debug: quiet });
const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 256;
const DESTROYED_STATES: readonly number[] = [State.Destroyed, State.DestroyedCompromised];
const VALID_STATES = new Set<number>(Object.values(State));
const VALID_OBJECT_TYPES = new Set<number>(Object.values(ObjectType));
const VALID_LINK_TYPES = new Set<number>(Object.values(LinkType));
const ALL_STORAGE_BITS = StorageStatus.OnLine | StorageStatus.Archival | StorageStatus.Destroyed;

type Row = Record<string, unknown>;
type Db = Knex | Knex.Transaction;

function badInput(detail: string): KryptonError {
  return new KryptonError('KRY_STORE_BAD_QUERY', detail);
}

function notFound(): KryptonError {
  return new KryptonError('KRY_STORE_NOT_FOUND');
}

/** Driver errors become coded errors; the driver's text (SQL, values) stays in `cause` only. */
export function toStoreError(err: unknown): KryptonError {
  if (err instanceof KryptonError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  let mapped: KryptonError;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    mapped = new KryptonError('KRY_STORE_EXISTS');
  } else if (
    code === '40001' ||
    code === '40P01' ||
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))
  ) {
    // Serialization failure, deadlock, or a SQLite writer whose snapshot went stale: another
    // change of the same data won.
    mapped = new KryptonError('KRY_STORE_CONFLICT');
  } else {
    mapped = new KryptonError('KRY_STORE_UNAVAILABLE');
  }
  Object.defineProperty(mapped, 'cause', { value: err, enumerable: false });
  return mapped;
}

function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw badInput(`${what} must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

function checkInt(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badInput(`${what} must be an integer ≥ ${min}`);
  }
  return value;
}

function checkState(value: unknown): number {
  if (typeof value !== 'number' || !VALID_STATES.has(value)) throw badInput('unknown State');
  return value;
}

function checkKeyLevel(value: unknown): number {
  if (value !== 1 && value !== 2 && value !== 3 && value !== 4) throw badInput('key level must be 1 to 4');
  return value;
}

function checkAttributeRef(ref: AttributeRef): { vendor: string; name: string } {
  if (typeof ref.name !== 'string' || ref.name.length === 0 || ref.name.length > MAX_NAME_LENGTH) {
    throw badInput('attribute name must be a string of 1 to 256 characters');
  }
  const vendor = ref.vendorIdentification ?? '';
  if (typeof vendor !== 'string' || vendor.length > MAX_ID_LENGTH)
    throw badInput('invalid vendor identification');
  if (vendor === '' && PROMOTED_ATTRIBUTE_NAMES.has(ref.name)) {
    throw badInput(`${ref.name} is set through its own field, not as a generic attribute`);
  }
  return { vendor, name: ref.name };
}

function checkLink(link: Link): { link_type: number; linked_id: string } {
  if (typeof link.linkType !== 'number' || !VALID_LINK_TYPES.has(link.linkType))
    throw badInput('unknown Link Type');
  return { link_type: link.linkType, linked_id: checkId(link.linkedObjectId, 'linked object identifier') };
}

function toMillis(value: unknown, what: string): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw badInput(`${what} must be a valid Date`);
  return value.getTime();
}

function dateColumnsOf(dates: LifecycleDateChanges | undefined): Row {
  const row: Row = {};
  if (!dates) return row;
  for (const [name, value] of Object.entries(dates)) {
    if (!Object.hasOwn(DATE_COLUMNS, name)) throw badInput(`${name} is not a lifecycle date`);
    const column = DATE_COLUMNS[name as LifecycleDateName];
    if (value === undefined) continue;
    row[column] = value === null ? null : toMillis(value, name);
  }
  return row;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

function asOptionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : asNumber(value);
}

function asBytes(value: unknown): Uint8Array | undefined {
  if (value === null || value === undefined) return undefined;
  return new Uint8Array(value as Uint8Array);
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function compareAttributes(a: StoredAttribute, b: StoredAttribute): number {
  const va = a.vendorIdentification ?? '';
  const vb = b.vendorIdentification ?? '';
  if (va !== vb) return va < vb ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.index - b.index;
}

/** An attribute row as the load statement aggregates it: vendor, name, index, value JSON. */
type AttributeTuple = [string, string, number | string, string];
/** A link row as the load statement aggregates it: link type, linked identifier. */
type LinkTuple = [number | string, string];

interface PreparedObject {
  readonly id: string;
  readonly object: Row;
  readonly attributes: Row[];
  readonly links: Row[];
}

export class KnexStore implements Store {
  readonly adapter: StoreDialect;
  readonly #db: Knex;
  readonly #maxLocateItems: number;
  readonly #generateId: () => string;
  readonly #now: () => Date;
  readonly #attributesJson: string;
  readonly #linksJson: string;
  /** The hot path's insert and single-object read, below knex's query builder. */
  readonly #writer: RowWriter;
  /** `#load` as SQL text for the writer: the object, its attributes and links in one statement. */
  readonly #loadSql: string;
  /** Rows per multi-row INSERT: under SQLite's compound-select and PostgreSQL's bind limits. */
  readonly #insertChunk: number;

  readonly #release: () => Promise<void>;
  #closed = false;

  constructor(db: Knex, adapter: StoreDialect, tuning: StoreTuning = {}, release = () => db.destroy()) {
    this.#db = db;
    this.#release = release;
    this.adapter = adapter;
    this.#maxLocateItems = tuning.maxLocateItems ?? DEFAULT_MAX_LOCATE_ITEMS;
    checkInt(this.#maxLocateItems, 'maxLocateItems', 1);
    this.#generateId = tuning.generateId ?? timeOrderedUuid;
    this.#now = tuning.now ?? (() => new Date());
    this.#insertChunk = adapter === 'sqlite' ? 400 : 1000;
    // Attributes and links come back with the object in one statement: one snapshot.
    const { attributes, links } = TABLES;
    this.#attributesJson =
      adapter === 'postgres'
        ? `(select coalesce(json_agg(json_build_array(a.vendor, a.name, a.idx, a.value_json))::text, '[]') from ${attributes} a where a.object_id = o.id)`
        : `(select json_group_array(json_array(a.vendor, a.name, a.idx, a.value_json)) from ${attributes} a where a.object_id = o.id)`;
    this.#linksJson =
      adapter === 'postgres'
        ? `(select coalesce(json_agg(json_build_array(l.link_type, l.linked_id))::text, '[]') from ${links} l where l.object_id = o.id)`
        : `(select json_group_array(json_array(l.link_type, l.linked_id)) from ${links} l where l.object_id = o.id)`;
    this.#writer = adapter === 'sqlite' ? sqliteRowWriter(db) : postgresRowWriter(db);
    this.#loadSql =
      `select o.*, ${this.#attributesJson} as attributes_json, ${this.#linksJson} as links_json` +
      ` from ${TABLES.objects} o where o.tenant = ? and o.id = ? limit 1`;
  }

  /** The knex instance, for migrations and tooling (benchmarks, tests) — not for plugins. */
  get knex(): Knex {
    return this.#db;
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new KryptonError('KRY_STORE_UNAVAILABLE');
    try {
      return await work();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  #prepare(tenant: string, input: NewManagedObject, now: number): PreparedObject {
    if (typeof input !== 'object' || input === null) throw badInput('object description missing');
    const id = checkId(input.id ?? this.#generateId(), 'identifier');
    if (typeof input.objectType !== 'number' || !VALID_OBJECT_TYPES.has(input.objectType)) {
      throw badInput('unknown Object Type');
    }
    const owner = checkId(input.owner, 'owner');
    const state = checkState(input.state ?? State.PreActive);
    let material: WrappedKeyMaterial | undefined;
    if (input.keyMaterial !== undefined) {
      // The brand is checked at run time too: plaintext bytes cannot slip in through a cast.
      if (!isWrappedKeyMaterial(input.keyMaterial)) {
        throw badInput('key material must be WrappedKeyMaterial from wrappedKeyMaterial()');
      }
      if (DESTROYED_STATES.includes(state)) throw badInput('a destroyed object holds no key material');
      material = input.keyMaterial;
      checkId(material.wrappingKeyId, 'wrapping key identifier');
      if (material.metadata) {
        for (const v of Object.values(material.metadata)) {
          if (typeof v !== 'string' && typeof v !== 'number')
            throw badInput('key material metadata: text or numbers');
        }
      }
    }
    if (input.publicMaterial !== undefined && !(input.publicMaterial instanceof Uint8Array)) {
      throw badInput('public material must be bytes');
    }
    const object: Row = {
      id,
      tenant,
      owner,
      object_type: input.objectType,
      state,
      key_level: input.keyLevel === undefined ? null : checkKeyLevel(input.keyLevel),
      cryptographic_algorithm:
        input.cryptographicAlgorithm === undefined
          ? null
          : checkInt(input.cryptographicAlgorithm, 'algorithm'),
      cryptographic_length:
        input.cryptographicLength === undefined ? null : checkInt(input.cryptographicLength, 'length'),
      archived: false,
      fresh: input.fresh ?? true,
      version: 1,
      wrapped_key: material ? toBuffer(material.wrapped) : null,
      wrapping_key_id: material ? material.wrappingKeyId : null,
      wrapping_method: material ? material.wrappingMethod : null,
      key_material_metadata: material?.metadata ? JSON.stringify(material.metadata) : null,
      public_material: input.publicMaterial ? toBuffer(input.publicMaterial) : null,
    };
    for (const column of Object.values(DATE_COLUMNS)) object[column] = null;
    Object.assign(object, dateColumnsOf(input.dates));
    object[DATE_COLUMNS.InitialDate] ??= now;
    object[DATE_COLUMNS.LastChangeDate] ??= now;

    const counters = new Map<string, number>();
    const attributes = (input.attributes ?? []).map((attribute) => {
      const { vendor, name } = checkAttributeRef(attribute);
      const counterKey = `${vendor}\u0000${name}`;
      const idx = counters.get(counterKey) ?? 0;
      counters.set(counterKey, idx + 1);
      return this.#attributeRow(id, tenant, vendor, name, idx, attribute.value);
    });
    const links = (input.links ?? []).map((link) => ({ object_id: id, tenant, ...checkLink(link) }));
    return { id, object, attributes, links };
  }

  #attributeRow(
    id: string,
    tenant: string,
    vendor: string,
    name: string,
    idx: number,
    value: AttributeValue,
  ): Row {
    const { json, key } = encodeAttribute(name, value);
    return { object_id: id, tenant, vendor, name, idx, value_key: key, value_json: json };
  }

  async #insertMany(trx: Db, table: string, rows: Row[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.#insertChunk) {
      await trx(table).insert(rows.slice(i, i + this.#insertChunk));
    }
  }

  async #insertPrepared(trx: Db, prepared: readonly PreparedObject[]): Promise<void> {
    await this.#insertMany(
      trx,
      TABLES.objects,
      prepared.map((p) => p.object),
    );
    await this.#insertMany(
      trx,
      TABLES.attributes,
      prepared.flatMap((p) => p.attributes),
    );
    await this.#insertMany(
      trx,
      TABLES.links,
      prepared.flatMap((p) => p.links),
    );
  }

  /** A built query's rows; on SQLite through the writer's prepared statements. */
  async #selectAll(query: Knex.QueryBuilder): Promise<Row[]> {
    if (this.adapter !== 'sqlite') return (await query) as Row[];
    const { sql, bindings } = query.toSQL();
    return this.#writer.selectAll(sql, bindings);
  }

  /** `#load` outside a transaction, through the row writer (no query building). */
  async #loadDirect(tenant: string, id: string): Promise<ManagedObject> {
    const row = await this.#writer.selectOne(this.#loadSql, [tenant, id]);
    if (!row) throw notFound();
    return this.#toObject(row);
  }

  /**
   * What `#load` would read back right after inserting `prepared`: the same rows through the
   * same decoding, without the round trip.
   */
  #inserted(prepared: PreparedObject): ManagedObject {
    return this.#objectOf(
      prepared.object,
      prepared.attributes.map((a) => [a.vendor, a.name, a.idx, a.value_json] as AttributeTuple),
      prepared.links.map((l) => [l.link_type, l.linked_id] as LinkTuple),
    );
  }

  async #load(db: Db, tenant: string, id: string): Promise<ManagedObject> {
    const row = (await db(`${TABLES.objects} as o`)
      .where({ 'o.tenant': tenant, 'o.id': id })
      .first(
        'o.*',
        db.raw(`${this.#attributesJson} as attributes_json`),
        db.raw(`${this.#linksJson} as links_json`),
      )) as Row | undefined;
    if (!row) throw notFound();
    return this.#toObject(row);
  }

  #toObject(row: Row): ManagedObject {
    return this.#objectOf(
      row,
      JSON.parse(String(row.attributes_json)) as AttributeTuple[],
      JSON.parse(String(row.links_json)) as LinkTuple[],
    );
  }

  #objectOf(row: Row, attributeTuples: AttributeTuple[], linkTuples: LinkTuple[]): ManagedObject {
    // Decoded on first read: many callers (Create's answer, Get, Encrypt) never look at them.
    let attributes: StoredAttribute[] | undefined;
    const decodeAttributes = (): StoredAttribute[] =>
      (attributes ??= attributeTuples
        .map(([vendor, name, idx, valueJson]): StoredAttribute => ({
          name,
          ...(vendor === '' ? {} : { vendorIdentification: vendor }),
          index: asNumber(idx),
          value: decodeAttributeValue(valueJson),
        }))
        .sort(compareAttributes));
    const links = linkTuples
      .map(([linkType, linkedObjectId]): Link => ({
        linkType: asNumber(linkType) as LinkType,
        linkedObjectId,
      }))
      .sort((a, b) => a.linkType - b.linkType || (a.linkedObjectId < b.linkedObjectId ? -1 : 1));
    const dates: LifecycleDates = {};
    for (const name of LIFECYCLE_DATE_NAMES) {
      const ms = asOptionalNumber(row[DATE_COLUMNS[name]]);
      if (ms !== undefined) dates[name] = new Date(ms);
    }
    const wrapped = asBytes(row.wrapped_key);
    return {
      id: String(row.id),
      tenant: String(row.tenant),
      owner: String(row.owner),
      objectType: asNumber(row.object_type) as ObjectType,
      state: asNumber(row.state) as State,
      keyLevel: asOptionalNumber(row.key_level) as KeyLevel | undefined,
      cryptographicAlgorithm: asOptionalNumber(row.cryptographic_algorithm),
      cryptographicLength: asOptionalNumber(row.cryptographic_length),
      dates,
      archived: Boolean(row.archived),
      fresh: Boolean(row.fresh),
      version: asNumber(row.version),
      get attributes() {
        return decodeAttributes();
      },
      links,
      keyMaterial: wrapped
        ? wrappedKeyMaterial({
            wrapped,
            wrappingKeyId: String(row.wrapping_key_id),
            wrappingMethod: String(row.wrapping_method),
            ...(row.key_material_metadata === null
              ? {}
              : {
                  metadata: JSON.parse(String(row.key_material_metadata)) as Record<string, string | number>,
                }),
          })
        : undefined,
      publicMaterial: asBytes(row.public_material),
    };
  }

  /**
   * Takes the object's row lock (PostgreSQL) by bumping its version first, so a concurrent
   * change of the same object waits for this transaction instead of racing it.
   */
  async #lock(
    trx: Db,
    tenant: string,
    id: string,
    expectedVersion?: number,
    changes: Row = {},
  ): Promise<void> {
    const query = trx(TABLES.objects).where({ tenant, id });
    if (expectedVersion !== undefined)
      query.andWhere({ version: checkInt(expectedVersion, 'expected version', 1) });
    const updated = await query.update({
      [DATE_COLUMNS.LastChangeDate]: this.#now().getTime(),
      ...changes,
      version: trx.raw('version + 1'),
    });
    if (updated === 0) {
      if (expectedVersion !== undefined && (await trx(TABLES.objects).where({ tenant, id }).first('id'))) {
        throw new KryptonError('KRY_STORE_CONFLICT');
      }
      throw notFound();
    }
  }

  #transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.#guard(() => this.#db.transaction(work));
  }

  create(tenant: string, object: NewManagedObject): Promise<ManagedObject> {
    return this.#guard(async () => {
      const prepared = this.#prepare(checkId(tenant, 'tenant'), object, this.#now().getTime());
      // One atomic write (a SQLite transaction, one PostgreSQL statement); nothing read back.
      await this.#writer.insert([
        { table: TABLES.objects, rows: [prepared.object] },
        { table: TABLES.attributes, rows: prepared.attributes },
        { table: TABLES.links, rows: prepared.links },
      ]);
      return this.#inserted(prepared);
    });
  }

  createMany(tenant: string, objects: readonly NewManagedObject[]): Promise<string[]> {
    return this.#transaction(async (trx) => {
      checkId(tenant, 'tenant');
      const now = this.#now().getTime();
      const prepared = objects.map((object) => this.#prepare(tenant, object, now));
      await this.#insertPrepared(trx, prepared);
      return prepared.map((p) => p.id);
    });
  }

  get(tenant: string, id: string): Promise<ManagedObject> {
    return this.#guard(() => this.#loadDirect(checkId(tenant, 'tenant'), checkId(id, 'identifier')));
  }

  transition(tenant: string, id: string, change: StateTransition): Promise<ManagedObject> {
    const sync = this.#writer.transaction;
    if (sync) {
      // SQLite: read, check, write and read back as one synchronous transaction.
      return this.#guard(() => {
        const to = this.#checkTransition(tenant, id, change);
        return sync((tx) => {
          const current = tx.get(`select version, state from ${TABLES.objects} where tenant = ? and id = ?`, [
            tenant,
            id,
          ]);
          if (!current) throw notFound();
          const version = asNumber(current.version);
          if (change.expectedVersion !== undefined && change.expectedVersion !== version) {
            throw new KryptonError('KRY_STORE_CONFLICT');
          }
          if (!change.from.includes(asNumber(current.state) as State))
            throw new KryptonError('KRY_STORE_WRONG_STATE');
          const changes = this.#transitionChanges(to, change.dates, version);
          const columns = Object.keys(changes);
          const updated = tx.run(
            `update ${TABLES.objects} set ${columns.map((c) => `"${c}" = ?`).join(', ')} where tenant = ? and id = ? and version = ?`,
            [...columns.map((c) => changes[c]), tenant, id, version],
          );
          // Another process changed the object since our read: it won.
          if (updated !== 1) throw new KryptonError('KRY_STORE_CONFLICT');
          const row = tx.get(this.#loadSql, [tenant, id]);
          if (!row) throw notFound();
          return this.#toObject(row);
        });
      });
    }
    const native = this.#writer.native;
    if (native) {
      // PostgreSQL: one conditional UPDATE. Under READ COMMITTED a concurrent writer's row is
      // re-checked against the WHERE clause after its commit, so a stale expected version or a
      // state that moved on matches nothing: of two concurrent transitions exactly one wins.
      // Only a refused transition pays a second statement, to say why.
      return this.#guard(async () => {
        const to = this.#checkTransition(tenant, id, change);
        const { version: _, ...changes } = this.#transitionChanges(to, change.dates, 0);
        const columns = Object.keys(changes);
        const values: unknown[] = [tenant, id, change.from, change.expectedVersion ?? null];
        const set = columns.map((c) => {
          values.push(changes[c] ?? null);
          return `"${c}" = $${values.length}`;
        });
        const [row] = await native(
          `with o as (update ${TABLES.objects} set ${set.join(', ')}, version = version + 1` +
            ` where tenant = $1 and id = $2 and state = any($3::int[])` +
            ` and ($4::int is null or version = $4) returning *)` +
            ` select o.*, ${this.#attributesJson} as attributes_json, ${this.#linksJson} as links_json from o`,
          values,
        );
        if (row) return this.#toObject(row);
        const [current] = await native(
          `select version, state from ${TABLES.objects} where tenant = $1 and id = $2`,
          [tenant, id],
        );
        if (!current) throw notFound();
        if (change.expectedVersion !== undefined && change.expectedVersion !== asNumber(current.version)) {
          throw new KryptonError('KRY_STORE_CONFLICT');
        }
        throw new KryptonError('KRY_STORE_WRONG_STATE');
      });
    }
    return this.#transaction(async (trx) => {
      const to = this.#checkTransition(tenant, id, change);
      const current = (await trx(TABLES.objects).where({ tenant, id }).first('version', 'state')) as
        Row | undefined;
      if (!current) throw notFound();
      const version = asNumber(current.version);
      if (change.expectedVersion !== undefined && change.expectedVersion !== version) {
        throw new KryptonError('KRY_STORE_CONFLICT');
      }
      if (!change.from.includes(asNumber(current.state) as State))
        throw new KryptonError('KRY_STORE_WRONG_STATE');
      const updated = await trx(TABLES.objects)
        .where({ tenant, id, version })
        .update(this.#transitionChanges(to, change.dates, version));
      // Someone else changed the object between our read and our write: they won.
      if (updated !== 1) throw new KryptonError('KRY_STORE_CONFLICT');
      return this.#load(trx, tenant, id);
    });
  }

  /** Validates a transition's arguments; returns the target state. */
  #checkTransition(tenant: string, id: string, change: StateTransition): number {
    checkId(tenant, 'tenant');
    checkId(id, 'identifier');
    const to = checkState(change.to);
    if (!Array.isArray(change.from) || change.from.length === 0)
      throw badInput('transition needs its from states');
    change.from.forEach(checkState);
    return to;
  }

  #transitionChanges(to: number, dates: LifecycleDateChanges | undefined, version: number): Row {
    const changes: Row = {
      [DATE_COLUMNS.LastChangeDate]: this.#now().getTime(),
      ...dateColumnsOf(dates),
      state: to,
      version: version + 1,
    };
    if (DESTROYED_STATES.includes(to)) {
      // KMIP 2.1 §6.1.15: Destroy removes the key material; the metadata stays.
      Object.assign(changes, {
        wrapped_key: null,
        wrapping_key_id: null,
        wrapping_method: null,
        key_material_metadata: null,
        public_material: null,
      });
    }
    return changes;
  }

  updateDates(
    tenant: string,
    id: string,
    dates: LifecycleDateChanges,
    expectedVersion?: number,
  ): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      await this.#lock(
        trx,
        checkId(tenant, 'tenant'),
        checkId(id, 'identifier'),
        expectedVersion,
        dateColumnsOf(dates),
      );
      return this.#load(trx, tenant, id);
    });
  }

  setAttribute(tenant: string, id: string, attribute: NewAttribute): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      const { vendor, name } = checkAttributeRef(attribute);
      const row = this.#attributeRow(id, tenant, vendor, name, 0, attribute.value);
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      await trx(TABLES.attributes).where({ object_id: id, vendor, name }).delete();
      await trx(TABLES.attributes).insert(row);
      return this.#load(trx, tenant, id);
    });
  }

  addAttribute(tenant: string, id: string, attribute: NewAttribute): Promise<number> {
    return this.#transaction(async (trx) => {
      const { vendor, name } = checkAttributeRef(attribute);
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      const idx = await this.#nextIndex(trx, id, vendor, name);
      await trx(TABLES.attributes).insert(this.#attributeRow(id, tenant, vendor, name, idx, attribute.value));
      return idx;
    });
  }

  async #nextIndex(trx: Db, id: string, vendor: string, name: string): Promise<number> {
    const row = (await trx(TABLES.attributes)
      .where({ object_id: id, vendor, name })
      .max({ top: 'idx' })
      .first()) as Row | undefined;
    const top = asOptionalNumber(row?.top);
    return top === undefined ? 0 : top + 1;
  }

  modifyAttribute(
    tenant: string,
    id: string,
    attribute: AttributeRef,
    index: number,
    value: AttributeValue,
  ): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      const { vendor, name } = checkAttributeRef(attribute);
      checkInt(index, 'attribute index');
      const row = this.#attributeRow(id, tenant, vendor, name, index, value);
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      const updated = await trx(TABLES.attributes)
        .where({ object_id: id, vendor, name, idx: index })
        .update({ value_key: row.value_key, value_json: row.value_json });
      // Throwing rolls the version bump back.
      if (updated === 0) throw notFound();
      return this.#load(trx, tenant, id);
    });
  }

  deleteAttribute(tenant: string, id: string, attribute: AttributeRef, index?: number): Promise<number> {
    return this.#transaction(async (trx) => {
      const { vendor, name } = checkAttributeRef(attribute);
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      const query = trx(TABLES.attributes).where({ object_id: id, vendor, name });
      if (index !== undefined) query.andWhere({ idx: checkInt(index, 'attribute index') });
      const deleted = await query.delete();
      if (deleted === 0) throw notFound();
      return deleted;
    });
  }

  addLink(tenant: string, id: string, link: Link): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      const row = { object_id: id, tenant, ...checkLink(link) };
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      const exists = await trx(TABLES.links).where(row).first('object_id');
      if (!exists) await trx(TABLES.links).insert(row);
      return this.#load(trx, tenant, id);
    });
  }

  removeLink(tenant: string, id: string, link: Link): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      const { link_type, linked_id } = checkLink(link);
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'));
      const deleted = await trx(TABLES.links).where({ object_id: id, link_type, linked_id }).delete();
      if (deleted === 0) throw notFound();
      return this.#load(trx, tenant, id);
    });
  }

  setArchived(tenant: string, id: string, archived: boolean): Promise<ManagedObject> {
    return this.#transaction(async (trx) => {
      if (typeof archived !== 'boolean') throw badInput('archived must be a boolean');
      await this.#lock(trx, checkId(tenant, 'tenant'), checkId(id, 'identifier'), undefined, {
        archived,
        [DATE_COLUMNS.ArchiveDate]: archived ? this.#now().getTime() : null,
      });
      return this.#load(trx, tenant, id);
    });
  }

  consumeUsage(tenant: string, id: string, amount: bigint): Promise<bigint | undefined> {
    return this.#transaction(async (trx) => {
      if (typeof amount !== 'bigint' || amount < 0n)
        throw badInput('usage amount must be a non-negative bigint');
      checkId(tenant, 'tenant');
      checkId(id, 'identifier');
      // The object's row first, so that a concurrent consume waits for this one (PostgreSQL);
      // no version bump: the row stays as it was unless usage is consumed below.
      const locked = (await trx(TABLES.objects).where({ tenant, id }).update({ tenant })) as number;
      if (locked === 0) throw notFound();
      const row = (await trx(TABLES.attributes)
        .where({ object_id: id, vendor: '', name: 'UsageLimits', idx: 0 })
        .first('value_json')) as Row | undefined;
      if (row === undefined) return undefined;
      const limits = decodeAttributeValue(String(row.value_json));
      if (typeof limits !== 'object' || limits instanceof Uint8Array || limits instanceof Date)
        return undefined;
      const raw = limits.UsageLimitsCount ?? limits.UsageLimitsTotal;
      if (typeof raw !== 'bigint' && typeof raw !== 'number') return undefined;
      const count = BigInt(raw);
      if (count < amount) throw new KryptonError('KRY_STORE_USAGE_LIMIT');
      const left = count - amount;
      const value: AttributeValue = { ...limits, UsageLimitsCount: left };
      await this.#lock(trx, tenant, id);
      await trx(TABLES.attributes)
        .where({ object_id: id, vendor: '', name: 'UsageLimits', idx: 0 })
        .update({
          value_key: attributeValueKey('UsageLimits', value),
          value_json: encodeAttributeValue(value),
        });
      return left;
    });
  }

  markServed(tenant: string, id: string): Promise<void> {
    return this.#guard(async () => {
      // Idempotent, so no version bump and no lost update: it only ever clears the flag.
      const updated = await this.#writer.run(
        `update ${TABLES.objects} set fresh = ? where tenant = ? and id = ?`,
        [false, checkId(tenant, 'tenant'), checkId(id, 'identifier')],
      );
      if (updated === 0) throw notFound();
    });
  }

  rekey(tenant: string, id: string, request: RekeyRequest): Promise<RekeyResult> {
    const sync = this.#writer.transaction;
    if (sync) return this.#guard(() => sync((tx) => this.#rekeySync(tx, tenant, id, request)));
    return this.#transaction(async (trx) => {
      checkId(tenant, 'tenant');
      checkId(id, 'identifier');
      const now = this.#now().getTime();
      const prepared = this.#prepare(tenant, request.replacement, now);
      if (prepared.id === id) throw badInput('the replacement needs its own identifier');
      const moves = (request.moveAttributes ?? []).map(checkAttributeRef);

      const current = (await trx(TABLES.objects).where({ tenant, id }).first('version', 'state')) as
        Row | undefined;
      if (!current) throw notFound();
      const version = asNumber(current.version);
      if (request.expectedVersion !== undefined && request.expectedVersion !== version) {
        throw new KryptonError('KRY_STORE_CONFLICT');
      }
      let changes: Row;
      const transition = request.replaced?.transition;
      if (transition) {
        transition.from.forEach(checkState);
        if (!transition.from.includes(asNumber(current.state) as State)) {
          throw new KryptonError('KRY_STORE_WRONG_STATE');
        }
        changes = this.#transitionChanges(checkState(transition.to), transition.dates, version);
      } else {
        changes = { [DATE_COLUMNS.LastChangeDate]: now, version: version + 1 };
      }
      Object.assign(changes, dateColumnsOf(request.replaced?.dates));
      const updated = await trx(TABLES.objects).where({ tenant, id, version }).update(changes);
      // A concurrent rekey or transition of the same object won: no second replacement.
      if (updated !== 1) throw new KryptonError('KRY_STORE_CONFLICT');

      prepared.links.push({
        object_id: prepared.id,
        tenant,
        link_type: LinkType.ReplacedObjectLink,
        linked_id: id,
      });
      await this.#insertPrepared(trx, [prepared]);
      await trx(TABLES.links).insert({
        object_id: id,
        tenant,
        link_type: LinkType.ReplacementObjectLink,
        linked_id: prepared.id,
      });

      for (const { vendor, name } of moves) {
        const values = (await trx(TABLES.attributes)
          .where({ object_id: id, vendor, name })
          .orderBy('idx')
          .select('value_key', 'value_json')) as Row[];
        if (values.length === 0) continue;
        let next = await this.#nextIndex(trx, prepared.id, vendor, name);
        await trx(TABLES.attributes).where({ object_id: id, vendor, name }).delete();
        await this.#insertMany(
          trx,
          TABLES.attributes,
          values.map((v) => ({
            object_id: prepared.id,
            tenant,
            vendor,
            name,
            idx: next++,
            value_key: v.value_key,
            value_json: v.value_json,
          })),
        );
      }
      return {
        replacement: await this.#load(trx, tenant, prepared.id),
        replaced: await this.#load(trx, tenant, id),
      };
    });
  }

  /** `rekey` on SQLite: the same steps as one synchronous transaction of prepared statements. */
  #rekeySync(tx: SyncTransaction, tenant: string, id: string, request: RekeyRequest): RekeyResult {
    checkId(tenant, 'tenant');
    checkId(id, 'identifier');
    const now = this.#now().getTime();
    const prepared = this.#prepare(tenant, request.replacement, now);
    if (prepared.id === id) throw badInput('the replacement needs its own identifier');
    const moves = (request.moveAttributes ?? []).map(checkAttributeRef);
    const { objects, attributes, links } = TABLES;

    const current = tx.get(`select version, state from ${objects} where tenant = ? and id = ?`, [tenant, id]);
    if (!current) throw notFound();
    const version = asNumber(current.version);
    if (request.expectedVersion !== undefined && request.expectedVersion !== version) {
      throw new KryptonError('KRY_STORE_CONFLICT');
    }
    let changes: Row;
    const transition = request.replaced?.transition;
    if (transition) {
      transition.from.forEach(checkState);
      if (!transition.from.includes(asNumber(current.state) as State)) {
        throw new KryptonError('KRY_STORE_WRONG_STATE');
      }
      changes = this.#transitionChanges(checkState(transition.to), transition.dates, version);
    } else {
      changes = { [DATE_COLUMNS.LastChangeDate]: now, version: version + 1 };
    }
    Object.assign(changes, dateColumnsOf(request.replaced?.dates));
    const columns = Object.keys(changes);
    const updated = tx.run(
      `update ${objects} set ${columns.map((c) => `"${c}" = ?`).join(', ')} where tenant = ? and id = ? and version = ?`,
      [...columns.map((c) => changes[c]), tenant, id, version],
    );
    // A concurrent rekey or transition of the same object won: no second replacement.
    if (updated !== 1) throw new KryptonError('KRY_STORE_CONFLICT');

    prepared.links.push({
      object_id: prepared.id,
      tenant,
      link_type: LinkType.ReplacedObjectLink,
      linked_id: id,
    });
    tx.insert([
      { table: objects, rows: [prepared.object] },
      { table: attributes, rows: prepared.attributes },
      { table: links, rows: prepared.links },
      {
        table: links,
        rows: [{ object_id: id, tenant, link_type: LinkType.ReplacementObjectLink, linked_id: prepared.id }],
      },
    ]);
    for (const { vendor, name } of moves) {
      const where = [id, vendor, name];
      const values = tx.all(
        `select value_key, value_json from ${attributes} where object_id = ? and vendor = ? and name = ? order by idx`,
        where,
      );
      if (values.length === 0) continue;
      const top = tx.get(
        `select max(idx) as top from ${attributes} where object_id = ? and vendor = ? and name = ?`,
        [prepared.id, vendor, name],
      );
      let next = top?.top === null || top?.top === undefined ? 0 : asNumber(top.top) + 1;
      tx.run(`delete from ${attributes} where object_id = ? and vendor = ? and name = ?`, where);
      tx.insert([
        {
          table: attributes,
          rows: values.map((v) => ({
            object_id: prepared.id,
            tenant,
            vendor,
            name,
            idx: next++,
            value_key: v.value_key,
            value_json: v.value_json,
          })),
        },
      ]);
    }
    const replacement = tx.get(this.#loadSql, [tenant, prepared.id]);
    const replaced = tx.get(this.#loadSql, [tenant, id]);
    if (!replacement || !replaced) throw notFound();
    return { replacement: this.#toObject(replacement), replaced: this.#toObject(replaced) };
  }

  purge(tenant: string, id: string): Promise<void> {
    return this.#transaction(async (trx) => {
      checkId(tenant, 'tenant');
      checkId(id, 'identifier');
      const exists = await trx(TABLES.objects).where({ tenant, id }).first('id');
      if (!exists) throw notFound();
      // Explicit deletes: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
      await trx(TABLES.attributes).where({ object_id: id }).delete();
      await trx(TABLES.links).where({ object_id: id }).delete();
      await trx(TABLES.objects).where({ tenant, id }).delete();
    });
  }

  getForKeyHierarchy(id: string): Promise<ManagedObject | undefined> {
    return this.#guard(async () => {
      const row = (await this.#db(TABLES.objects)
        .where({ id: checkId(id, 'identifier') })
        .first('tenant')) as Row | undefined;
      return row ? this.#load(this.#db, String(row.tenant), id) : undefined;
    });
  }

  rewrapForKeyHierarchy(
    id: string,
    material: WrappedKeyMaterial,
    expectedWrappingKeyId: string,
  ): Promise<boolean> {
    return this.#guard(async () => {
      if (!isWrappedKeyMaterial(material)) throw badInput('key material must be WrappedKeyMaterial');
      // No version bump: re-wrapping changes no attribute a client can see (KMIP Last Change Date stays).
      const updated = await this.#db(TABLES.objects)
        .where({ id: checkId(id, 'identifier'), wrapping_key_id: expectedWrappingKeyId })
        .whereNotNull('wrapped_key')
        .update({
          wrapped_key: toBuffer(material.wrapped),
          wrapping_key_id: checkId(material.wrappingKeyId, 'wrapping key identifier'),
          wrapping_method: material.wrappingMethod,
        });
      return updated === 1;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#release();
  }

  locate(tenant: string, query: LocateQuery): Promise<LocateResult> {
    return this.#guard(async () => {
      checkId(tenant, 'tenant');
      const base = this.#locateQuery(tenant, query);
      const offset = query.offsetItems === undefined ? 0 : checkInt(query.offsetItems, 'Offset Items');
      const limit = Math.min(
        query.maximumItems === undefined
          ? this.#maxLocateItems
          : checkInt(query.maximumItems, 'Maximum Items'),
        this.#maxLocateItems,
      );
      const page = base.clone().select('o.id');
      if (query.objectGroupMember === ObjectGroupMember.GroupMemberDefault) {
        // The group's default member: its newest matching object.
        page.orderBy('o.seq', 'desc').limit(Math.min(limit, 1));
      } else {
        page.orderBy('o.seq', 'asc').limit(limit).offset(offset);
      }
      const rows = limit === 0 ? [] : await this.#selectAll(page);
      const ids = rows.map((r) => String(r.id));
      if (!query.countTotal) return { ids };
      const counted = (await base.clone().count({ n: '*' }).first()) as Row | undefined;
      return { ids, located: asNumber(counted?.n ?? 0) };
    });
  }

  /** The SQL of a Locate page, for query-plan checks (tests, benchmarks). */
  locateStatement(tenant: string, query: LocateQuery): { sql: string; bindings: readonly Knex.Value[] } {
    const { sql, bindings } = this.#locateQuery(checkId(tenant, 'tenant'), query)
      .select('o.id')
      .orderBy('o.seq', 'asc')
      .limit(this.#maxLocateItems)
      .toSQL();
    return { sql, bindings };
  }

  #locateQuery(tenant: string, query: LocateQuery): Knex.QueryBuilder {
    const db = this.#db;
    // SQLite has no statistics of skew: for L1/L2 (a few per tenant, the key hierarchy looks its
    // tenant key up on every Create) it would walk every Active key of the tenant through
    // (tenant, object_type, state). Name the (tenant, key_level) index instead.
    const fewPerTenant = this.adapter === 'sqlite' && (query.keyLevel === 1 || query.keyLevel === 2);
    const q: Knex.QueryBuilder = fewPerTenant
      ? db.from(db.raw(`${TABLES.objects} as o indexed by managed_objects_tenant_key_level`))
      : db(`${TABLES.objects} as o`);
    // SQLite's planner walks the tenant's objects in seq order and probes each for the
    // attribute (O(objects) per Locate) unless an equality attribute filter drives the query:
    // its ids come from the attribute index, and `+o.tenant` keeps the planner off the seq scan.
    // PostgreSQL chooses the attribute index by itself (statistics).
    let driveByAttribute =
      this.adapter === 'sqlite' &&
      !fewPerTenant &&
      ((query.names?.length ?? 0) > 0 ||
        (query.objectGroups?.length ?? 0) > 0 ||
        (query.attributes ?? []).some((f) => f?.value !== undefined));
    if (driveByAttribute) q.whereRaw('+o.tenant = ?', [tenant]);
    else q.where('o.tenant', tenant);
    if (query.uniqueIdentifier !== undefined)
      q.andWhere('o.id', checkId(query.uniqueIdentifier, 'Unique Identifier'));
    if (query.objectType !== undefined)
      q.andWhere('o.object_type', checkInt(query.objectType, 'Object Type'));
    if (query.state !== undefined) q.andWhere('o.state', checkState(query.state));
    if (query.cryptographicAlgorithm !== undefined) {
      q.andWhere(
        'o.cryptographic_algorithm',
        checkInt(query.cryptographicAlgorithm, 'Cryptographic Algorithm'),
      );
    }
    if (query.cryptographicLength !== undefined) {
      q.andWhere('o.cryptographic_length', checkInt(query.cryptographicLength, 'Cryptographic Length'));
    }
    if (query.keyLevel !== undefined) q.andWhere('o.key_level', checkKeyLevel(query.keyLevel));
    if (query.owner !== undefined) q.andWhere('o.owner', checkId(query.owner, 'owner'));

    const mask = query.storageStatusMask ?? StorageStatus.OnLine;
    if (!Number.isInteger(mask) || mask <= 0 || (mask & ~ALL_STORAGE_BITS) !== 0) {
      throw badInput('Storage Status Mask has unknown bits');
    }
    if (mask !== ALL_STORAGE_BITS) {
      q.andWhere((w) => {
        if (mask & StorageStatus.OnLine) {
          w.orWhere((x) => x.where('o.archived', false).whereNotIn('o.state', DESTROYED_STATES));
        }
        if (mask & StorageStatus.Archival) {
          w.orWhere((x) => x.where('o.archived', true).whereNotIn('o.state', DESTROYED_STATES));
        }
        if (mask & StorageStatus.Destroyed) w.orWhereIn('o.state', DESTROYED_STATES);
      });
    }
    if (query.objectGroupMember !== undefined) {
      if (
        query.objectGroupMember !== ObjectGroupMember.GroupMemberFresh &&
        query.objectGroupMember !== ObjectGroupMember.GroupMemberDefault
      ) {
        throw badInput('unknown Object Group Member');
      }
      if (query.objectGroupMember === ObjectGroupMember.GroupMemberFresh) q.andWhere('o.fresh', true);
    }

    const attributeFilters: { vendor: string; name: string; key: string | undefined }[] = [];
    for (const name of query.names ?? []) {
      if (typeof name !== 'string') throw badInput('Name filter must be text');
      attributeFilters.push({ vendor: '', name: 'Name', key: attributeValueKey('Name', name) });
    }
    for (const group of query.objectGroups ?? []) {
      if (typeof group !== 'string') throw badInput('Object Group filter must be text');
      attributeFilters.push({
        vendor: '',
        name: 'ObjectGroup',
        key: attributeValueKey('ObjectGroup', group),
      });
    }
    for (const filter of query.attributes ?? []) {
      const { vendor, name } = checkAttributeRef(filter);
      attributeFilters.push({
        vendor,
        name,
        key: filter.value === undefined ? undefined : attributeValueKey(name, filter.value),
      });
    }
    for (const { vendor, name, key } of attributeFilters) {
      if (driveByAttribute && key !== undefined) {
        driveByAttribute = false;
        q.whereIn('o.id', (sub) => {
          sub
            .select('a.object_id')
            .from(`${TABLES.attributes} as a`)
            .where({ 'a.tenant': tenant, 'a.vendor': vendor, 'a.name': name, 'a.value_key': key });
        });
        continue;
      }
      q.whereExists((sub) => {
        sub
          .select(db.raw('1'))
          .from(`${TABLES.attributes} as a`)
          .where({ 'a.tenant': tenant, 'a.vendor': vendor, 'a.name': name })
          .whereRaw('a.object_id = o.id');
        if (key !== undefined) sub.andWhere('a.value_key', key);
      });
    }
    for (const filter of query.links ?? []) {
      const { link_type } = checkLink({
        linkType: filter.linkType,
        linkedObjectId: filter.linkedObjectId ?? '-',
      });
      q.whereExists((sub) => {
        sub
          .select(db.raw('1'))
          .from(`${TABLES.links} as l`)
          .where({ 'l.tenant': tenant, 'l.link_type': link_type })
          .whereRaw('l.object_id = o.id');
        if (filter.linkedObjectId !== undefined) {
          sub.andWhere('l.linked_id', checkId(filter.linkedObjectId, 'linked object identifier'));
        }
      });
    }
    for (const [name, range] of Object.entries(query.dates ?? {})) {
      if (!Object.hasOwn(DATE_COLUMNS, name)) throw badInput(`${name} is not a lifecycle date`);
      if (!range) continue;
      const column = `o.${DATE_COLUMNS[name as LifecycleDateName]}`;
      if (range.from === undefined && range.to === undefined) throw badInput(`${name} range has no bound`);
      if (range.from !== undefined) q.andWhere(column, '>=', toMillis(range.from, name));
      if (range.to !== undefined) q.andWhere(column, '<=', toMillis(range.to, name));
    }
    return q;
  }
}
