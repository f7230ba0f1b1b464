/**
 * Encrypt at the gateway (KMIP 2.1 §6.1.17, 1.4 §4.29) — e.g. wrapping a DEK under an L3: with a
 * cached L3 or a local L4 here, else at the core (see crypto.ts). Failure cases as the core's.
 *
 * Multi-part requests (Init Indicator, Correlation Value, Final Indicator): a stream on a local
 * L4 is served here, its state in this process's table (core/services/crypto-streams.ts) bound to
 * the vault; every other stream — on a cached L3 too — is forwarded to the core part by part and
 * kept there, where the key's lifecycle and Usage Limits are owned (docs/gateway.md).
 */
import { defineOperation, type RequestContext } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf, vaultContext } from '../../core/gateway/index.js';
import { checkProcess, checkProtect, keyViewOf } from '../../core/gateway/key-use.js';
import { KryptonError } from '../../core/errors.js';
import { BlockCipherMode } from '../../core/spec/index.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import {
  cryptoStreamsPlugin,
  servePart,
  streamPartOf,
  streamsOf,
  type StreamPart,
} from '../../core/services/crypto-streams.js';
import type { ManagedObject } from '../../storage-adapters/index.js';
import { encryptStreamOperation } from '../encrypt.js';
import { decryptStreamOperation } from '../decrypt.js';
import { routeCrypto } from './crypto.js';
import { GATEWAY_SERVICES_PLUGIN, idOf, local, localL4, unwrapL4 } from './routing.js';

/** An L4 of the vault checked for a stream (multi-part is GCM, CBC or ECB: Encrypt or Decrypt usage). */
async function streamL4(
  request: RequestContext,
  id: string,
  operation: 'Encrypt' | 'Decrypt',
): Promise<ManagedObject> {
  const object = await localL4(request, id);
  if (object === undefined) throw new KryptonError('KRY_STORE_NOT_FOUND');
  const check = operation === 'Encrypt' ? checkProtect : checkProcess;
  check(keyViewOf(object), BlockCipherMode.GCM, request.protocolVersion);
  return object;
}

/** Lends an L4's bytes, unwrapped with the request's own context (held.ts), zeroed after `use`. */
function withL4<T>(request: RequestContext) {
  return async (_vault: RequestContext, object: ManagedObject, use: (key: Buffer) => T): Promise<T> => {
    const key = await unwrapL4(request, object);
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  };
}

/** Serves a part of a stream on a local L4 (`id`: the key of a first part). */
function serveL4Part(
  request: RequestContext,
  operation: 'Encrypt' | 'Decrypt',
  payload: StructureItem,
  part: StreamPart,
  id?: string,
): Promise<TtlvItem[]> {
  const key = (_vault: RequestContext, keyId: string) => streamL4(request, keyId, operation);
  const vault = vaultContext(request);
  return local(request, () =>
    operation === 'Encrypt'
      ? servePart(vault, payload, part, encryptStreamOperation(key, withL4(request)), 'vault', id)
      : servePart(vault, payload, part, decryptStreamOperation(key, withL4(request)), 'vault', id),
  );
}

/** One part of a multi-part Encrypt or Decrypt: here for a stream on a local L4, else at the core. */
export async function routeCryptoPart(
  ctx: RequestContext,
  operation: 'Encrypt' | 'Decrypt',
  payload: StructureItem,
  part: StreamPart,
): Promise<StructureItem | TtlvItem[] | undefined> {
  // The table exists on the request's services before a vault context copies them.
  const streams = streamsOf(ctx);
  if (part.correlation !== undefined) {
    if (streams.siteOf(ctx, part.correlation) === 'vault') return serveL4Part(ctx, operation, payload, part);
  } else {
    const id = idOf(ctx, payload);
    if (id !== undefined && (await localL4(ctx, id)) !== undefined)
      return serveL4Part(ctx, operation, payload, part, id);
  }
  return forwardItem(gatewayOf(ctx).delegate, ctx, operation, payload);
}

/** Single-part requests take the hot path (crypto.ts) untouched; a multi-part one is routed as a stream. */
export function cryptoHandler(operation: 'Encrypt' | 'Decrypt') {
  return (ctx: RequestContext, payload: StructureItem | undefined) => {
    const part = payload === undefined ? undefined : streamPartOf(payload);
    return part === undefined
      ? routeCrypto(ctx, operation, payload)
      : routeCryptoPart(ctx, operation, payload!, part);
  };
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const encrypt = defineOperation({
  operation: 'Encrypt',
  phase: 1,
  roles: ['gateway'],
  permission: 'encrypt',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  handle: cryptoHandler('Encrypt'),
});
