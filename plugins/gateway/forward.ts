/**
 * Operations the gateway serves only by forwarding them to the core (gateway profile only: in
 * standalone the core's own descriptors serve them). Each is the core descriptor's gateway-role
 * variant (held.ts), so the gateway's Query lists them exactly as the core defines them.
 *
 * ReKey of an L3 drops its cached copy at once (the old version becomes decrypt-only). Key pairs
 * and signatures are the core's (DESIGN §1: the gateway holds only L4 symmetric keys); MAC and
 * MAC Verify, which an L4 may serve, are in mac.ts.
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { createKeyPair as coreCreateKeyPair } from '../create-key-pair.js';
import { reKeyKeyPair as coreReKeyKeyPair } from '../re-key-key-pair.js';
import { sign as coreSign } from '../sign.js';
import { signatureVerify as coreSignatureVerify } from '../signature-verify.js';
import { forwardedLike } from './held.js';
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

export const createKeyPair = forwardedLike(coreCreateKeyPair);
export const reKeyKeyPair = forwardedLike(coreReKeyKeyPair);
export const sign = forwardedLike(coreSign);
export const signatureVerify = forwardedLike(coreSignatureVerify);
