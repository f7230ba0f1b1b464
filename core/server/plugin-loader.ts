/**
 * Loads the operation plugins a profile lists — `builtin:<name>` (plugins/<name>.js), an npm
 * package name, or a file path — and registers each descriptor of an enabled phase and of the
 * profile's role through fastify's plugin system. fastify-plugin metadata (name, dependencies,
 * decorators) makes a missing dependency fail at boot, not at the first request.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { fastifyPlugin } from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { ProfileConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import { isOperationDescriptor } from '../dispatch/operation.js';
import type { DefinedOperation, OperationRole, RequestServices } from '../dispatch/operation.js';
import type { ServerMetrics } from './metrics.js';
import type { OperationRegistry } from '../dispatch/registry.js';

/** Name of the fastify plugin that decorates the instance with `krypton`. */
export const DISPATCH_PLUGIN = 'krypton-dispatch';

export interface KryptonDecoration {
  readonly registry: OperationRegistry;
  readonly profile: ProfileConfig;
  /** The dispatcher's request services: service plugins (core/services, core/gateway) fill it at boot. */
  readonly services?: RequestServices;
  readonly metrics?: ServerMetrics;
  readonly log?: Logger;
  /**
   * Standalone: core-role descriptors of operations a gateway-role descriptor routes, by operation
   * name. They are not registered (an operation is provided once); the gateway reaches them in-process.
   */
  readonly shadowed?: Map<string, DefinedOperation>;
}

declare module 'fastify' {
  interface FastifyInstance {
    krypton: KryptonDecoration;
  }
}

export function rolesOf(role: ProfileConfig['role']): readonly OperationRole[] {
  return role === 'standalone' ? ['core', 'gateway'] : [role];
}

function specifierOf(module: string): string {
  if (module.startsWith('builtin:')) {
    const name = module.slice('builtin:'.length);
    // One optional folder level: `builtin:gateway/create` is plugins/gateway/create.js.
    if (!/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)?$/.test(name))
      throw new KryptonError('KRY_CFG_PLUGIN_LOAD', module);
    // core never imports plugins/ statically; the built-in plugins sit beside core/ in the build.
    return new URL(`../../plugins/${name}.js`, import.meta.url).href;
  }
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

interface PluginModule {
  [name: string]: unknown;
  /** Optional fastify plugin (wrapped with fastify-plugin) registering services the operations need. */
  kryptonPlugin?: FastifyPluginAsync<Record<string, unknown>>;
}

export interface LoadedPlugin {
  readonly module: string;
  readonly operations: readonly string[];
}

/** Registers the dispatch decoration; call before `loadOperationPlugins`. */
export function registerDispatchPlugin(app: FastifyInstance, decoration: KryptonDecoration): void {
  app.register(
    fastifyPlugin(
      async (instance: FastifyInstance) => {
        instance.decorate('krypton', { shadowed: new Map(), ...decoration });
      },
      { name: DISPATCH_PLUGIN, fastify: '5.x' },
    ),
  );
}

export async function loadOperationPlugins(
  app: FastifyInstance,
  profile: ProfileConfig,
  log: Logger,
): Promise<LoadedPlugin[]> {
  const roles = rolesOf(profile.role);
  const loaded: LoadedPlugin[] = [];
  const modules: { ref: ProfileConfig['plugins'][number]; mod: PluginModule }[] = [];
  for (const ref of profile.plugins) {
    let mod: PluginModule;
    try {
      mod = (await import(specifierOf(ref.module))) as PluginModule;
    } catch (err) {
      log.error({ module: ref.module, err: (err as Error).message }, 'plugin could not be loaded');
      throw new KryptonError('KRY_CFG_PLUGIN_LOAD', `${ref.module} (listed in ${profile.source})`);
    }
    modules.push({ ref, mod });
  }
  const enabled = (d: DefinedOperation) =>
    profile.phases.includes(d.phase) && d.roles.some((r) => roles.includes(r));
  const nameOf = (d: DefinedOperation) => (typeof d.operation === 'string' ? d.operation : d.operation.name);
  // Standalone loads both roles: where a gateway-role descriptor routes an operation, the core-role
  // one is its in-process delegate, kept aside rather than registered twice.
  const routed = new Set<string>();
  if (profile.role === 'standalone')
    for (const { mod } of modules)
      for (const d of Object.values(mod).filter(isOperationDescriptor) as DefinedOperation[])
        if (enabled(d) && d.roles.includes('gateway') && !d.roles.includes('core')) routed.add(nameOf(d));
  for (const { ref, mod } of modules) {
    const descriptors = Object.values(mod).filter(isOperationDescriptor) as DefinedOperation[];
    if (descriptors.length === 0 && typeof mod.kryptonPlugin !== 'function') {
      throw new KryptonError('KRY_CFG_PLUGIN_LOAD', `${ref.module} exports no operation descriptor`);
    }
    if (typeof mod.kryptonPlugin === 'function') app.register(mod.kryptonPlugin, ref.options);
    const names: string[] = [];
    for (const d of descriptors) {
      if (!enabled(d)) continue;
      const opName = nameOf(d);
      if (routed.has(opName) && !d.roles.includes('gateway')) {
        app.register(
          fastifyPlugin(
            async (instance: FastifyInstance) => {
              instance.krypton.shadowed?.set(opName, d);
            },
            {
              name: `krypton-delegate-${opName}`,
              fastify: '5.x',
              dependencies: [DISPATCH_PLUGIN, ...(d.dependencies ?? [])],
              decorators: { fastify: ['krypton'] },
            },
          ),
        );
        continue;
      }
      names.push(opName);
      app.register(
        fastifyPlugin(
          async (instance: FastifyInstance) => {
            instance.krypton.registry.add(d);
          },
          {
            name: `krypton-operation-${opName}`,
            fastify: '5.x',
            dependencies: [DISPATCH_PLUGIN, ...(d.dependencies ?? [])],
            decorators: { fastify: ['krypton'] },
          },
        ),
      );
    }
    loaded.push({ module: ref.module, operations: names });
  }
  return loaded;
}
