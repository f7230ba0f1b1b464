/**
 * A request context whose store is the gateway's vault. The core's attribute operations, Check
 * and Archive/Recover (exported from plugins/ as `(ctx, payload)` functions over `servicesOf`)
 * then serve an L4 of the vault exactly as the core serves its own objects: same rule table,
 * same state conditions, same errors. `holdsL4` lifts the core's refusal of L4s; nothing else
 * differs.
 */
import type { RequestContext } from '../dispatch/operation.js';
import type { KeyHierarchy } from '../keys/key-hierarchy.js';
import { gatewayOf } from './services.js';

/**
 * The key hierarchy of a vault context. The functions served this way only ever ask it to forget
 * a cached key after a change, and the gateway caches no L4 (each use unwraps it under its L3 and
 * zeroes it), so forgetting is a no-op; it has nothing else to offer.
 */
const VAULT_KEYS = Object.freeze({ invalidate: (): void => undefined }) as unknown as KeyHierarchy;

export function vaultContext(ctx: RequestContext): RequestContext {
  const { vault } = gatewayOf(ctx);
  return { ...ctx, services: { ...ctx.services, store: vault, keys: VAULT_KEYS, holdsL4: true } };
}
