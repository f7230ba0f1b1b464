/**
 * The gateway's settings: the profile's `upstream` section (the schema leaves it to its owner),
 * validated once at boot with a precompiled ajv validator, defaults filled, errors naming the
 * field. Paths resolve against the profile's stateDir.
 */
import { isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { ProfileConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';

export type L3Residency = 'cached' | 'core-only';

export interface GatewaySettings {
  /** `host:port` of the core's TTLV/TLS listener; absent in standalone (in-process core). */
  readonly core: { readonly host: string; readonly port: number } | undefined;
  /** The gateway's client certificate at the core (a `gateway: true` principal there). */
  readonly tls: {
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
    readonly servername?: string;
  };
  /** Persistent mutual-TLS connections to the core. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Deadline of one forwarded request: past it the client gets a failure, never a hang. */
  readonly requestTimeoutMs: number;
  /** Pause between reconnection attempts while the core is down (doubles up to 10×). */
  readonly reconnectDelayMs: number;
  /** Health probe of an idle pool (keeps connections past the core's idle timeout). */
  readonly keepAliveMs: number;
  readonly l3Residency: L3Residency;
  readonly l3Cache: {
    /** Hard lifetime of a cached L3: refetched (and re-authorised) after it. */
    readonly ttlMs: number;
    readonly maxEntries: number;
    /** How often cached L3s are checked at the core (State, Links, dates): the invalidation bound. */
    readonly pollIntervalMs: number;
  };
  /** Name of the tenant's default service key (an L3 at the core), created there when missing. */
  readonly serviceKeyName: string;
  /** The vault: the gateway's own Store of wrapped L4 keys. */
  readonly vault: {
    readonly adapter: 'sqlite' | 'postgres';
    readonly file: string;
    readonly url?: string;
    readonly schema?: string;
    readonly maxLocateItems: number;
  };
  /** RSA transport key pair (PKCS#8 PEM, 0600) whose public half is registered at the core. */
  readonly transportKeyFile: string;
  readonly transportKeyBits: number;
}

const positive = { type: 'integer', minimum: 1 } as const;

export const upstreamSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    core: { type: 'string', pattern: '^[^\\s:]+:\\d{1,5}$' },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        cert: { type: 'string', minLength: 1, default: 'pki/gateway.pem' },
        key: { type: 'string', minLength: 1, default: 'pki/gateway-key.pem' },
        ca: { type: 'string', minLength: 1, default: 'pki/ca.pem' },
        servername: { type: 'string', minLength: 1 },
      },
    },
    connections: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
    connectTimeoutMs: { ...positive, default: 2000 },
    requestTimeoutMs: { ...positive, default: 5000 },
    reconnectDelayMs: { ...positive, default: 200 },
    keepAliveMs: { ...positive, default: 30000 },
    l3Residency: { enum: ['cached', 'core-only'], default: 'cached' },
    l3Cache: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ttlMs: { ...positive, default: 300000 },
        maxEntries: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000 },
        pollIntervalMs: { ...positive, default: 1000 },
      },
    },
    serviceKeyName: { type: 'string', minLength: 1, maxLength: 128, default: 'krypton-service-key' },
    vault: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        adapter: { enum: ['sqlite', 'postgres'], default: 'sqlite' },
        file: { type: 'string', minLength: 1, default: 'gateway/vault.db' },
        url: { type: 'string', minLength: 1 },
        urlFile: { type: 'string', minLength: 1 },
        schema: { type: 'string', minLength: 1 },
        maxLocateItems: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
      },
    },
    transportKeyFile: { type: 'string', minLength: 1, default: 'gateway/transport-key.pem' },
    transportKeyBits: { enum: [2048, 3072, 4096], default: 3072 },
  },
} as const;

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true });
const validateUpstream = ajv.compile(upstreamSchema);

/** Reads, validates and resolves the `upstream` section of a gateway or standalone profile. */
export function gatewaySettingsOf(config: ProfileConfig, readFile: (p: string) => string): GatewaySettings {
  const doc = structuredClone(config.upstream ?? {}) as Record<string, unknown>;
  if (!validateUpstream(doc)) {
    const text = (validateUpstream.errors ?? [])
      .map((e) => `/upstream${e.instancePath} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new KryptonError('KRY_CFG_INVALID', `${config.source}: ${text}`, { field: '/upstream' });
  }
  const u = doc as {
    core?: string;
    tls: { cert: string; key: string; ca: string; servername?: string };
    vault: {
      adapter: 'sqlite' | 'postgres';
      file: string;
      url?: string;
      urlFile?: string;
      schema?: string;
      maxLocateItems: number;
    };
  } & Omit<GatewaySettings, 'core' | 'tls' | 'vault' | 'transportKeyFile'> & { transportKeyFile: string };
  if (config.role === 'gateway' && u.core === undefined)
    throw new KryptonError(
      'KRY_CFG_INVALID',
      `${config.source}: /upstream/core is required (host:port of the core)`,
      {
        field: '/upstream/core',
      },
    );
  const at = (p: string) => (isAbsolute(p) ? p : resolve(config.stateDir, p));
  let core: GatewaySettings['core'];
  if (u.core !== undefined && config.role === 'gateway') {
    const i = u.core.lastIndexOf(':');
    core = { host: u.core.slice(0, i), port: Number(u.core.slice(i + 1)) };
  }
  if (u.vault.adapter === 'postgres' && (u.vault.url === undefined) === (u.vault.urlFile === undefined))
    throw new KryptonError(
      'KRY_CFG_INVALID',
      `${config.source}: /upstream/vault needs exactly one of url and urlFile`,
      {
        field: '/upstream/vault',
      },
    );
  const url =
    u.vault.url ?? (u.vault.urlFile !== undefined ? readFile(at(u.vault.urlFile)).trim() : undefined);
  return Object.freeze({
    ...u,
    core,
    tls: {
      cert: at(u.tls.cert),
      key: at(u.tls.key),
      ca: at(u.tls.ca),
      ...(u.tls.servername !== undefined && { servername: u.tls.servername }),
    },
    vault: {
      adapter: u.vault.adapter,
      file: at(u.vault.file),
      ...(url !== undefined && { url }),
      ...(u.vault.schema !== undefined && { schema: u.vault.schema }),
      maxLocateItems: u.vault.maxLocateItems,
    },
    transportKeyFile: at(u.transportKeyFile),
  });
}
