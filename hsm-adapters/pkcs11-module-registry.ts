/**
 * One initialised PKCS#11 library per module path per process.
 *
 * A PKCS#11 library is initialised once per process (PKCS#11 v2.40 §5.4: a second C_Initialize
 * answers CKR_CRYPTOKI_ALREADY_INITIALIZED, and several libraries cannot be re-initialised after
 * C_Finalize). Every adapter instance using the same module shares the entry here; the library
 * is finalised only by `finalizePkcs11Modules()` at process shutdown. Configuration the library
 * reads at C_Initialize (SOFTHSM2_CONF, YUBIHSM_PKCS11_CONF) must be in place before the first
 * `acquirePkcs11Module` for that path.
 */
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { KryptonError } from '../core/errors.js';
import type * as Pkcs11Namespace from 'pkcs11js';

export type Pkcs11Js = typeof Pkcs11Namespace;
export type Pkcs11Library = InstanceType<Pkcs11Js['PKCS11']>;

let binding: Pkcs11Js | undefined;

/** Loads pkcs11js (a native addon) only when a PKCS#11 adapter is chosen. */
export function pkcs11js(): Pkcs11Js {
  if (binding === undefined) {
    const require = createRequire(import.meta.url);
    try {
      binding = require('pkcs11js') as Pkcs11Js;
    } catch {
      throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the pkcs11js native module cannot be loaded');
    }
  }
  return binding;
}

export interface Pkcs11Module {
  readonly path: string;
  readonly library: Pkcs11Library;
  /** Adapter instances currently using the module (for diagnostics; finalisation ignores it). */
  users: number;
}

const modules = new Map<string, Pkcs11Module>();

function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    throw new KryptonError('KRY_HSM_CONFIG', 'the PKCS#11 module file does not exist');
  }
}

/** Returns the process-wide initialised library for this module path, loading it on first use. */
export function acquirePkcs11Module(path: string): Pkcs11Module {
  const key = canonicalPath(path);
  const known = modules.get(key);
  if (known !== undefined) {
    known.users += 1;
    return known;
  }
  const p11 = pkcs11js();
  const library = new p11.PKCS11();
  try {
    library.load(key);
  } catch {
    throw new KryptonError('KRY_HSM_UNAVAILABLE', 'the PKCS#11 module cannot be loaded');
  }
  try {
    // OS locking: asynchronous calls run on libuv worker threads, several at once.
    library.C_Initialize({ flags: p11.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (!(err instanceof Error && err.message === 'CKR_CRYPTOKI_ALREADY_INITIALIZED')) {
      throw new KryptonError(
        'KRY_HSM_UNAVAILABLE',
        `C_Initialize failed (${err instanceof Error ? err.message : 'unknown'})`,
      );
    }
  }
  const entry: Pkcs11Module = { path: key, library, users: 1 };
  modules.set(key, entry);
  return entry;
}

export function releasePkcs11Module(module: Pkcs11Module): void {
  module.users = Math.max(0, module.users - 1);
}

/** Whether the module at this path is already initialised in this process. */
export function isPkcs11ModuleLoaded(path: string): boolean {
  try {
    return modules.has(realpathSync(path));
  } catch {
    return false;
  }
}

/** Finalises every library: call once, at process shutdown, after every adapter is closed. */
export function finalizePkcs11Modules(): void {
  for (const [key, entry] of modules) {
    try {
      entry.library.C_Finalize();
      entry.library.close();
    } catch {
      // Shutting down: nothing useful to do with a failure here.
    }
    modules.delete(key);
  }
}
