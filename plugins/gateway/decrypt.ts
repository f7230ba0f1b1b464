/**
 * Decrypt at the gateway (KMIP 2.1 §6.1.11, 1.4 §4.30) — e.g. unwrapping a DEK: with a cached L3
 * (an old version replaced by Rekey still decrypts) or a local L4 here, else at the core. Multi-part
 * requests as Encrypt's (encrypt.ts): a stream on a local L4 here, any other at the core.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { cryptoStreamsPlugin } from '../../core/services/crypto-streams.js';
import { cryptoHandler } from './encrypt.js';
import { GATEWAY_SERVICES_PLUGIN } from './routing.js';

export { cryptoStreamsPlugin as kryptonPlugin };

export const decrypt = defineOperation({
  operation: 'Decrypt',
  phase: 1,
  roles: ['gateway'],
  permission: 'decrypt',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: cryptoHandler('Decrypt'),
});
