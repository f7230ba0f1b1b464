/**
 * The core's services, opened from the profile and put on every request context: the Store
 * (`storage`), the HSM holding L1 (`hsm`) and the key hierarchy over both (`keys`). They are
 * opened by the `krypton-services` fastify plugin, which core operations name as a dependency
 * (boot fails without it), and closed by its onClose hook after the listeners drained.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fastifyPlugin } from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ProfileConfig } from '../config/schema.js';
import type { RequestServices } from '../dispatch/operation.js';
import { KryptonError } from '../errors.js';
import { KeyHierarchy } from '../keys/key-hierarchy.js';
import { createHsm, type Hsm, type HsmAdapterConfig } from '../../hsm-adapters/index.js';
import { SOFTWARE_HSM_WARNING } from '../../hsm-adapters/software.js';
import type { SecretSource } from '../../hsm-adapters/secret-source.js';
import { createStore, type Store, type StoreOptions } from '../../storage-adapters/index.js';
import { StoreKeyRecords } from './store-key-records.js';

declare module '../dispatch/operation.js' {
  interface RequestServices {
    /** Managed objects, scoped by tenant in every call. */
    store: Store;
    /** The L1–L4 key hierarchy (L2/L3 unwrapped only inside the core). */
    keys: KeyHierarchy;
    /** `store` is a gateway's vault: its L4s are served there (core/gateway/vault-context.ts). */
    holdsL4?: boolean;
  }
}

/** fastify plugin name core operations list in `dependencies`. */
export const CORE_SERVICES_PLUGIN = 'krypton-services';

export interface CoreServices {
  readonly store: Store;
  readonly hsm: Hsm;
  readonly keys: KeyHierarchy;
  close(): Promise<void>;
}

export interface CoreServiceOverrides {
  /** Root-check interval override (tests turn the timers off). */
  readonly rootCheckIntervalMs?: number;
  readonly softwareHsmScrypt?: { readonly log2N?: number };
}

function invalid(config: ProfileConfig, field: string, detail: string): KryptonError {
  return new KryptonError('KRY_CFG_INVALID', `${config.source}: ${field} ${detail}`, { field });
}

function secretFrom(
  config: ProfileConfig,
  field: string,
  env: string | undefined,
  file: string | undefined,
): SecretSource {
  if (env !== undefined && file !== undefined)
    throw invalid(config, field, 'names both an environment variable and a file');
  if (env !== undefined) return { env };
  if (file !== undefined) return { file };
  throw invalid(config, field, 'needs an environment variable or a file (never the secret itself)');
}

export function storeOptionsOf(config: ProfileConfig): StoreOptions {
  const s = config.storage;
  if (s.adapter === 'postgres') {
    if ((s.url === undefined) === (s.urlFile === undefined))
      throw invalid(config, '/storage', 'postgres needs exactly one of url and urlFile');
    const url = s.url ?? readFileSync(s.urlFile as string, 'utf8').trim();
    return {
      adapter: 'postgres',
      url,
      ...(s.schema !== undefined && { schema: s.schema }),
      maxLocateItems: s.maxLocateItems,
    } as StoreOptions;
  }
  return {
    adapter: 'sqlite',
    filename: s.file ?? join(config.stateDir, 'krypton.db'),
    maxLocateItems: s.maxLocateItems,
  } as StoreOptions;
}

/** The development passphrase: generated once, 0600, beside the software HSM file. */
function developmentPassphraseFile(dir: string): string {
  const file = join(dir, 'passphrase');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return file;
}

export function hsmOptionsOf(
  config: ProfileConfig,
  log: Logger,
  overrides: CoreServiceOverrides = {},
): HsmAdapterConfig {
  const h = config.hsm;
  switch (h.adapter) {
    case 'pkcs11':
      if (!h.module || !h.tokenLabel) throw invalid(config, '/hsm', 'pkcs11 needs module and tokenLabel');
      return {
        adapter: 'pkcs11',
        modulePath: h.module,
        tokenLabel: h.tokenLabel,
        pin: secretFrom(config, '/hsm/pinEnv', h.pinEnv, h.pinFile),
        logger: log,
      };
    case 'yubihsm2':
      if (!h.connectorUrl || h.authKeyId === undefined)
        throw invalid(config, '/hsm', 'yubihsm2 needs connectorUrl and authKeyId');
      return {
        adapter: 'yubihsm2',
        connectorUrl: h.connectorUrl,
        authKeyId: h.authKeyId,
        password: secretFrom(config, '/hsm/passwordEnv', h.passwordEnv, h.passwordFile),
        ...(h.module !== undefined && { modulePath: h.module }),
        ...(h.tokenLabel !== undefined && { tokenLabel: h.tokenLabel }),
        logger: log,
      };
    default: {
      const dir = join(config.stateDir, 'hsm');
      const passphrase: SecretSource =
        h.passphraseEnv !== undefined || h.passphraseFile !== undefined
          ? secretFrom(config, '/hsm/passphraseFile', h.passphraseEnv, h.passphraseFile)
          : { file: developmentPassphraseFile(dir) };
      return {
        adapter: 'software',
        path: h.file ?? join(dir, 'software-hsm.bin'),
        passphrase,
        ...(overrides.softwareHsmScrypt && { scrypt: overrides.softwareHsmScrypt }),
        logger: log,
      };
    }
  }
}

/** Opens the store, the HSM and the key hierarchy named by the profile; closes what opened on failure. */
export async function openCoreServices(
  config: ProfileConfig,
  log: Logger,
  overrides: CoreServiceOverrides = {},
): Promise<CoreServices> {
  if (config.storage.adapter === undefined) throw new KryptonError('KRY_OP_NO_STORE');
  const hsmOptions = hsmOptionsOf(config, log, overrides);
  if (hsmOptions.adapter === 'software') log.warn(SOFTWARE_HSM_WARNING);
  const storeOptions = storeOptionsOf(config);
  if (storeOptions.adapter === 'sqlite') mkdirSync(dirname(storeOptions.filename), { recursive: true });
  const store = await createStore(storeOptions);
  let hsm: Hsm | undefined;
  try {
    hsm = await createHsm(hsmOptions);
    await hsm.open();
    const keys = new KeyHierarchy({
      hsm,
      rootKeyLabel: config.keys.rootKeyLabel,
      records: new StoreKeyRecords(store),
      cache: { ttlMs: config.keys.cacheTtlMs, maxEntries: config.keys.cacheMaxEntries },
      rootCheckIntervalMs: overrides.rootCheckIntervalMs ?? config.keys.rootCheckIntervalMs,
      logger: log,
    });
    await keys.open();
    const opened = hsm;
    let closing: Promise<void> | undefined;
    return {
      store,
      hsm: opened,
      keys,
      close() {
        closing ??= (async () => {
          keys.close();
          await opened.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await hsm?.close().catch(() => undefined);
    await store.close();
    throw err;
  }
}

/**
 * Registers `krypton-services`: opens the core services when fastify boots, fills `target` (the
 * dispatcher's services object) and closes them on shutdown.
 */
export function registerCoreServices(
  app: FastifyInstance,
  config: ProfileConfig,
  log: Logger,
  target: RequestServices,
): void {
  app.register(
    fastifyPlugin(
      async (instance: FastifyInstance) => {
        const services = await openCoreServices(config, log.child({ component: 'services' }));
        Object.assign(target, { store: services.store, keys: services.keys });
        instance.addHook('onClose', async () => services.close());
      },
      { name: CORE_SERVICES_PLUGIN, fastify: '5.x' },
    ),
  );
}
