/**
 * MAC and MAC Verify at the gateway (KMIP 2.1 §6.1.32-33, 1.4 §4.33-34): an L4 of the vault whose
 * usage mask allows it (an AES key: CMAC) is used here by the core's own logic (plugins/mac.ts,
 * plugins/mac-verify.ts) over a vault context — key and algorithm chosen, state, usage and Usage
 * Limits checked and consumed in the vault — the key unwrapped under its L3 for a moment and
 * zeroed after use. Multi-part requests on an L4 keep their stream here (a later part that names
 * no key finds it by its Correlation Value); any other key (an HMAC key is the core's) and any
 * other stream at the core.
 */
import { vaultContext } from '../../core/gateway/index.js';
import { defineOperation, type DefinedOperation } from '../../core/dispatch/operation.js';
import type { RequestContext } from '../../core/dispatch/operation.js';
import { Tag } from '../../core/spec/index.js';
import { child } from '../../core/ttlv/tree.js';
import { cryptoStreamsPlugin, streamsOf } from '../../core/services/crypto-streams.js';
import { mac as coreMac, macData, type WithMacKey } from '../mac.js';
import { macVerify as coreMacVerify, verifyMacData } from '../mac-verify.js';
import { heldLike, type ServeOnVault } from './held.js';
import { local, unwrapL4 } from './routing.js';

/** The bytes of an L4, unwrapped with the request's own context (see held.ts), zeroed after `use`. */
function l4Key(request: RequestContext): WithMacKey {
  return async (_vault, object, use) => {
    const key = await unwrapL4(request, object);
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  };
}

/** `heldLike`, and a part carrying the Correlation Value of a stream held here is served here. */
function heldWithStreams(core: DefinedOperation, serve: ServeOnVault): DefinedOperation {
  const held = heldLike(core, serve);
  return defineOperation({
    ...held,
    handle: (ctx, payload) => {
      // The table exists on the request's services before a vault context copies them.
      const streams = streamsOf(ctx);
      const correlation = child(payload, Tag.CorrelationValue);
      if (correlation?.type === 'ByteString' && streams.siteOf(ctx, correlation.value) === 'vault')
        return local(ctx, () => serve(vaultContext(ctx), payload, ctx));
      return held.handle(ctx, payload);
    },
  });
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const mac = heldWithStreams(coreMac, (vault, payload, request) =>
  macData(vault, payload, l4Key(request), 'vault'),
);
export const macVerify = heldWithStreams(coreMacVerify, (vault, payload, request) =>
  verifyMacData(vault, payload, l4Key(request), 'vault'),
);
