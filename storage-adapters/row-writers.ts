/**
 * The insert and the single-object read of the hot path, without knex's per-query cost (query
 * building, compiling, a fresh prepared statement for every statement):
 *
 * - SQLite: the rows go in as one synchronous better-sqlite3 transaction, with statements
 *   prepared once per connection, on the connection knex holds. It is taken from knex's pool
 *   like any knex query, so it never runs inside another caller's open transaction (the store
 *   shares one connection per file: see sqlite.ts).
 * - PostgreSQL: every table's rows in one statement (data-modifying CTEs), so a create is one
 *   round trip and one commit instead of BEGIN, an INSERT per table and COMMIT. The foreign
 *   keys hold: a CTE's inserts are checked at the end of the statement, like one transaction.
 */
import type { Knex } from 'knex';

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
}

interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
}

interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
  readonly inTransaction: boolean;
}

interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

function poolOf(db: Knex): PooledClient {
  return (db as unknown as { client: PooledClient }).client;
}

/** Prepared statements of one connection, by SQL text (a handful: one per table and read). */
const statements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

function prepared(connection: SqliteConnection, sql: string): SqliteStatement {
  let cache = statements.get(connection);
  if (!cache) {
    cache = new Map();
    statements.set(connection, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
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

export function sqliteRowWriter(db: Knex): RowWriter {
  const pool = poolOf(db);
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
      return withConnection((connection) => {
        const plan = tables
          .filter((t) => t.rows.length > 0)
          .map((t) => {
            const columns = columnsOf(t.rows);
            // One row per statement: prepared once, cheaper than varying multi-row texts.
            return { statement: prepared(connection, insertSql(t.table, columns, 1)), columns, rows: t.rows };
          });
        connection.transaction(() => {
          for (const { statement, columns, rows } of plan) {
            for (const row of rows) statement.run(columns.map((c) => sqliteValue(row[c])));
          }
        })();
      });
    },
    selectOne(sql, bindings) {
      return withConnection(
        (connection) => prepared(connection, sql).get(bindings.map(sqliteValue)) as Row | undefined,
      );
    },
  };
}

export function postgresRowWriter(db: Knex): RowWriter {
  return {
    async insert(tables) {
      const parts: string[] = [];
      const bindings: unknown[] = [];
      tables.forEach((t, i) => {
        if (t.rows.length === 0) return;
        const columns = columnsOf(t.rows);
        parts.push(`w${i} as (${insertSql(t.table, columns, t.rows.length)})`);
        for (const row of t.rows) for (const c of columns) bindings.push(row[c] ?? null);
      });
      if (parts.length === 0) return;
      await db.raw(`with ${parts.join(', ')} select 1`, bindings as Knex.RawBinding[]);
    },
    async selectOne(sql, bindings) {
      const result = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Row[] };
      return result.rows[0];
    },
  };
}
