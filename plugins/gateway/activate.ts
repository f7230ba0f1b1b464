/** Activate at the gateway (KMIP 2.1 §6.1.2): a local L4 in the vault, anything else at the core. */
import { defineOperation } from '../../core/dispatch/operation.js';
import { activateL4, routeLifecycle } from './lifecycle.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export const activate = defineOperation({
  operation: 'Activate',
  phase: 2,
  roles: ['gateway'],
  permission: 'activate',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: (ctx, payload) => routeLifecycle(ctx, 'Activate', payload, activateL4),
});
