/**
 * Profile loading: file → JSON → environment and CLI overrides → one precompiled ajv validator
 * (defaults filled) → paths resolved. Every error names the file and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { KryptonError } from '../errors.js';
import { profileSchema } from './schema.js';
import type { PluginReference, ProfileConfig } from './schema.js';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
  return dir;
}

/** The folder holding the shipped profiles (core.json, gateway.json, standalone.json). */
export const profilesDir = join(findRepoRoot(dirname(fileURLToPath(import.meta.url))), 'profiles');

// Compiled once per process (STYLE: options validated once at boot with precompiled validators).
const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true, allowUnionTypes: true });
const validateProfile = ajv.compile(profileSchema);

interface LeafSchema {
  type?: string;
  enum?: readonly unknown[];
  items?: { type?: string };
  anyOf?: readonly unknown[];
}

/** Scalar settings reachable from the environment and `--set`, e.g. `listeners.ttlv.port`. */
export const OVERRIDABLE_SETTINGS: ReadonlyMap<string, LeafSchema> = (() => {
  const out = new Map<string, LeafSchema>();
  const walk = (schema: Record<string, unknown>, path: string[]): void => {
    const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props) return;
    for (const [key, sub] of Object.entries(props)) {
      if (key === '$schema') continue;
      if (sub.properties) walk(sub, [...path, key]);
      else if (sub.type !== 'object' && key !== 'plugins')
        out.set([...path, key].join('.'), sub as LeafSchema);
    }
  };
  walk(profileSchema as unknown as Record<string, unknown>, []);
  return out;
})();

/** `listeners.ttlv.port` → `KRYPTON_LISTENERS_TTLV_PORT`. */
export function envNameOf(path: string): string {
  return (
    'KRYPTON_' +
    path
      .split('.')
      .map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('_')
  );
}

export interface Override {
  /** Dotted setting path, e.g. `listeners.https.port`. */
  path: string;
  value: string;
  /** Where it came from, for error messages: `KRYPTON_…` or `--set`. */
  origin: string;
}

export interface LoadProfileOptions {
  /** Environment to read `KRYPTON_*` overrides from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** CLI overrides, applied after the environment. */
  overrides?: Override[];
  /** Base for a relative stateDir (defaults to process.cwd()). */
  cwd?: string;
}

/** Resolve `standalone` to profiles/standalone.json; anything with a slash or `.json` is a path. */
export function resolveProfilePath(ref: string, cwd = process.cwd()): string {
  if (ref.includes('/') || ref.includes('\\') || ref.endsWith('.json')) return resolve(cwd, ref);
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(ref)) {
    throw new KryptonError('KRY_CFG_NOT_FOUND', `'${ref}' is neither a profile name nor a path`);
  }
  return join(profilesDir, `${ref}.json`);
}

function coerce(raw: string, leaf: LeafSchema, origin: string, file: string): unknown {
  const isArray = leaf.type === 'array';
  const scalarType = isArray ? leaf.items?.type : leaf.type;
  const one = (text: string): unknown => {
    if (scalarType === 'integer') {
      if (!/^-?\d+$/.test(text.trim())) {
        throw new KryptonError('KRY_CFG_INVALID', `${file}: ${origin} must be an integer`, { field: origin });
      }
      return Number(text);
    }
    if (scalarType === 'boolean' || (leaf.anyOf && (text === 'true' || text === 'false'))) {
      if (text !== 'true' && text !== 'false') {
        throw new KryptonError('KRY_CFG_INVALID', `${file}: ${origin} must be true or false`, {
          field: origin,
        });
      }
      return text === 'true';
    }
    return text;
  };
  if (isArray) {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map(one);
  }
  return one(raw);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) node[part] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function describe(err: ErrorObject): string {
  let field = err.instancePath || '/';
  if (err.keyword === 'additionalProperties') {
    field = `${err.instancePath}/${String((err.params as { additionalProperty: string }).additionalProperty)}`;
    return `${field} is not a known setting`;
  }
  if (err.keyword === 'required') {
    field = `${err.instancePath}/${String((err.params as { missingProperty: string }).missingProperty)}`;
    return `${field} is required`;
  }
  if (err.keyword === 'enum') {
    return `${field} must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
  }
  return `${field} ${err.message ?? 'is invalid'}`;
}

/**
 * Validate a profile object already parsed (tests, embedding). `file` names the source in
 * errors; relative paths resolve against `cwd` (stateDir) and the file's folder (plugins).
 */
export function validateProfileObject(
  raw: unknown,
  file: string,
  opts: LoadProfileOptions = {},
): ProfileConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new KryptonError('KRY_CFG_INVALID', `${file}: the profile must be a JSON object`, { field: '/' });
  }
  const doc = structuredClone(raw) as Record<string, unknown>;
  const env = opts.env ?? process.env;
  const overrides: Override[] = [];
  for (const path of OVERRIDABLE_SETTINGS.keys()) {
    const name = envNameOf(path);
    const value = env[name];
    if (value !== undefined && value !== '') overrides.push({ path, value, origin: name });
  }
  overrides.push(...(opts.overrides ?? []));
  for (const o of overrides) {
    const leaf = OVERRIDABLE_SETTINGS.get(o.path);
    if (!leaf) {
      throw new KryptonError('KRY_CFG_INVALID', `${file}: ${o.origin} names an unknown setting '${o.path}'`, {
        field: o.path,
      });
    }
    setPath(doc, o.path, coerce(o.value, leaf, `${o.origin} (${o.path})`, file));
  }
  if (!validateProfile(doc)) {
    const errors = validateProfile.errors ?? [];
    // anyOf reports every branch; the most specific message is the deepest one.
    const first = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    const text = errors.map(describe).join('; ');
    throw new KryptonError('KRY_CFG_INVALID', `${file}: ${text}`, { field: first?.instancePath || '/' });
  }
  const cfg = doc as unknown as ProfileConfig;
  const cwd = opts.cwd ?? process.cwd();
  const profileDir = dirname(file);
  cfg.stateDir = resolve(cwd, cfg.stateDir);
  for (const key of ['cert', 'key', 'ca'] as const) cfg.tls[key] = resolve(cfg.stateDir, cfg.tls[key]);
  cfg.plugins = (cfg.plugins as (string | PluginReference)[]).map((p) => {
    const ref: PluginReference = typeof p === 'string' ? { module: p, options: {} } : p;
    const isPath = ref.module.startsWith('.') || isAbsolute(ref.module);
    return { module: isPath ? resolve(profileDir, ref.module) : ref.module, options: ref.options ?? {} };
  });
  cfg.source = file;
  return cfg;
}

/** Load `standalone`, `core`, `gateway` or a path to a profile file. */
export function loadProfile(ref: string, opts: LoadProfileOptions = {}): ProfileConfig {
  const file = resolveProfilePath(ref, opts.cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new KryptonError('KRY_CFG_NOT_FOUND', file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new KryptonError('KRY_CFG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  return validateProfileObject(raw, file, opts);
}
