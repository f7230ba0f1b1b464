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
 * algorithm known → Invalid Field; another algorithm, multi-part requests → Feature Not Supported.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { CryptographicUsageMask, Tag } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { computeMac, macAlgorithm } from '../core/crypto/mac.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  checkProtect,
  checkUsage,
  refuseMultiPart,
  signatureParameters,
  storedParameters,
} from '../core/services/key-usage.js';
import {
  bytesChild,
  loadObject,
  objectTypeError,
  requirePayload,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { refuseL4Here } from '../core/services/attribute-changes.js';
import { withSymmetricKeyBytes } from '../core/services/sealed-material.js';
import { ObjectType, type ManagedObject } from '../storage-adapters/index.js';

/** The MAC key a MAC or MAC Verify names and the algorithm it is used with. */
export async function macKey(
  ctx: RequestContext,
  body: StructureItem,
): Promise<{ object: ManagedObject; algorithm: number }> {
  refuseMultiPart(body);
  const object = await loadObject(ctx, uniqueIdentifierOf(ctx, body));
  refuseL4Here(ctx, object);
  if (object.objectType !== ObjectType.SymmetricKey)
    throw objectTypeError(ctx.protocolVersion, 'MAC and MAC Verify take a Symmetric Key');
  const requested = signatureParameters(child(body, Tag.CryptographicParameters), undefined);
  const stored = signatureParameters(undefined, storedParameters(object));
  const algorithm = macAlgorithm([
    requested.cryptographicAlgorithm,
    stored.cryptographicAlgorithm,
    object.cryptographicAlgorithm,
  ]);
  return { object, algorithm };
}

export async function macData(ctx: RequestContext, payload: StructureItem | undefined): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const { object, algorithm } = await macKey(ctx, body);
  checkProtect(object);
  checkUsage(ctx, object, CryptographicUsageMask.MACGenerate, 'MAC');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const mac = await withSymmetricKeyBytes(ctx, object, 'protect', (key) => computeMac(algorithm, key, data));
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.MACData, mac)];
}

export const mac = defineOperation({
  operation: 'MAC',
  phase: 4,
  roles: ['core'],
  permission: 'mac',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey'],
  handle: versioned(macData),
});
