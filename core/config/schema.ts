/**
 * The profile schema: one JSON document per deployment (role, phases, plugins, listeners, TLS,
 * identity, limits, logging). Compiled once by core/config/load.ts; `default`s are filled in.
 */

export type Role = 'core' | 'gateway' | 'standalone';
export type PrincipalSource = 'CN' | 'SAN_DNS' | 'SAN_URI';

export interface PluginReference {
  /** npm package name, `builtin:<name>`, or a file path (relative paths: to the profile file). */
  module: string;
  /** Options handed to the plugin's fastify registration. */
  options: Record<string, unknown>;
}

export interface ListenerConfig {
  enabled: boolean;
  host: string;
  port: number;
}

export interface HttpsListenerConfig extends ListenerConfig {
  /** fastify `bodyLimit`, bytes. */
  bodyLimit: number;
  /** fastify `requestTimeout`, ms (fastify's default 0 means none). */
  requestTimeoutMs: number;
}

export interface TlsConfig {
  cert: string;
  key: string;
  ca: string;
  /** Mutual TLS: refuse a handshake without a client certificate signed by `ca`. */
  requireClientCert: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

export interface PrincipalPolicy {
  tenant?: string;
  permissions?: string[];
  /** May fetch wrapped L3 keys and assert a forwarded client identity. */
  gateway?: boolean;
}

export interface CredentialUser {
  /** `scrypt:<salt hex>:<hash hex>` (see core/auth/credentials.ts `hashPassword`). */
  password: string;
  tenant?: string;
  permissions?: string[];
}

export interface AuthConfig {
  principalFrom: PrincipalSource;
  defaultTenant: string;
  /** Permissions of an authenticated principal not listed in `principals`. */
  defaultPermissions: string[];
  principals: Record<string, PrincipalPolicy>;
  credentials: {
    /** `none`, `static` (users below) or a module exporting `createCredentialVerifier`. */
    verifier: string;
    /** A request must carry a Credential even when the TLS peer presented a certificate. */
    required: boolean;
    users: Record<string, CredentialUser>;
  };
}

export interface LimitsConfig {
  maxFrameBytes: number;
  maxDepth: number;
  maxBatchItems: number;
  maxResponseBytes: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  /** Deadline for a whole TTLV request once its first byte arrived. */
  requestTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  shutdownGraceMs: number;
  /** Multi-part operations (core/services/crypto-streams.ts): open streams overall and per identity. */
  maxStreams: number;
  maxStreamsPerIdentity: number;
  /** A stream without a part for this long ends. */
  streamIdleTimeoutMs: number;
  /** Input bytes one stream may carry, and what a one-shot algorithm (Ed25519) may buffer. */
  maxStreamBytes: number;
  maxStreamBufferedBytes: number;
}

/** Where managed objects live. No adapter: the profile has no store (a gateway, a bare framework). */
export interface StorageConfig {
  adapter?: 'sqlite' | 'postgres';
  /** SQLite file [<stateDir>/krypton.db]. */
  file?: string;
  /** PostgreSQL connection URL, or a file holding it (keeps the password out of the profile). */
  url?: string;
  urlFile?: string;
  /** PostgreSQL schema holding the tables. */
  schema?: string;
  /** Server cap on Locate results (SECURITY-CHECKLIST 23). */
  maxLocateItems: number;
}

/** Where L1 lives. `software` is for development only (generated passphrase, loudly not for production). */
export interface HsmConfig {
  adapter: 'software' | 'pkcs11' | 'yubihsm2';
  /** software: encrypted root-key file [<stateDir>/hsm/software-hsm.bin]. */
  file?: string;
  /** software: passphrase file [<stateDir>/hsm/passphrase, generated 0600] or environment variable. */
  passphraseFile?: string;
  passphraseEnv?: string;
  /** pkcs11 / yubihsm2: PKCS#11 module path. */
  module?: string;
  tokenLabel?: string;
  /** pkcs11: user PIN from an environment variable or a file, never the profile. */
  pinEnv?: string;
  pinFile?: string;
  /** yubihsm2: connector URL, authentication key id, its password (env or file). */
  connectorUrl?: string;
  authKeyId?: number;
  passwordEnv?: string;
  passwordFile?: string;
}

/** The key hierarchy service (core/keys). */
export interface KeysConfig {
  /** HSM label of the current L1 root key. */
  rootKeyLabel: string;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  /** How often L1 is probed; 0 turns the probe off. */
  rootCheckIntervalMs: number;
}

export interface ProfileConfig {
  name: string;
  role: Role;
  phases: number[];
  plugins: PluginReference[];
  stateDir: string;
  /**
   * Processes serving this profile on shared ports (core/server/cluster.ts) [1]. More than one
   * needs PostgreSQL for a core store; each worker writes its own audit file.
   */
  workers: number;
  listeners: {
    ttlv: ListenerConfig;
    https: HttpsListenerConfig;
    admin: ListenerConfig;
  };
  tls: TlsConfig;
  auth: AuthConfig;
  limits: LimitsConfig;
  logging: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    pretty: 'auto' | boolean;
  };
  /** Core services (core/services): opened when `storage.adapter` is named. */
  storage: StorageConfig;
  hsm: HsmConfig;
  keys: KeysConfig;
  /** Sections owned by later work (upstream, audit): validated by their owners. */
  upstream: Record<string, unknown>;
  audit: {
    enabled: boolean;
    path: string;
    fsync: 'always' | 'interval' | 'none';
    fsyncIntervalMs: number;
    failClosed: boolean;
  };
  /** Where the profile came from (file path), filled by the loader. */
  source: string;
}

const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const positive = { type: 'integer', minimum: 1 } as const;
const permissions = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const openSection = { type: 'object', default: {}, additionalProperties: true } as const;

export const profileSchema = {
  $id: 'https://krypton.invalid/schemas/profile.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    role: { enum: ['core', 'gateway', 'standalone'] },
    phases: {
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 4 },
      uniqueItems: true,
      default: [1],
    },
    plugins: {
      type: 'array',
      default: [],
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['module'],
            properties: {
              module: { type: 'string', minLength: 1 },
              options: { type: 'object' },
            },
          },
        ],
      },
    },
    stateDir: { type: 'string', minLength: 1, default: './.krypton' },
    workers: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
    listeners: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ttlv: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            host: { type: 'string', minLength: 1, default: '127.0.0.1' },
            port: { ...port, default: 5696 },
          },
        },
        https: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            host: { type: 'string', minLength: 1, default: '127.0.0.1' },
            port: { ...port, default: 8443 },
            bodyLimit: { ...positive, default: 1048576 },
            requestTimeoutMs: { ...positive, default: 30000 },
          },
        },
        admin: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            host: { type: 'string', minLength: 1, default: '127.0.0.1' },
            port: { ...port, default: 9464 },
          },
        },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        cert: { type: 'string', minLength: 1, default: 'pki/server.pem' },
        key: { type: 'string', minLength: 1, default: 'pki/server-key.pem' },
        ca: { type: 'string', minLength: 1, default: 'pki/ca.pem' },
        requireClientCert: { type: 'boolean', default: true },
        minVersion: { enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        principalFrom: { enum: ['CN', 'SAN_DNS', 'SAN_URI'], default: 'CN' },
        defaultTenant: { type: 'string', minLength: 1, default: 'default' },
        defaultPermissions: { ...permissions, default: ['discover', 'query'] },
        principals: {
          type: 'object',
          default: {},
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              tenant: { type: 'string', minLength: 1 },
              permissions,
              gateway: { type: 'boolean' },
            },
          },
        },
        credentials: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            verifier: { type: 'string', minLength: 1, default: 'none' },
            required: { type: 'boolean', default: false },
            users: {
              type: 'object',
              default: {},
              additionalProperties: {
                type: 'object',
                additionalProperties: false,
                required: ['password'],
                properties: {
                  password: { type: 'string', pattern: '^scrypt:[0-9a-f]+:[0-9a-f]+$' },
                  tenant: { type: 'string', minLength: 1 },
                  permissions,
                },
              },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxFrameBytes: { type: 'integer', minimum: 1024, maximum: 67108864, default: 1048576 },
        maxDepth: { type: 'integer', minimum: 8, maximum: 256, default: 64 },
        maxBatchItems: { type: 'integer', minimum: 1, maximum: 4096, default: 64 },
        maxResponseBytes: { type: 'integer', minimum: 1024, default: 4194304 },
        handshakeTimeoutMs: { ...positive, default: 10000 },
        idleTimeoutMs: { ...positive, default: 120000 },
        requestTimeoutMs: { ...positive, default: 30000 },
        maxConnections: { ...positive, default: 1024 },
        maxConnectionsPerPeer: { ...positive, default: 64 },
        shutdownGraceMs: { type: 'integer', minimum: 0, default: 10000 },
        maxStreams: { ...positive, default: 1024 },
        maxStreamsPerIdentity: { ...positive, default: 16 },
        streamIdleTimeoutMs: { ...positive, default: 60000 },
        maxStreamBytes: { ...positive, default: 1073741824 },
        maxStreamBufferedBytes: { ...positive, default: 1048576 },
      },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
        pretty: { anyOf: [{ const: 'auto' }, { type: 'boolean' }], default: 'auto' },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        adapter: { enum: ['sqlite', 'postgres'] },
        file: { type: 'string', minLength: 1 },
        url: { type: 'string', minLength: 1 },
        urlFile: { type: 'string', minLength: 1 },
        schema: { type: 'string', minLength: 1 },
        maxLocateItems: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
      },
    },
    hsm: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        adapter: { enum: ['software', 'pkcs11', 'yubihsm2'], default: 'software' },
        file: { type: 'string', minLength: 1 },
        passphraseFile: { type: 'string', minLength: 1 },
        passphraseEnv: { type: 'string', minLength: 1 },
        module: { type: 'string', minLength: 1 },
        tokenLabel: { type: 'string', minLength: 1 },
        pinEnv: { type: 'string', minLength: 1 },
        pinFile: { type: 'string', minLength: 1 },
        connectorUrl: { type: 'string', minLength: 1 },
        authKeyId: { type: 'integer', minimum: 1, maximum: 65535 },
        passwordEnv: { type: 'string', minLength: 1 },
        passwordFile: { type: 'string', minLength: 1 },
      },
    },
    keys: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rootKeyLabel: { type: 'string', minLength: 1, maxLength: 128, default: 'krypton-l1' },
        cacheTtlMs: { ...positive, default: 300000 },
        cacheMaxEntries: { ...positive, default: 10000 },
        rootCheckIntervalMs: { type: 'integer', minimum: 0, default: 30000 },
      },
    },
    upstream: openSection,
    audit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        path: { type: 'string', minLength: 1, default: 'audit/audit.jsonl' },
        fsync: { enum: ['always', 'interval', 'none'], default: 'always' },
        fsyncIntervalMs: { ...positive, default: 1000 },
        failClosed: { type: 'boolean', default: true },
      },
    },
  },
} as const;
