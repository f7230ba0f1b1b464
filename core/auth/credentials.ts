/**
 * KMIP Credential verification (KMIP 2.1 §2.1.2: Credential Type Username and Password).
 * A verifier is pluggable: `static` (scrypt hashes in the profile), or a module exporting
 * `createCredentialVerifier(auth)`. Misconfiguration stops start-up; it never falls back to open.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { AuthConfig, TlsConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import type { Identity } from './identity.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export interface UsernamePasswordCredential {
  readonly type: 'UsernameAndPassword';
  readonly username: string;
  readonly password: string;
}

export interface CredentialVerifier {
  /** The identity the credential proves, or undefined when it is not accepted. */
  verify(credential: UsernamePasswordCredential, peer: Identity | undefined): Promise<Identity | undefined>;
}

/** `scrypt:<salt>:<hash>` for the profile's `auth.credentials.users`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt:${salt.toString('hex')}:${hash.toString('hex')}`;
}

// A fixed dummy hash so an unknown username costs the same time as a wrong password.
const DUMMY = { salt: Buffer.alloc(16), hash: Buffer.alloc(32) };

export function createStaticVerifier(auth: AuthConfig): CredentialVerifier {
  const users = new Map(
    Object.entries(auth.credentials.users).map(([name, u]) => {
      const [, salt, hash] = u.password.split(':') as [string, string, string];
      return [name, { ...u, salt: Buffer.from(salt, 'hex'), hash: Buffer.from(hash, 'hex') }] as const;
    }),
  );
  return {
    async verify(credential) {
      const user = users.get(credential.username);
      const ref = user ?? DUMMY;
      const got = await scrypt(credential.password, ref.salt, ref.hash.length);
      if (!user || !timingSafeEqual(got, user.hash)) return undefined;
      return Object.freeze({
        principal: credential.username,
        source: 'credential' as const,
        tenant: user.tenant ?? auth.defaultTenant,
        permissions: new Set(user.permissions ?? auth.defaultPermissions),
        gateway: false,
      });
    },
  };
}

/**
 * Check the auth section against the TLS section and build the verifier. Throws
 * KRY_AUTH_MISCONFIGURED for any setup that would admit a request without an identity.
 */
export async function createCredentialVerifier(
  auth: AuthConfig,
  tls: TlsConfig,
  baseDir: string,
): Promise<CredentialVerifier | undefined> {
  const { verifier, required, users } = auth.credentials;
  if (verifier === 'none') {
    if (required)
      throw new KryptonError('KRY_AUTH_MISCONFIGURED', 'credentials are required but no verifier is set');
    if (!tls.requireClientCert) {
      throw new KryptonError(
        'KRY_AUTH_MISCONFIGURED',
        'client certificates are optional and no credential verifier is set: nobody could be identified',
      );
    }
    return undefined;
  }
  if (verifier === 'static') {
    if (Object.keys(users).length === 0) {
      throw new KryptonError('KRY_AUTH_MISCONFIGURED', 'the static credential verifier has no users');
    }
    return createStaticVerifier(auth);
  }
  const spec =
    verifier.startsWith('.') || isAbsolute(verifier)
      ? pathToFileURL(resolve(baseDir, verifier)).href
      : verifier;
  let mod: { createCredentialVerifier?: (a: AuthConfig) => CredentialVerifier | Promise<CredentialVerifier> };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch {
    throw new KryptonError('KRY_AUTH_MISCONFIGURED', `credential verifier '${verifier}' cannot be loaded`);
  }
  if (typeof mod.createCredentialVerifier !== 'function') {
    throw new KryptonError(
      'KRY_AUTH_MISCONFIGURED',
      `'${verifier}' does not export createCredentialVerifier`,
    );
  }
  return mod.createCredentialVerifier(auth);
}
