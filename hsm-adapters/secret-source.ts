/**
 * Where a PIN or passphrase comes from: an environment variable or a file, never the profile
 * itself, so secrets stay out of configuration files, logs and process listings.
 */
import { readFile } from 'node:fs/promises';
import { KryptonError } from '../core/errors.js';

export type SecretSource =
  | { readonly env: string }
  | { readonly file: string }
  /** For tests and `krypton dev` only: the secret in process memory. */
  | { readonly value: string };

/** Reads the secret; the error names the variable or says "file", never the value or the path. */
export async function readSecret(source: SecretSource, what: string): Promise<string> {
  if ('value' in source) {
    if (source.value.length === 0) throw new KryptonError('KRY_HSM_CONFIG', `${what} is empty`);
    return source.value;
  }
  if ('env' in source) {
    const value = process.env[source.env];
    if (value === undefined || value.length === 0) {
      throw new KryptonError('KRY_HSM_CONFIG', `${what}: environment variable ${source.env} is not set`);
    }
    return value;
  }
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch {
    throw new KryptonError('KRY_HSM_CONFIG', `${what}: the secret file cannot be read`);
  }
  // A trailing newline from `echo secret > file` is not part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw new KryptonError('KRY_HSM_CONFIG', `${what}: the secret file is empty`);
  return value;
}

/** A description safe to log: which kind of source, never the secret. */
export function describeSecretSource(source: SecretSource): string {
  if ('env' in source) return `env:${source.env}`;
  if ('file' in source) return 'file';
  return 'inline';
}
