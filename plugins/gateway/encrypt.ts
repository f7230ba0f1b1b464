/**
 * Encrypt at the gateway (KMIP 2.1 §6.1.18, 1.4 §4.29) — e.g. wrapping a DEK under an L3: with a
 * cached L3 or a local L4 here, else at the core (see crypto.ts). Failure cases as the core's.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { routeCrypto } from './crypto.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export const encrypt = defineOperation({
  operation: 'Encrypt',
  phase: 1,
  roles: ['gateway'],
  permission: 'encrypt',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: (ctx, payload) => routeCrypto(ctx, 'Encrypt', payload),
});
