/**
 * `krypton-gateway`: the gateway's services on the request context — the vault (its own Store of
 * L4 keys wrapped under L3), the delegate to the core (upstream pool in the gateway profile,
 * in-process handlers in standalone), the L3 cache with its invalidation poll, the transport key.
 * Opened when fastify boots (a failure stops start-up), closed after the listeners drained.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fastifyPlugin } from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { KryptonError } from '../errors.js';
import { encodeRequestMessage } from '../messages/index.js';
import { Operation, Tag } from '../spec/index.js';
import { structure } from '../ttlv/tree.js';
import type { RequestContext, RequestServices } from '../dispatch/operation.js';
import { DISPATCH_PLUGIN } from '../server/plugin-loader.js';
import { createStore, type Store, type StoreOptions } from '../../storage-adapters/index.js';
import { InProcessCoreDelegate, RemoteCoreDelegate, type CoreDelegate } from './delegate.js';
import { L3Cache } from './l3-cache.js';
import { L3Keys } from './l3-keys.js';
import { gatewaySettingsOf, type GatewaySettings } from './settings.js';
import { TransportKey } from './transport-key.js';
import { UpstreamPool } from './upstream-pool.js';

export interface GatewayServices {
  readonly settings: GatewaySettings;
  /** L4 keys of every tenant, wrapped under L3; scoped by tenant in every call. */
  readonly vault: Store;
  readonly delegate: CoreDelegate;
  readonly l3: L3Keys;
  readonly cache: L3Cache;
  /** The gateway profile's connections to the core (absent in standalone). */
  readonly pool: UpstreamPool | undefined;
}

declare module '../dispatch/operation.js' {
  interface RequestServices {
    /** Present in the gateway and standalone roles. */
    gateway?: GatewayServices;
  }
}

/** fastify plugin name the gateway operations list in `dependencies`. */
export const GATEWAY_SERVICES_PLUGIN = 'krypton-gateway';

export function gatewayOf(ctx: RequestContext): GatewayServices {
  const g = ctx.services.gateway;
  if (!g) throw new KryptonError('KRY_CFG_INVALID', 'the gateway services are not loaded');
  return g;
}

function vaultOptions(s: GatewaySettings): StoreOptions {
  if (s.vault.adapter === 'postgres')
    return {
      adapter: 'postgres',
      url: s.vault.url as string,
      ...(s.vault.schema !== undefined && { schema: s.vault.schema }),
      maxLocateItems: s.vault.maxLocateItems,
    } as StoreOptions;
  mkdirSync(dirname(s.vault.file), { recursive: true, mode: 0o700 });
  return {
    adapter: 'sqlite',
    filename: s.vault.file,
    maxLocateItems: s.vault.maxLocateItems,
  } as StoreOptions;
}

/** A DiscoverVersions request: the pool's keep-alive probe. */
function probe() {
  return encodeRequestMessage({
    header: { protocolVersion: { major: 2, minor: 1 }, batchCount: 1 },
    batchItems: [{ operation: Operation.DiscoverVersions, payload: structure(Tag.RequestPayload, []) }],
  });
}

export const gatewayServicesPlugin: FastifyPluginAsync = fastifyPlugin(
  async (instance: FastifyInstance) => {
    const { profile, services, metrics, shadowed, registry } = instance.krypton;
    const log = (instance.krypton.log ?? (instance.log as unknown as Logger)).child({ component: 'gateway' });
    if (!services) throw new KryptonError('KRY_CFG_INVALID', 'the dispatcher exposes no services');
    const settings = gatewaySettingsOf(profile, (p) => readFileSync(p, 'utf8'));
    const remote = profile.role === 'gateway';
    const vault = await createStore(vaultOptions(settings));
    let pool: UpstreamPool | undefined;
    let remoteDelegate: RemoteCoreDelegate | undefined;
    try {
      const transportKey =
        settings.l3Residency === 'cached'
          ? await TransportKey.loadOrCreate(settings.transportKeyFile, settings.transportKeyBits)
          : undefined;
      let delegate: CoreDelegate;
      if (remote) {
        const core = settings.core!;
        const read = (p: string, what: string) => {
          try {
            return readFileSync(p);
          } catch {
            throw new KryptonError('KRY_AUTH_PKI', `gateway ${what} not readable: ${p}`);
          }
        };
        pool = new UpstreamPool({
          host: core.host,
          port: core.port,
          ca: read(settings.tls.ca, 'CA certificate'),
          cert: read(settings.tls.cert, 'certificate'),
          key: read(settings.tls.key, 'key'),
          ...(settings.tls.servername !== undefined && { servername: settings.tls.servername }),
          connections: settings.connections,
          connectTimeoutMs: settings.connectTimeoutMs,
          requestTimeoutMs: settings.requestTimeoutMs,
          reconnectDelayMs: settings.reconnectDelayMs,
          keepAliveMs: settings.keepAliveMs,
          maxFrameBytes: profile.limits.maxFrameBytes,
          log,
          ...(metrics && { metrics: metrics.registry }),
          probe,
        });
        pool.start();
        // Pins of forwarded streams: as many and as long-lived as the streams the profile allows.
        remoteDelegate = new RemoteCoreDelegate(
          pool,
          { maxEntries: profile.limits.maxStreams, idleTimeoutMs: profile.limits.streamIdleTimeoutMs },
          metrics?.registry,
        );
        delegate = remoteDelegate;
      } else {
        delegate = new InProcessCoreDelegate(shadowed ?? new Map(), registry);
      }
      const cache = new L3Cache({
        maxEntries: settings.l3Cache.maxEntries,
        ttlMs: settings.l3Cache.ttlMs,
        ...(metrics && { metrics: metrics.registry }),
      });
      const l3 = new L3Keys({
        settings,
        delegate,
        cache,
        transportKey,
        log,
        services: services as RequestServices,
        registry,
      });
      l3.startPolling();
      const gateway: GatewayServices = { settings, vault, delegate, l3, cache, pool };
      Object.assign(services, { gateway });
      log.info(
        { role: profile.role, l3Residency: settings.l3Residency, vault: settings.vault.adapter },
        remote
          ? `gateway in front of the core at ${settings.core!.host}:${settings.core!.port}`
          : 'gateway with an in-process core',
      );
      instance.addHook('onClose', async () => {
        l3.stop();
        remoteDelegate?.close();
        await pool?.close();
        await vault.close();
      });
    } catch (err) {
      await pool?.close();
      await vault.close();
      throw err;
    }
  },
  {
    name: GATEWAY_SERVICES_PLUGIN,
    fastify: '5.x',
    dependencies: [DISPATCH_PLUGIN],
    decorators: { fastify: ['krypton'] },
  },
);
