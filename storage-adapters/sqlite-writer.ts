/**
 * The insert thread of SQLite database files: one worker thread per process, with a connection
 * of its own to each open file, that runs the group commits of creates, so their cost (the
 * statements and the COMMIT that writes every touched index page to the WAL: about a third of
 * a create) leaves the event loop. The event loop sends each group as flat arrays of values (a prepared statement's id
 * and its bindings, row after row) and answers the callers after the worker's COMMIT: a
 * create is acknowledged only once it is in the WAL, as before.
 *
 * Only one connection may write at a time. The store's own connection (knex's pool of one,
 * see sqlite.ts) is held by the group's sender until the worker answers, so no statement of
 * the event loop's connection — read, write or transaction — runs while a group commits: the
 * event loop never waits on a SQLite lock, and the worker never finds one held by it.
 *
 * A worker that fails or exits rejects the groups it held (each was committed whole or not at
 * all) and is not used again: later inserts run on the event loops' connections. One thread
 * serves every file of the process (a standalone server has its store and its vault): a second
 * would cost its own V8 heap, and the files' groups take turns on one core anyway.
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
/** By handle: a file closed and opened again gets a new handle and a connection of its own. */
const files = new Map();
function openFile(filename) {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
  const shapes = new Map();
  const runInsert = (flat) => {
    for (let i = 0; i < flat.length; ) {
      const shape = shapes.get(flat[i]);
      shape.statement.run(flat.slice(i + 1, i + 1 + shape.width));
      i += 1 + shape.width;
    }
  };
  const one = db.transaction(runInsert);
  const group = db.transaction((inserts) => { for (const flat of inserts) runInsert(flat); });
  return { db, shapes, one, group };
}
const failure = (err) => ({ message: String(err && err.message), code: typeof (err && err.code) === 'string' ? err.code : undefined });
parentPort.on('message', (m) => {
  if (m.close !== undefined) {
    const f = files.get(m.close);
    files.delete(m.close);
    try { if (f) f.db.close(); } catch {}
    parentPort.postMessage({ id: m.id, failures: [] });
    return;
  }
  let failures;
  try {
    let f = files.get(m.handle);
    if (!f) files.set(m.handle, (f = openFile(m.file)));
    for (const [id, sql, width] of m.shapes) f.shapes.set(id, { statement: f.db.prepare(sql), width });
    try {
      f.group(m.inserts);
      failures = m.inserts.map(() => null);
    } catch (err) {
      // Rolled back whole: now one by one, so only the failing ones fail.
      failures = m.inserts.length === 1 ? [failure(err)] : m.inserts.map((flat) => {
        try { f.one(flat); return null; } catch (e) { return failure(e); }
      });
    }
  } catch (err) {
    failures = m.inserts.map(() => failure(err));
  }
  parentPort.postMessage({ id: m.id, failures });
});
`;

type Waiting = { resolve: (r: Reply) => void; reject: (err: Error) => void };

/** The process's worker, shared by the files' handles; it ends with the last file. */
class InsertWorker {
  readonly worker: Worker;
  readonly waiting = new Map<number, Waiting>();
  /** Handles of the files open in the worker. */
  readonly files = new Set<number>();
  failed: Error | undefined;
  #next = 0;

  constructor(autocheckpoint: number) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, autocheckpoint },
      // Groups are bounded (see row-writers.ts); the rows pass through, nothing accumulates.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 },
    });
    // Kept alive only while a group is out (a server's sockets keep the process alive anyway).
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      waiting.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.once('exit', () => this.fail(new Error('the SQLite insert thread exited')));
  }

  ask(message: Record<string, unknown>): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.#next++;
    return new Promise<Reply>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  fail(err: Error): void {
    this.failed ??= err;
    if (shared === this) shared = undefined;
    for (const waiting of this.waiting.values()) waiting.reject(this.failed);
    this.waiting.clear();
  }
}

let shared: InsertWorker | undefined;
let nextHandle = 0;

/** One file's use of the process's insert thread. */
export class SqliteInsertThread {
  readonly #file: string;
  readonly #handle = nextHandle++;
  readonly #autocheckpoint: number;
  readonly #known = new Set<number>();
  /** Started with the file's first group: an idle server keeps no thread. */
  #worker: InsertWorker | undefined;
  #closing: Promise<void> | undefined;

  constructor(filename: string, autocheckpoint: number) {
    this.#file = filename;
    this.#autocheckpoint = autocheckpoint;
  }

  /** False once the worker failed or this file closed: the caller writes on its own connection. */
  get usable(): boolean {
    return this.#worker?.failed === undefined && this.#closing === undefined;
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
    if (!this.#worker) {
      shared ??= new InsertWorker(this.#autocheckpoint);
      this.#worker = shared;
      this.#worker.files.add(this.#handle);
    }
    const reply = this.#worker.ask({ handle: this.#handle, file: this.#file, shapes, inserts });
    for (const [shapeId] of shapes) this.#known.add(shapeId);
    const { failures } = await reply;
    return failures.map((f) =>
      f === null ? undefined : Object.assign(new Error(f.message), { code: f.code }),
    );
  }

  /** Closes this file's connection after the groups already sent; the last file ends the worker. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const worker = this.#worker;
      if (!worker) return;
      worker.files.delete(this.#handle);
      if (worker.failed) return;
      await worker.ask({ close: this.#handle }).catch(() => undefined);
      if (worker.files.size === 0) {
        if (shared === worker) shared = undefined;
        await worker.worker.terminate();
      }
    })();
    return this.#closing;
  }

  /** Stops the thread at once, as a crash would (tests): its groups are refused, later ones go elsewhere. */
  async terminate(): Promise<void> {
    await this.#worker?.worker.terminate();
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
