/**
 * Assembles a Krypton server from a profile: TLS material and identity checks (a
 * misconfiguration stops start-up), the fastify app with the operation plugins, the dispatcher,
 * the TTLV/TLS listener, `POST /kmip` over HTTPS and the admin listener; and the graceful stop:
 * stop accepting, drain in-flight requests, close adapters (fastify onClose hooks).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ProfileConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import { identityFromCertificate } from '../auth/identity.js';
import type { Identity } from '../auth/identity.js';
import { createCredentialVerifier } from '../auth/credentials.js';
import { assertedIdentity } from '../auth/asserted-identity.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import type { AuditHook } from '../dispatch/dispatcher.js';
import type { AsyncOperationOptions } from '../dispatch/pending.js';
import { OperationRegistry } from '../dispatch/registry.js';
import type { RequestServices } from '../dispatch/operation.js';
import { createAdminApp } from './admin.js';
import { createKmipApp } from './https-app.js';
import { handleKmipMessage } from './kmip-endpoint.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { ServerMetrics } from './metrics.js';
import { loadOperationPlugins, registerDispatchPlugin } from './plugin-loader.js';
import type { LoadedPlugin } from './plugin-loader.js';
import { TtlvTlsListener } from './tls-listener.js';
import { createAuditService } from '../audit/hook.js';
import { nativeKeyWrapStatus } from '../keys/native-kw.js';
import { dirname } from 'node:path';
import { registerCoreServices } from '../services/services.js';

export interface StartServerOptions {
  log?: Logger;
  /** Services for the request context (store, keys, delegate …) supplied by later layers. */
  services?: RequestServices;
  audit?: AuditHook;
  /** Asynchronous execution (Poll/Cancel table); `{ maxPending: 0 }` runs every item synchronously. */
  asynchronous?: AsyncOperationOptions;
}

export interface RunningServer {
  readonly config: ProfileConfig;
  readonly log: Logger;
  readonly addresses: { ttlv?: AddressInfo; https?: AddressInfo; admin?: AddressInfo };
  readonly registry: OperationRegistry;
  readonly dispatcher: Dispatcher;
  readonly metrics: ServerMetrics;
  readonly plugins: readonly LoadedPlugin[];
  readonly app: FastifyInstance;
  /** Graceful stop; resolves when listeners are closed and adapters released. Idempotent. */
  close(): Promise<void>;
}

function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new KryptonError('KRY_AUTH_PKI', `${what} not readable: ${path} (run krypton init)`);
  }
}

export async function startServer(
  config: ProfileConfig,
  opts: StartServerOptions = {},
): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logging);
  const tls = {
    key: readTlsFile(config.tls.key, 'server key'),
    cert: readTlsFile(config.tls.cert, 'server certificate'),
    ca: readTlsFile(config.tls.ca, 'CA certificate'),
  };
  const verifier = await createCredentialVerifier(config.auth, config.tls, dirname(config.source));
  const identify = (socket: TLSSocket): Identity | undefined => {
    const cert = socket.getPeerCertificate();
    return cert && Object.keys(cert).length > 0 ? identityFromCertificate(cert, config.auth) : undefined;
  };
  // An injected hook (tests, embedding) replaces the profile's audit log.
  const auditService = opts.audit
    ? { hook: opts.audit, close: async () => {} }
    : await createAuditService(config.audit, config.stateDir, log);
  const metrics = createMetrics();
  const registry = new OperationRegistry();
  const limits = config.limits;
  // The HTTPS route exists before the plugins have loaded; it reads the dispatcher when called.
  const late: { dispatcher?: Dispatcher } = {};
  let ready = false;

  const app = createKmipApp({
    ...(config.listeners.https.enabled && {
      https: {
        ...tls,
        requireClientCert: config.tls.requireClientCert,
        minVersion: config.tls.minVersion,
        handshakeTimeoutMs: limits.handshakeTimeoutMs,
      },
    }),
    bodyLimit: config.listeners.https.bodyLimit,
    requestTimeoutMs: config.listeners.https.requestTimeoutMs,
    idleTimeoutMs: limits.idleTimeoutMs,
    log,
    metrics,
    identify,
    handler: () => (body, encoding, peer, transport) =>
      handleKmipMessage(
        { dispatcher: late.dispatcher as Dispatcher, maxDepth: limits.maxDepth },
        body,
        encoding,
        {
          transport,
          remoteAddress: peer.remoteAddress,
          peerIdentity: peer.peerIdentity,
        },
      ),
  });
  const services = opts.services ?? ({} as RequestServices);
  registerDispatchPlugin(app, { registry, profile: config, services, metrics, log });
  // A profile naming a storage adapter gets the core services (store, HSM, key hierarchy).
  if (opts.services === undefined && config.storage.adapter !== undefined)
    registerCoreServices(app, config, log, services);
  let plugins: LoadedPlugin[];
  try {
    plugins = await loadOperationPlugins(app, config, log);
    await app.ready(); // fails here on a missing plugin dependency
  } catch (err) {
    // Services that did open (store, HSM, vault) close with the app, or their timers keep the process alive.
    await app.close().catch(() => undefined);
    await auditService.close();
    throw err;
  }
  registry.seal();

  const activeDispatcher = new Dispatcher({
    registry,
    log,
    services,
    maxBatchItems: limits.maxBatchItems,
    maxResponseBytes: limits.maxResponseBytes,
    verifier,
    credentialsRequired: config.auth.credentials.required,
    audit: auditService.hook,
    ...(opts.asynchronous && { asynchronous: opts.asynchronous }),
    assertion: (credential, peer) => assertedIdentity(credential, peer, config.auth),
    observe: (operation, status, seconds) => metrics.operations.record(operation, status, seconds),
  });
  late.dispatcher = activeDispatcher;

  const addresses: RunningServer['addresses'] = {};
  let ttlvListener: TtlvTlsListener | undefined;
  const ttlvRequests = metrics.requestSlot('ttlv', 'ttlv');
  let admin: FastifyInstance | undefined;
  try {
    if (config.listeners.ttlv.enabled) {
      ttlvListener = new TtlvTlsListener({
        host: config.listeners.ttlv.host,
        port: config.listeners.ttlv.port,
        ...tls,
        requireClientCert: config.tls.requireClientCert,
        minVersion: config.tls.minVersion,
        maxFrameBytes: limits.maxFrameBytes,
        handshakeTimeoutMs: limits.handshakeTimeoutMs,
        idleTimeoutMs: limits.idleTimeoutMs,
        requestTimeoutMs: limits.requestTimeoutMs,
        maxConnections: limits.maxConnections,
        maxConnectionsPerPeer: limits.maxConnectionsPerPeer,
        identify,
        log: log.child({ listener: 'ttlv' }),
        metrics,
        handleFrame: (frame, conn) => {
          ttlvRequests.n++;
          return handleKmipMessage(
            { dispatcher: activeDispatcher, maxDepth: limits.maxDepth },
            frame,
            'ttlv',
            {
              transport: 'ttlv',
              remoteAddress: conn.remoteAddress,
              peerIdentity: conn.peerIdentity,
            },
          ) as Promise<Buffer>;
        },
      });
      addresses.ttlv = await ttlvListener.listen();
    }
    if (config.listeners.https.enabled) {
      await app.listen({ host: config.listeners.https.host, port: config.listeners.https.port });
      addresses.https = app.server.address() as AddressInfo;
    }
    if (config.listeners.admin.enabled) {
      admin = createAdminApp({ metrics: metrics.registry, isReady: () => ready });
      await admin.listen({ host: config.listeners.admin.host, port: config.listeners.admin.port });
      addresses.admin = admin.server.address() as AddressInfo;
    }
  } catch (err) {
    await ttlvListener?.close(0);
    await app.close();
    await admin?.close();
    await auditService.close();
    throw err;
  }
  ready = true;
  log.info(
    {
      profile: config.name,
      role: config.role,
      operations: registry.descriptors().map((d) => d.name),
      addresses,
      nativeKeyWrap: nativeKeyWrapStatus,
    },
    'krypton started',
  );

  let closing: Promise<void> | undefined;
  return {
    config,
    log,
    addresses,
    registry,
    dispatcher: activeDispatcher,
    metrics,
    plugins,
    app,
    close() {
      closing ??= (async () => {
        ready = false;
        log.info('stopping: no new connections, draining in-flight requests');
        await ttlvListener?.close(limits.shutdownGraceMs);
        await app.close(); // onClose hooks release adapters after the listeners drained
        await admin?.close();
        await auditService.close(); // after the drain: the last requests are audited too
        log.info('stopped');
      })();
      return closing;
    },
  };
}
