/**
 * The insert and the single-object read of the hot path, without knex's per-query cost (query
 * building, compiling, a fresh prepared statement for every statement):
 *
 * - SQLite: the rows go in as one synchronous better-sqlite3 transaction, with statements
 *   prepared once per connection, on the connection knex holds. It is taken from knex's pool
 *   like any knex query, so it never runs inside another caller's open transaction (the store
 *   shares one connection per file: see sqlite.ts). Group commit: the inserts that arrive in
 *   the same turn of the event loop share one transaction (its COMMIT writes every touched
 *   index page to the WAL: the cost of a create); each caller is answered after the COMMIT.
 *   When one of them fails the group is rolled back and each runs in a transaction of its
 *   own, so a failure stays its own (savepoints per insert would cost every group instead).
 * - PostgreSQL: every table's rows in one statement (data-modifying CTEs), so a create is one
 *   round trip and one commit instead of BEGIN, an INSERT per table and COMMIT. The foreign
 *   keys hold: a CTE's inserts are checked at the end of the statement, like one transaction.
 *   Concurrent creates share a statement the same way SQLite's share a transaction; while one
 *   group's statement is under way the next group forms.
 */
import type { Knex } from 'knex';
import { insertThreadOf, type InsertShapeMessage, type SqliteInsertThread } from './sqlite-writer.js';

type Row = Record<string, unknown>;

/** Rows of one table, every row with the same columns in the same order. */
export interface TableRows {
  readonly table: string;
  readonly rows: readonly Row[];
}

export interface RowWriter {
  /** Inserts every table's rows atomically, in the order given (parents first). */
  insert(tables: readonly TableRows[]): Promise<void>;
  /** One row of a read-only statement (`?` placeholders), or undefined. */
  selectOne(sql: string, bindings: readonly unknown[]): Promise<Row | undefined>;
  /** Every row of a read-only statement (`?` placeholders). */
  selectAll(sql: string, bindings: readonly unknown[]): Promise<Row[]>;
  /** One data-changing statement (`?` placeholders), committed on its own; the rows it changed. */
  run(sql: string, bindings: readonly unknown[]): Promise<number>;
  /**
   * SQLite only: `work` as one synchronous transaction (rolled back when it throws), with
   * statements prepared once. Nothing else runs on the connection meanwhile.
   */
  readonly transaction?: <T>(work: (tx: SyncTransaction) => T) => Promise<T>;
  /** PostgreSQL only: one statement with `$n` placeholders on a pooled connection; its rows. */
  readonly native?: (text: string, values: readonly unknown[]) => Promise<Row[]>;
}

/** Statements inside a synchronous SQLite transaction (`?` placeholders). */
export interface SyncTransaction {
  get(sql: string, bindings: readonly unknown[]): Row | undefined;
  all(sql: string, bindings: readonly unknown[]): Row[];
  /** Inserts every table's rows, in the order given. */
  insert(tables: readonly TableRows[]): void;
  /** Returns the number of rows changed. */
  run(sql: string, bindings: readonly unknown[]): number;
}

interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  readonly inTransaction: boolean;
}

interface PendingInsert {
  readonly tables: readonly TableRows[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  failure?: unknown;
}

/** Inserts per group commit: bounds the time one COMMIT holds the event loop. */
const GROUP_MAX = 64;
/** Inserts per group on the insert thread, which holds no event loop: larger groups, fewer COMMITs. */
const THREAD_GROUP_MAX = 256;
/**
 * Values per group on the insert thread (strings and bytes by length): a group is copied into
 * the thread's heap, which is bounded (sqlite-writer.ts), so large objects go in smaller groups.
 */
const THREAD_GROUP_BYTES = 4 * 1024 * 1024;
/** Groups sent to the insert thread before the first is answered: one runs while one waits. */
const THREAD_GROUPS_IN_FLIGHT = 2;
/**
 * PostgreSQL group statements under way at once. The creates that arrive meanwhile wait and go
 * together in the next one (as audit records wait for the sync in flight): one round trip, one
 * socket write and one commit flush for all of them, instead of a statement for every few
 * creates that happened to share an event-loop turn. At 16 connections: 7 creates per
 * statement instead of 4.6, and half the server's time in socket writes to the database.
 */
const GROUPS_IN_FLIGHT = 1;

interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  /** knex's tarn pool: callers waiting for a connection. */
  readonly pool?: { numPendingAcquires(): number };
}

function poolOf(db: Knex): PooledClient {
  return (db as unknown as { client: PooledClient }).client;
}

/**
 * Prepared statements of one connection, by SQL text: one per table and read, and one per
 * shape of Locate (its filters vary), hence the bound.
 */
const statements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();
const MAX_STATEMENTS = 512;

function prepared(connection: SqliteConnection, sql: string): SqliteStatement {
  let cache = statements.get(connection);
  if (!cache) {
    cache = new Map();
    statements.set(connection, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.clear();
    statement = connection.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null (as knex's driver converts). */
function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function columnsOf(rows: readonly Row[]): string[] {
  return Object.keys(rows[0] as Row);
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

function insertSql(table: string, columns: readonly string[], rowCount: number): string {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${Array<string>(rowCount)
    .fill(tuple)
    .join(', ')}`;
}

/** A table's single-row INSERT for one list of columns, with a value array reused per row. */
interface InsertShape {
  /** Names the prepared statement to the insert thread. */
  readonly id: number;
  readonly columns: readonly string[];
  readonly sql: string;
  readonly values: unknown[];
}

/**
 * The last shape per table: rows of one table come from one preparer with the same columns,
 * so comparing the column names replaces building and looking up a key per row.
 */
const insertShapes = new Map<string, InsertShape>();
let nextShapeId = 0;

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function insertShapeOf(table: string, row: Row): InsertShape {
  const columns = Object.keys(row);
  const last = insertShapes.get(table);
  if (last && sameColumns(last.columns, columns)) return last;
  const shape = {
    id: nextShapeId++,
    columns,
    sql: insertSql(table, columns, 1),
    values: new Array<unknown>(columns.length),
  };
  if (insertShapes.size < 64 || last) insertShapes.set(table, shape);
  return shape;
}

/** Runs one insert's statements (in the caller's transaction or savepoint). */
function runInsert(connection: SqliteConnection, tables: readonly TableRows[]): void {
  for (const t of tables) {
    for (const row of t.rows) {
      // One row per statement: prepared once, cheaper than varying multi-row texts.
      const shape = insertShapeOf(t.table, row);
      const { columns, values } = shape;
      for (let i = 0; i < columns.length; i++) values[i] = sqliteValue(row[columns[i] as string]);
      // Synchronous: the shared value array is free again when run returns.
      prepared(connection, shape.sql).run(values);
    }
  }
}

/**
 * An insert as the insert thread takes it: statement id and bindings, row after row; the
 * statements the thread has not prepared yet are added to `shapes`.
 */
function flatInsert(
  thread: SqliteInsertThread,
  tables: readonly TableRows[],
  shapes: InsertShapeMessage[],
): { flat: unknown[]; bytes: number } {
  const flat: unknown[] = [];
  let bytes = 0;
  for (const t of tables) {
    for (const row of t.rows) {
      const shape = insertShapeOf(t.table, row);
      if (!thread.knows(shape.id) && !shapes.some(([id]) => id === shape.id)) {
        shapes.push([shape.id, shape.sql, shape.columns.length]);
      }
      flat.push(shape.id);
      for (const column of shape.columns) {
        const value = sqliteValue(row[column]);
        bytes +=
          typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
        flat.push(value);
      }
    }
  }
  return { flat, bytes };
}

/** A group for the insert thread: its callers and their flattened inserts. */
interface ThreadGroup {
  readonly pending: PendingInsert[];
  readonly inserts: unknown[][];
  readonly shapes: InsertShapeMessage[];
}

interface GroupCommit {
  /** One insert in a transaction of its own. */
  readonly one: (tables: readonly TableRows[]) => void;
  /** Every insert in one transaction: all or nothing. */
  readonly group: (pending: readonly PendingInsert[]) => void;
  /** Any synchronous work in one transaction (built once: better-sqlite3 wraps it anew per call). */
  readonly work: (work: () => void) => void;
}

const groupCommits = new WeakMap<SqliteConnection, GroupCommit>();

function groupCommitOf(connection: SqliteConnection): GroupCommit {
  let gc = groupCommits.get(connection);
  if (!gc) {
    const one = connection.transaction((tables: readonly TableRows[]) => runInsert(connection, tables));
    const group = connection.transaction((pending: readonly PendingInsert[]) => {
      for (const p of pending) runInsert(connection, p.tables);
    });
    const work = connection.transaction((w: () => void) => w());
    gc = { one, group, work };
    groupCommits.set(connection, gc);
  }
  return gc;
}

export function sqliteRowWriter(db: Knex): RowWriter {
  const pool = poolOf(db);
  let queue: PendingInsert[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const thread = insertThreadOf(db);
      if (thread) {
        await flushOnThread(thread);
        continue;
      }
      const pending = queue.slice(0, GROUP_MAX);
      queue = queue.slice(pending.length);
      try {
        await withConnection((connection) => commitHere(connection, pending));
      } catch (err) {
        // BEGIN or COMMIT failed (or the connection): nothing of these is stored.
        for (const p of pending) p.failure ??= err;
      }
      settle(pending);
    }
    scheduled = false;
  }

  function settle(pending: readonly PendingInsert[]): void {
    for (const p of pending) {
      if (p.failure === undefined) p.resolve();
      else p.reject(p.failure);
    }
  }

  /**
   * Groups to the insert thread, THREAD_GROUPS_IN_FLIGHT at a time so it never idles waiting for
   * the event loop to take an answer and send the next. The event loop's connection stays taken
   * meanwhile (one writer at a time), and is given back as soon as another caller waits for it:
   * no new group starts then, and reads, transitions and transactions go between groups.
   */
  async function flushOnThread(thread: SqliteInsertThread): Promise<void> {
    const connection = await pool.acquireConnection();
    const inFlight = new Set<Promise<void>>();
    try {
      for (;;) {
        const othersWait = (pool.pool?.numPendingAcquires() ?? 0) > 0;
        if (queue.length > 0 && inFlight.size < THREAD_GROUPS_IN_FLIGHT && !othersWait && thread.usable) {
          const group = takeThreadGroup(thread);
          if ('large' in group) {
            // Too large to copy into the thread's bounded heap: committed here, on the connection
            // this loop holds, once the thread's groups are done (one writer at a time).
            while (inFlight.size > 0) await Promise.race(inFlight);
            try {
              commitHere(connection as SqliteConnection, [group.large]);
            } catch (err) {
              group.large.failure ??= err;
            }
            settle([group.large]);
            continue;
          }
          const sent: Promise<void> = commitOnThread(thread, group).finally(() => inFlight.delete(sent));
          inFlight.add(sent);
          continue;
        }
        if (inFlight.size === 0) return;
        await Promise.race(inFlight);
      }
    } finally {
      await pool.releaseConnection(connection);
    }
  }

  /**
   * The next group off the queue: at most THREAD_GROUP_MAX inserts and about THREAD_GROUP_BYTES
   * of values — or, alone, an insert larger than that.
   */
  function takeThreadGroup(thread: SqliteInsertThread): ThreadGroup | { large: PendingInsert } {
    const group: ThreadGroup = { pending: [], inserts: [], shapes: [] };
    let bytes = 0;
    let taken = 0;
    while (taken < queue.length && taken < THREAD_GROUP_MAX && (taken === 0 || bytes < THREAD_GROUP_BYTES)) {
      const p = queue[taken] as PendingInsert;
      const { flat, bytes: size } = flatInsert(thread, p.tables, group.shapes);
      if (size > THREAD_GROUP_BYTES) {
        if (taken > 0) break; // it starts the next group, alone
        queue = queue.slice(1);
        return { large: p };
      }
      group.pending.push(p);
      group.inserts.push(flat);
      bytes += size;
      taken += 1;
    }
    queue = queue.slice(taken);
    return group;
  }

  function commitHere(connection: SqliteConnection, pending: readonly PendingInsert[]): void {
    const gc = groupCommitOf(connection);
    try {
      gc.group(pending);
    } catch (err) {
      // Rolled back whole: now one by one, so only the failing ones fail.
      if (pending.length === 1) throw err;
      for (const p of pending) {
        try {
          gc.one(p.tables);
        } catch (e) {
          p.failure = e;
        }
      }
    }
  }

  /** One group on the insert thread; settles its callers. Never rejects. */
  async function commitOnThread(thread: SqliteInsertThread, group: ThreadGroup): Promise<void> {
    const { pending } = group;
    try {
      const failures = await thread.run(group.shapes, group.inserts);
      pending.forEach((p, i) => {
        if (failures[i] !== undefined) p.failure = failures[i];
      });
    } catch (err) {
      // The thread failed: the group was committed whole or not at all; it is reported failed.
      for (const p of pending) p.failure ??= err;
    }
    settle(pending);
  }

  async function withConnection<T>(work: (c: SqliteConnection) => T): Promise<T> {
    const connection = (await pool.acquireConnection()) as SqliteConnection;
    try {
      // Taken through the pool, the connection is never inside someone else's transaction.
      if (connection.inTransaction) throw new Error('connection handed out inside a transaction');
      return work(connection);
    } finally {
      await pool.releaseConnection(connection);
    }
  }
  return {
    insert(tables) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ tables, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        // After this turn's I/O callbacks: the inserts they started join the same COMMIT.
        setImmediate(() => void flush());
      });
    },
    selectOne(sql, bindings) {
      return withConnection(
        (connection) => prepared(connection, sql).get(bindings.map(sqliteValue)) as Row | undefined,
      );
    },
    selectAll(sql, bindings) {
      return withConnection(
        (connection) => prepared(connection, sql).all(bindings.map(sqliteValue)) as Row[],
      );
    },
    run(sql, bindings) {
      return withConnection((connection) => prepared(connection, sql).run(bindings.map(sqliteValue)).changes);
    },
    transaction<T>(work: (tx: SyncTransaction) => T): Promise<T> {
      return withConnection((connection) => {
        const tx: SyncTransaction = {
          get: (sql, bindings) => prepared(connection, sql).get(bindings.map(sqliteValue)) as Row | undefined,
          all: (sql, bindings) => prepared(connection, sql).all(bindings.map(sqliteValue)) as Row[],
          insert: (tables) => runInsert(connection, tables),
          run: (sql, bindings) => prepared(connection, sql).run(bindings.map(sqliteValue)).changes,
        };
        let result: T | undefined;
        groupCommitOf(connection).work(() => {
          result = work(tx);
        });
        return result as T;
      });
    },
  };
}

interface PgConnection {
  query(config: { text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

/**
 * One statement inserting every table's rows: `with w0 as (insert …), w1 as (insert …) select 1`,
 * `$n` placeholders, sent on a pooled connection without knex's binding rewrite.
 */
function postgresInsert(tables: readonly TableRows[]): { text: string; values: unknown[] } | undefined {
  const parts: string[] = [];
  const values: unknown[] = [];
  tables.forEach((t, i) => {
    if (t.rows.length === 0) return;
    const columns = columnsOf(t.rows);
    const tuples = t.rows.map((row) => {
      const placeholders = columns.map((c) => {
        values.push(row[c] ?? null);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    parts.push(
      `w${i} as (insert into ${quote(t.table)} (${columns.map(quote).join(', ')}) values ${tuples.join(', ')})`,
    );
  });
  return parts.length === 0 ? undefined : { text: `with ${parts.join(', ')} select 1`, values };
}

/** The rows of several inserts, table by table (same columns: they come from one preparer). */
function mergeInserts(pending: readonly PendingInsert[]): TableRows[] {
  const merged = new Map<string, Row[]>();
  for (const p of pending) {
    for (const t of p.tables) {
      if (t.rows.length === 0) continue;
      const key = `${t.table}\u0000${columnsOf(t.rows).join(',')}`;
      let rows = merged.get(key);
      if (!rows) merged.set(key, (rows = []));
      rows.push(...t.rows);
    }
  }
  return [...merged].map(([key, rows]) => ({ table: key.slice(0, key.indexOf('\u0000')), rows }));
}

/**
 * Group commit on PostgreSQL: the inserts queued while the previous group was under way (or, when
 * none was, those of one turn of the event loop) go as one statement: one round trip, one commit
 * flush. Should it fail, each is retried alone so a failure stays its own.
 */
export function postgresRowWriter(db: Knex): RowWriter {
  const pool = poolOf(db);
  let queue: PendingInsert[] = [];
  let scheduled = false;

  async function native(text: string, values: readonly unknown[]): Promise<Row[]> {
    const connection = (await pool.acquireConnection()) as PgConnection;
    try {
      return (await connection.query({ text, values: [...values] })).rows;
    } finally {
      await pool.releaseConnection(connection);
    }
  }

  async function run(tables: readonly TableRows[]): Promise<void> {
    const statement = postgresInsert(tables);
    if (statement) await native(statement.text, statement.values);
  }

  let inFlight = 0;
  /** Starts groups while fewer than GROUPS_IN_FLIGHT are out; the rest wait in the queue. */
  function next(): void {
    while (queue.length > 0 && inFlight < GROUPS_IN_FLIGHT) {
      const pending = queue.slice(0, GROUP_MAX);
      queue = queue.slice(pending.length);
      inFlight += 1;
      void flush(pending).finally(() => {
        inFlight -= 1;
        next();
      });
    }
  }

  async function flush(pending: readonly PendingInsert[]): Promise<void> {
    try {
      await run(pending.length === 1 ? (pending[0] as PendingInsert).tables : mergeInserts(pending));
      for (const p of pending) p.resolve();
      return;
    } catch (err) {
      if (pending.length === 1) {
        (pending[0] as PendingInsert).reject(err);
        return;
      }
    }
    await Promise.all(
      pending.map((p) =>
        run(p.tables).then(
          () => p.resolve(),
          (err: unknown) => p.reject(err),
        ),
      ),
    );
  }

  return {
    native,
    insert(tables) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ tables, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          next();
        });
      });
    },
    async selectOne(sql, bindings) {
      const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Row[] };
      return result.rows[0];
    },
    async selectAll(sql, bindings) {
      const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Row[] };
      return result.rows;
    },
    async run(sql, bindings) {
      const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rowCount: number | null };
      return result.rowCount ?? 0;
    },
  };
}
