/**
 * Destroy at the gateway (KMIP 2.1 §6.1.15) — crypto-shredding of a local L4: its wrapped material
 * leaves the vault in the transaction that moves it to Destroyed. Anything else at the core; a
 * destroyed L3 is dropped from the gateway's cache at once (zeroed).
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { destroyL4, routeLifecycle } from './lifecycle.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export const destroy = defineOperation({
  operation: 'Destroy',
  phase: 2,
  roles: ['gateway'],
  permission: 'destroy',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: (ctx, payload) => routeLifecycle(ctx, 'Destroy', payload, destroyL4),
});
