/**
 * Operations the gateway serves only by forwarding them to the core (gateway profile only: in
 * standalone the core's own descriptors serve them). Query at the gateway lists exactly these
 * with the routed ones, so it stays truthful as long as the core serves them too.
 * ReKey of an L3 drops its cached copy at once (the old version becomes decrypt-only).
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { routeLifecycle } from './lifecycle.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export const rekey = defineOperation({
  operation: 'ReKey',
  phase: 2,
  roles: ['gateway'],
  permission: 'rekey',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: (ctx, payload) => routeLifecycle(ctx, 'ReKey', payload, undefined),
});
