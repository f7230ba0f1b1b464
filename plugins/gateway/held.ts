/**
 * Gateway-role variants of core operations, built from the core's descriptor so that the
 * gateway's Query reports them exactly as the core defines them (phase, permission, object
 * types, versions, asynchronous execution). Two kinds:
 *
 * - `forwardedLike(core)`: served only at the core (the key it names lives there: key pairs,
 *   signatures, MAC keys) — the item is forwarded.
 * - `heldLike(core, serve)`: an item naming an L4 of the vault is served here by the core's own
 *   logic over a vault context (core/gateway/vault-context.ts); any other is forwarded.
 *
 * An asynchronous operation (Archive, Recover) runs asynchronously in the dispatcher of the
 * process the client talks to, so Poll and Cancel are served where the pending entry is — the
 * gateway, with the forwarded call inside it.
 */
import { forwardItem, gatewayOf, vaultContext } from '../../core/gateway/index.js';
import {
  defineOperation,
  type DefinedOperation,
  type OperationResult,
  type RequestContext,
} from '../../core/dispatch/operation.js';
import type { Operation } from '../../core/spec/index.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { GATEWAY_SERVICES_PLUGIN, idOf, local, localL4 } from './routing.js';

/**
 * Serves an item naming an L4 with a vault context. `request` is the request's own context: what
 * goes to the core (unwrapping the L4 under its L3) must use it — in standalone the in-process
 * core would otherwise look for the L3 in the vault.
 */
export type ServeOnVault = (
  vault: RequestContext,
  payload: StructureItem | undefined,
  request: RequestContext,
) => Promise<TtlvItem[]>;

export interface HeldOptions {
  /**
   * The operation may change what the gateway's L3 checks read (attributes, dates, archival):
   * a forwarded one drops the named key from the L3 cache at once, as Rekey/Revoke/Destroy do.
   */
  readonly changesKey?: boolean;
  /** Check (KMIP 2.1 §6.1.7): a refusal empties the ID placeholder, also when the core refused. */
  readonly refusalClearsPlaceholder?: boolean;
}

type OperationName = keyof typeof Operation;

function nameOf(core: DefinedOperation): OperationName {
  return (typeof core.operation === 'string' ? core.operation : core.operation.name) as OperationName;
}

function variant(
  core: DefinedOperation,
  handle: (ctx: RequestContext, payload: StructureItem | undefined) => Promise<OperationResult>,
): DefinedOperation {
  return defineOperation({
    operation: core.operation,
    phase: core.phase,
    roles: ['gateway'],
    permission: core.permission,
    dependencies: [GATEWAY_SERVICES_PLUGIN],
    ...(core.objectTypes && { objectTypes: core.objectTypes }),
    ...(core.versions && { versions: core.versions }),
    ...(core.asynchronous !== undefined && { asynchronous: core.asynchronous }),
    ...(core.tags && { tags: core.tags }),
    handle,
  });
}

async function toCore(
  ctx: RequestContext,
  operation: OperationName,
  payload: StructureItem | undefined,
  opts: HeldOptions,
): Promise<StructureItem | undefined> {
  const gw = gatewayOf(ctx);
  try {
    const answer = await forwardItem(gw.delegate, ctx, operation, payload);
    if (opts.changesKey) {
      const id = idOf(ctx, payload);
      if (id !== undefined) gw.l3.invalidate(ctx.tenant, id);
    }
    return answer;
  } catch (err) {
    if (opts.refusalClearsPlaceholder) ctx.placeholder.clear?.();
    throw err;
  }
}

/** The core's operation, forwarded as a whole. */
export function forwardedLike(core: DefinedOperation, opts: HeldOptions = {}): DefinedOperation {
  const operation = nameOf(core);
  return variant(core, (ctx, payload) => toCore(ctx, operation, payload, opts));
}

/** The core's operation, served here for an L4 of the vault (by `serve`), else forwarded. */
export function heldLike(
  core: DefinedOperation,
  serve: ServeOnVault,
  opts: HeldOptions = {},
): DefinedOperation {
  const operation = nameOf(core);
  return variant(core, async (ctx, payload) => {
    const id = idOf(ctx, payload);
    const object = id !== undefined ? await localL4(ctx, id) : undefined;
    if (object) return local(ctx, () => serve(vaultContext(ctx), payload, ctx));
    return toCore(ctx, operation, payload, opts);
  });
}
