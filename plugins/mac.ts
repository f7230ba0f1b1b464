/**
 * MAC (KMIP 2.1 §6.1.28, 1.4 §4.33) at the core with a Symmetric Key of the tenant: HMAC-SHA-1,
 * SHA-224, SHA-256, SHA-384, SHA-512 (RFC 2104) or CMAC-AES (RFC 4493). The algorithm is the
 * Cryptographic Algorithm of the request's Cryptographic Parameters, else of the key's
 * Cryptographic Parameters attribute, else the key's own (an HMAC key; AES means CMAC). The key
 * is an L3 or L2 (AES, through the hierarchy) or a sealed key outside it (an HMAC key).
 *
 * Failure cases: unknown or foreign key → Object Not Found (1.x Item Not Found); an L4 → Permission
 * Denied; not a Symmetric Key → Invalid Object Type (1.x Illegal Operation); not Active or past its
 * Protect Stop Date → Wrong Key Lifecycle State (1.x Permission Denied); no MAC Generate usage →
 * Incompatible Cryptographic Usage Mask (1.x Permission Denied); no Data → Missing Data; no MAC
 * algorithm known → Invalid Field; another algorithm → Feature Not Supported; the key's Usage
 * Limits exhausted → Permission Denied (KMIP 2.1 §4.59: a MAC applies protection; Unit Byte counts
 * the bytes, Unit Object one per MAC).
 *
 * Multi-part (core/services/crypto-streams.ts): Data in parts, the algorithm from the first part,
 * the MAC Data on the last answer (HMAC incrementally; CMAC holding back only its last block).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { CryptographicUsageMask, Tag, ValidityIndicator } from '../core/spec/index.js';
import { byteString, child, enumeration, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { computeMac, macAlgorithm } from '../core/crypto/mac.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  checkProcess,
  checkProtect,
  checkUsage,
  consumeProtectUsage,
  signatureParameters,
  storedParameters,
} from '../core/services/key-usage.js';
import {
  cryptoStreamsPlugin,
  servePart,
  streamPartOf,
  type StreamOperation,
  type StreamSite,
} from '../core/services/crypto-streams.js';
import { MacStream } from '../core/services/stream-ciphers.js';
import {
  bytesChild,
  loadObject,
  objectTypeError,
  requirePayload,
  servicesOf,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { refuseL4Here } from '../core/services/attribute-changes.js';
import { withSymmetricKeyBytes } from '../core/services/sealed-material.js';
import { ObjectType, type ManagedObject } from '../storage-adapters/index.js';

/** The tenant's MAC key `id`: a Symmetric Key (an L4 only where the store holds them). */
export async function macObject(ctx: RequestContext, id: string): Promise<ManagedObject> {
  const object = await loadObject(ctx, id);
  refuseL4Here(ctx, object);
  if (object.objectType !== ObjectType.SymmetricKey)
    throw objectTypeError(ctx.protocolVersion, 'MAC and MAC Verify take a Symmetric Key');
  return object;
}

/** The MAC algorithm of a request on `object`: its parameters, else the key's attribute, else the key's own. */
export function macAlgorithmFor(body: StructureItem, object: ManagedObject): number {
  const requested = signatureParameters(child(body, Tag.CryptographicParameters), undefined);
  const stored = signatureParameters(undefined, storedParameters(object));
  return macAlgorithm([
    requested.cryptographicAlgorithm,
    stored.cryptographicAlgorithm,
    object.cryptographicAlgorithm,
  ]);
}

/** The MAC key a single-part MAC or MAC Verify names and the algorithm it is used with. */
export async function macKey(
  ctx: RequestContext,
  body: StructureItem,
): Promise<{ object: ManagedObject; algorithm: number }> {
  const object = await macObject(ctx, uniqueIdentifierOf(ctx, body));
  return { object, algorithm: macAlgorithmFor(body, object) };
}

/** The MAC key `id`, checked to generate (protect) or to verify (process) a MAC. */
export async function macKeyFor(
  ctx: RequestContext,
  id: string,
  use: 'MAC' | 'MAC Verify',
): Promise<ManagedObject> {
  const object = await macObject(ctx, id);
  checkMacUse(ctx, object, use);
  return object;
}

/** State and usage: generating protects (Active), verifying processes (Active, Deactivated, Compromised). */
export function checkMacUse(ctx: RequestContext, object: ManagedObject, use: 'MAC' | 'MAC Verify'): void {
  if (use === 'MAC') {
    checkProtect(object);
    checkUsage(ctx, object, CryptographicUsageMask.MACGenerate, use);
  } else {
    checkProcess(object);
    checkUsage(ctx, object, CryptographicUsageMask.MACVerify, use);
  }
}

/** Lends the bytes of a MAC key for a moment (`use` must not keep them). */
export type WithMacKey = <T>(
  ctx: RequestContext,
  object: ManagedObject,
  use: (key: Buffer) => T,
) => Promise<T>;

/** The core's keys: L2/L3 through the hierarchy, sealed HMAC keys outside it. */
export function coreMacKey(usage: 'protect' | 'process'): WithMacKey {
  return (ctx, object, use) => withSymmetricKeyBytes(ctx, object, usage, use);
}

export async function macData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
  withKey: WithMacKey = coreMacKey('protect'),
  site: StreamSite = 'core',
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return servePart(ctx, body, part, macStream('MAC', withKey), site);
  const { object, algorithm } = await macKey(ctx, body);
  checkMacUse(ctx, object, 'MAC');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const mac = await withKey(ctx, object, (key) => computeMac(algorithm, key, data));
  // Consumed once the MAC exists and before it leaves: a failed MAC consumes nothing.
  await consumeProtectUsage(servicesOf(ctx).store, ctx.tenant, object, data.length);
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.MACData, mac)];
}

/** A MAC or MAC Verify stream over the keys `withKey` lends. */
export function macStream(use: 'MAC' | 'MAC Verify', withKey: WithMacKey): StreamOperation<MacStream> {
  return {
    operation: use === 'MAC' ? 'MAC' : 'MACVerify',
    protects: use === 'MAC',
    key: (ctx, id) => macKeyFor(ctx, id, use),
    async start(ctx, body, object) {
      const algorithm = macAlgorithmFor(body, object);
      const state = await withKey(ctx, object, (key) => new MacStream(algorithm, key));
      state.presented = bytesChild(body, Tag.MACData, 'MAC Data');
      return state;
    },
    update: (state, data) => state.update(data),
    async finish(_ctx, state, body) {
      if (use === 'MAC') return { items: [byteString(Tag.MACData, state.digest())] };
      const presented = bytesChild(body, Tag.MACData, 'MAC Data') ?? state.presented;
      if (presented === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'MAC Data');
      const valid = state.matches(presented);
      return {
        items: [
          enumeration(Tag.ValidityIndicator, valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid),
        ],
      };
    },
  };
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const mac = defineOperation({
  operation: 'MAC',
  phase: 4,
  roles: ['core'],
  permission: 'mac',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey'],
  handle: versioned((ctx, payload) => macData(ctx, payload)),
});
