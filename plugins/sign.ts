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
 * not fit the key → Invalid Field; a scheme Krypton does not offer → Feature Not Supported; the
 * key's Usage Limits exhausted → Permission Denied (KMIP 2.1 §6.1.55: an allocation is obtained
 * for every signature; Unit Byte counts the bytes signed, Unit Object one per signature).
 *
 * Multi-part (core/services/crypto-streams.ts): Data in parts, the Signature Data on the last
 * answer. RSA and ECDSA hash the parts as they come; Ed25519, one-shot, buffers them (at most
 * `limits.maxStreamBufferedBytes`); Digested Data is single-part. The key is checked on every part.
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
  consumeProtectUsage,
  signatureParameters,
  storedParameters,
} from '../core/services/key-usage.js';
import {
  cryptoStreamsPlugin,
  servePart,
  streamPartOf,
  type StreamOperation,
} from '../core/services/crypto-streams.js';
import { SignatureStream } from '../core/services/stream-ciphers.js';
import {
  bytesChild,
  loadObject,
  objectTypeError,
  refuseL4,
  requirePayload,
  servicesOf,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, type ManagedObject } from '../storage-adapters/index.js';

/** The tenant's Private Key `id`, Active, before its Protect Stop Date, with Sign usage. */
async function signingKey(ctx: RequestContext, id: string): Promise<ManagedObject> {
  const object = await loadObject(ctx, id);
  refuseL4(object);
  if (object.objectType !== ObjectType.PrivateKey)
    throw objectTypeError(ctx.protocolVersion, 'Sign takes a Private Key');
  checkProtect(object);
  checkUsage(ctx, object, CryptographicUsageMask.Sign, 'Sign');
  return object;
}

export async function signData(ctx: RequestContext, payload: StructureItem | undefined): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return servePart(ctx, body, part, SIGN_STREAM, 'core');
  const object = await signingKey(ctx, uniqueIdentifierOf(ctx, body));
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
  // Consumed once the signature exists and before it leaves: a failed Sign consumes nothing.
  const signed = (data ?? digested)!.length;
  await consumeProtectUsage(servicesOf(ctx).store, ctx.tenant, object, signed);
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.SignatureData, signature)];
}

const SIGN_STREAM: StreamOperation<SignatureStream> = {
  operation: 'Sign',
  protects: true,
  key: signingKey,
  async start(ctx, body, object, limits) {
    if (child(body, Tag.DigestedData) !== undefined)
      throw new KryptonError('KRY_OP_STREAMING', 'Digested Data is single-part');
    const params = signatureParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
    const scheme = await withPrivateKey(ctx, object, (key) => signatureScheme(key, params));
    return new SignatureStream(scheme, 'sign', limits.maxStreamBufferedBytes);
  },
  update: (state, data) => state.update(data),
  async finish(ctx, state, _body, object) {
    const signature = await withPrivateKey(ctx, object, (key) => state.sign(key));
    return { items: [byteString(Tag.SignatureData, signature)] };
  },
};

export { cryptoStreamsPlugin as kryptonPlugin };

export const sign = defineOperation({
  operation: 'Sign',
  phase: 4,
  roles: ['core'],
  permission: 'sign',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['PrivateKey'],
  handle: versioned(signData),
});
