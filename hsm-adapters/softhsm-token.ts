/**
 * Provisions a throw-away SoftHSM2 token in its own folder, for tests, benchmarks and
 * `krypton dev`. SoftHSM2 reads SOFTHSM2_CONF once, at C_Initialize: call this before the first
 * Pkcs11Hsm of the process opens (one token folder per process).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KryptonError } from '../core/errors.js';
import { isPkcs11ModuleLoaded } from './pkcs11-module-registry.js';

const run = promisify(execFile);

/** Debian's softhsm2 package puts the module here. */
export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly userPin: string;
  readonly dir: string;
  /** Removes the token folder. */
  remove(): Promise<void>;
}

/** Whether SoftHSM2 (module and softhsm2-util) is installed on this machine. */
export async function softHsmAvailable(modulePath = SOFTHSM2_MODULE): Promise<boolean> {
  if (!existsSync(modulePath)) return false;
  try {
    await run('softhsm2-util', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export async function provisionSoftHsmToken(opts: {
  tokenLabel: string;
  userPin: string;
  soPin: string;
  modulePath?: string;
}): Promise<SoftHsmToken> {
  const modulePath = opts.modulePath ?? SOFTHSM2_MODULE;
  if (isPkcs11ModuleLoaded(modulePath)) {
    throw new KryptonError('KRY_HSM_CONFIG', 'SoftHSM2 is already initialised in this process');
  }
  const dir = await mkdtemp(join(tmpdir(), 'krypton-softhsm-'));
  const tokens = join(dir, 'tokens');
  const conf = join(dir, 'softhsm2.conf');
  await mkdir(tokens, { mode: 0o700 });
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`, {
    mode: 0o600,
  });
  process.env.SOFTHSM2_CONF = conf;
  // Test tokens only: the PINs are on softhsm2-util's command line.
  await run('softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    opts.tokenLabel,
    '--so-pin',
    opts.soPin,
    '--pin',
    opts.userPin,
  ]);
  return {
    modulePath,
    tokenLabel: opts.tokenLabel,
    userPin: opts.userPin,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
