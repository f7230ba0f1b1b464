/**
 * A bounded pool of logged-in PKCS#11 sessions on one token.
 *
 * A PKCS#11 session runs one operation at a time (C_EncryptInit then C_Encrypt must not
 * interleave with another caller), so each caller borrows a session exclusively. Login state is
 * per application and token (PKCS#11 v2.40 §5.6), so the first session logs in for all.
 */
import { KryptonError } from '../core/errors.js';
import type { Pkcs11Js, Pkcs11Library } from './pkcs11-module-registry.js';

type Handle = Buffer;

export interface Pkcs11SessionPoolOptions {
  readonly library: Pkcs11Library;
  readonly p11: Pkcs11Js;
  readonly slot: Handle;
  readonly pin: string;
  readonly size: number;
  /** Longest wait for a free session before failing with KRY_HSM_UNAVAILABLE. */
  readonly acquireTimeoutMs: number;
}

interface Waiter {
  resolve(session: Handle): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Pkcs11SessionPool {
  readonly #opts: Pkcs11SessionPoolOptions;
  readonly #idle: Handle[] = [];
  readonly #waiters: Waiter[] = [];
  #open = 0;
  #loggedIn = false;
  #closed = false;

  constructor(opts: Pkcs11SessionPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) {
      throw new KryptonError('KRY_HSM_CONFIG', 'session pool size must be a positive integer');
    }
    this.#opts = opts;
  }

  get size(): number {
    return this.#opts.size;
  }

  /** Sessions opened so far (idle or borrowed). */
  get openSessions(): number {
    return this.#open;
  }

  /** Runs `fn` with a session borrowed exclusively; a session that failed at the token level is replaced. */
  async use<T>(fn: (session: Handle) => Promise<T> | T): Promise<T> {
    const session = await this.#acquire();
    let broken = false;
    try {
      return await fn(session);
    } catch (err) {
      // After a failure the session may hold an active operation (C_EncryptInit without its
      // C_Encrypt) or be dead: replace it rather than hand it to the next caller.
      broken = true;
      throw err;
    } finally {
      this.#release(session, broken);
    }
  }

  /** Closes idle sessions now and the borrowed ones as they come back; logs out with the last one. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new KryptonError('KRY_HSM_UNAVAILABLE', 'the HSM adapter is closed'));
    }
    for (const session of this.#idle.splice(0)) this.#closeSession(session);
  }

  async #acquire(): Promise<Handle> {
    if (this.#closed) throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the HSM adapter is closed');
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#open < this.#opts.size) {
      this.#open += 1;
      try {
        return this.#openSession();
      } catch (err) {
        this.#open -= 1;
        throw err;
      }
    }
    return new Promise<Handle>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new KryptonError('KRY_HSM_UNAVAILABLE', 'no HSM session became free in time'));
        }, this.#opts.acquireTimeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  #release(session: Handle, broken: boolean): void {
    if (this.#closed) {
      this.#closeSession(session);
      return;
    }
    let next: Handle | undefined = session;
    if (broken) {
      // Open the replacement before closing the broken session: closing an application's last
      // session logs it out, and token object handles may not survive a new login.
      next = undefined;
      this.#open += 1;
      try {
        next = this.#openSession();
      } catch {
        this.#open -= 1;
      }
      this.#closeSession(session);
    }
    if (next === undefined) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        clearTimeout(waiter.timer);
        waiter.reject(new KryptonError('KRY_HSM_UNAVAILABLE', 'no HSM session could be opened'));
      }
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve(next);
      return;
    }
    this.#idle.push(next);
  }

  #openSession(): Handle {
    const { library, p11, slot, pin } = this.#opts;
    const session = library.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
    if (!this.#loggedIn) {
      try {
        library.C_Login(session, p11.CKU_USER, pin);
      } catch (err) {
        const code = err instanceof Error ? err.message : '';
        if (code !== 'CKR_USER_ALREADY_LOGGED_IN') {
          try {
            library.C_CloseSession(session);
          } catch {
            // The login failure is what matters.
          }
          // The PIN is never part of the message.
          throw new KryptonError('KRY_HSM_REFUSED', `login to the token failed (${code || 'unknown'})`);
        }
      }
      this.#loggedIn = true;
    }
    return session;
  }

  #closeSession(session: Handle): void {
    this.#open -= 1;
    try {
      this.#opts.library.C_CloseSession(session);
    } catch {
      // Closing a dead session is best effort.
    }
    // Closing an application's last session logs it out (PKCS#11 v2.40 §5.6).
    if (this.#open === 0) this.#loggedIn = false;
  }
}
