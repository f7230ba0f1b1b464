/**
 * Sign (KMIP 2.1 §6.1.49, 1.4 §4.31) at the core with a Private Key of the tenant: RSASSA-PKCS1-
 * v1_5 and RSASSA-PSS, ECDSA on P-256/384/521 (DER signature), Ed25519. The scheme comes from
 * the request's Cryptographic Parameters, else the key's Cryptographic Parameters attribute,
 * else the key's kind (RSA: PKCS#1 v1.5 with SHA-256; EC: ECDSA with SHA-256; Ed25519: pure).
 * Data is the message; Digested Data (already hashed) is signed with RSA PKCS#1 v1.5 only.
 *
 * Failure cases: unknown or foreign key → Object Not Found (1.x Item Not Found); not a Private Key
 * → Invalid Object Type (1.x Illegal Operation); not Active or past its Protect Stop Date → Wrong
 * Key Lifecycle State (1.x Permission Denied); no Sign usage → Incompatible Cryptographic Usage
 * Mask (1.x Permission Denied); neither Data nor Digested Data → Missing Data; parameters that do
 * not fit the key → Invalid Field; a scheme Krypton does not offer, or multi-part (Init/Final
 * Indicator) requests → Feature Not Supported.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { CryptographicUsageMask, Tag } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { signatureScheme, signWith } from '../core/crypto/signatures.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { withPrivateKey } from '../core/services/asymmetric-objects.js';
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
  refuseL4,
  requirePayload,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { ObjectType } from '../storage-adapters/index.js';

export async function signData(ctx: RequestContext, payload: StructureItem | undefined): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  refuseMultiPart(body);
  const object = await loadObject(ctx, uniqueIdentifierOf(ctx, body));
  refuseL4(object);
  if (object.objectType !== ObjectType.PrivateKey)
    throw objectTypeError(ctx.protocolVersion, 'Sign takes a Private Key');
  checkProtect(object);
  checkUsage(ctx, object, CryptographicUsageMask.Sign, 'Sign');
  const data = bytesChild(body, Tag.Data, 'Data');
  const digested = bytesChild(body, Tag.DigestedData, 'Digested Data');
  if (data === undefined && digested === undefined)
    throw new KryptonError('KRY_OP_MISSING_DATA', 'Data or Digested Data');
  if (data !== undefined && digested !== undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'give Data or Digested Data, not both');
  const params = signatureParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
  const signature = await withPrivateKey(ctx, object, (key) =>
    signWith(key, signatureScheme(key, params), { data, digested }),
  );
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.SignatureData, signature)];
}

export const sign = defineOperation({
  operation: 'Sign',
  phase: 4,
  roles: ['core'],
  permission: 'sign',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['PrivateKey'],
  handle: versioned(signData),
});
