/**
 * Revoke at the gateway (KMIP 2.1 §6.1.47): a local L4 in the vault, anything else at the core —
 * a revoked L3 is dropped from the gateway's cache at once.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { revokeL4, routeLifecycle } from './lifecycle.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export const revoke = defineOperation({
  operation: 'Revoke',
  phase: 2,
  roles: ['gateway'],
  permission: 'revoke',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: (ctx, payload) => routeLifecycle(ctx, 'Revoke', payload, revokeL4),
});
