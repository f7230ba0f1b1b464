/**
 * The insert thread of a SQLite database file: a worker thread with a connection of its own
 * that runs the group commits of creates, so their cost (the statements and the COMMIT that
 * writes every touched index page to the WAL: about a third of a create) leaves the event
 * loop. The event loop sends each group as flat arrays of values (a prepared statement's id
 * and its bindings, row after row) and answers the callers after the worker's COMMIT: a
 * create is acknowledged only once it is in the WAL, as before.
 *
 * Only one connection may write at a time. The store's own connection (knex's pool of one,
 * see sqlite.ts) is held by the group's sender until the worker answers, so no statement of
 * the event loop's connection — read, write or transaction — runs while a group commits: the
 * event loop never waits on a SQLite lock, and the worker never finds one held by it.
 *
 * A worker that fails or exits rejects the groups it held (each was committed whole or not at
 * all) and is not used again: later inserts run on the event loop's connection.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';

/** A prepared INSERT the worker does not know yet: its id, SQL text and number of bindings. */
export type InsertShapeMessage = readonly [id: number, sql: string, width: number];

/** A failed insert: the driver's message and code (e.g. SQLITE_CONSTRAINT_PRIMARYKEY). */
interface Failure {
  readonly message: string;
  readonly code?: string;
}

interface Reply {
  readonly id: number;
  /** Per insert, in order: null when stored. */
  readonly failures: readonly (Failure | null)[];
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const shapes = new Map();
function runInsert(flat) {
  for (let i = 0; i < flat.length; ) {
    const shape = shapes.get(flat[i]);
    shape.statement.run(flat.slice(i + 1, i + 1 + shape.width));
    i += 1 + shape.width;
  }
}
const one = db.transaction(runInsert);
const group = db.transaction((inserts) => { for (const flat of inserts) runInsert(flat); });
const failure = (err) => ({ message: String(err && err.message), code: typeof (err && err.code) === 'string' ? err.code : undefined });
parentPort.on('message', (m) => {
  if (m.close) {
    try { db.close(); } catch {}
    parentPort.close();
    return;
  }
  let failures;
  try {
    for (const [id, sql, width] of m.shapes) shapes.set(id, { statement: db.prepare(sql), width });
    group(m.inserts);
    failures = m.inserts.map(() => null);
  } catch (err) {
    // Rolled back whole: now one by one, so only the failing ones fail.
    failures = m.inserts.length === 1 ? [failure(err)] : m.inserts.map((flat) => {
      try { one(flat); return null; } catch (e) { return failure(e); }
    });
  }
  parentPort.postMessage({ id: m.id, failures });
});
`;

export class SqliteInsertThread {
  readonly #worker: Worker;
  readonly #known = new Set<number>();
  readonly #waiting = new Map<number, { resolve: (r: Reply) => void; reject: (err: Error) => void }>();
  #next = 0;
  #failed: Error | undefined;
  #closing: Promise<void> | undefined;

  constructor(filename: string, autocheckpoint: number) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, filename, autocheckpoint },
    });
    // Kept alive only while a group is out (a server's sockets keep the process alive anyway).
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      waiting.resolve(reply);
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.once('exit', () => this.#fail(new Error('the SQLite insert thread exited')));
  }

  /** False once the worker failed or closed: the caller writes on its own connection. */
  get usable(): boolean {
    return this.#failed === undefined && this.#closing === undefined;
  }

  knows(shapeId: number): boolean {
    return this.#known.has(shapeId);
  }

  /**
   * Commits `inserts` (each a flat run of statement id and bindings) as one transaction, or
   * one by one when the group fails; per insert, undefined when stored or its error.
   */
  async run(
    shapes: readonly InsertShapeMessage[],
    inserts: readonly (readonly unknown[])[],
  ): Promise<(Error | undefined)[]> {
    if (this.#failed) throw this.#failed;
    const id = this.#next++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, shapes, inserts });
      for (const [shapeId] of shapes) this.#known.add(shapeId);
    });
    return reply.failures.map((f) =>
      f === null ? undefined : Object.assign(new Error(f.message), { code: f.code }),
    );
  }

  /** Ends the worker after the groups already sent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((done) => {
      if (this.#failed) {
        done();
        return;
      }
      this.#worker.once('exit', () => done());
      this.#worker.ref();
      this.#worker.postMessage({ close: true });
    });
    return this.#closing;
  }

  /** Stops the thread at once, as a crash would (tests): its groups are refused, later ones go elsewhere. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const waiting of this.#waiting.values()) waiting.reject(this.#failed);
    this.#waiting.clear();
  }
}

/** The insert thread of each shared file connection (see sqlite.ts), by its knex instance. */
const threads = new WeakMap<Knex, SqliteInsertThread>();

export function attachInsertThread(db: Knex, thread: SqliteInsertThread): void {
  threads.set(db, thread);
}

export function insertThreadOf(db: Knex): SqliteInsertThread | undefined {
  const thread = threads.get(db);
  return thread?.usable ? thread : undefined;
}
