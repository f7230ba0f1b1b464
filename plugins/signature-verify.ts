/**
 * Signature Verify (KMIP 2.1 §6.1.51, 1.4 §4.32) at the core with a Public Key of the tenant,
 * the schemes of Sign (plugins/sign.ts). The answer is a Validity Indicator: a signature that
 * does not verify — wrong data, wrong signature, another hash, a malformed signature — is
 * Invalid, not an error. RSA-PSS accepts any salt length unless the parameters give one.
 *
 * Failure cases: unknown or foreign key → Object Not Found (1.x Item Not Found); not a Public Key →
 * Invalid Object Type (1.x Illegal Operation); Pre-Active, destroyed, or before its Process Start
 * Date → Wrong Key Lifecycle State (1.x Permission Denied); no Verify usage → Incompatible
 * Cryptographic Usage Mask (1.x Permission Denied); no Signature Data or no Data → Missing Data;
 * parameters that do not fit the key → Invalid Field; Digested Data → Feature Not Supported.
 * Verification consumes no Usage Limits (KMIP 2.1 §4.59: processing is not limited).
 *
 * Multi-part (core/services/crypto-streams.ts): Data in parts, the Signature Data on the first or
 * the last part; only the last answer carries the Validity Indicator (KMIP 2.1 §6.1.56).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { CryptographicUsageMask, Tag, ValidityIndicator } from '../core/spec/index.js';
import { child, enumeration, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { signatureScheme, verifyWith } from '../core/crypto/signatures.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { publicKeyOf } from '../core/services/asymmetric-objects.js';
import {
  checkProcess,
  checkUsage,
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
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, type ManagedObject } from '../storage-adapters/index.js';

/** The tenant's Public Key `id`, in a state that processes data, with Verify usage. */
async function verifyingKey(ctx: RequestContext, id: string): Promise<ManagedObject> {
  const object = await loadObject(ctx, id);
  refuseL4(object);
  if (object.objectType !== ObjectType.PublicKey)
    throw objectTypeError(ctx.protocolVersion, 'Signature Verify takes a Public Key');
  checkProcess(object);
  checkUsage(ctx, object, CryptographicUsageMask.Verify, 'Signature Verify');
  return object;
}

function validity(id: string, valid: boolean): TtlvItem[] {
  return [
    textString(Tag.UniqueIdentifier, id),
    enumeration(Tag.ValidityIndicator, valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid),
  ];
}

export async function verifySignature(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return servePart(ctx, body, part, VERIFY_STREAM, 'core');
  const object = await verifyingKey(ctx, uniqueIdentifierOf(ctx, body));
  const signature = bytesChild(body, Tag.SignatureData, 'Signature Data');
  if (signature === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Signature Data');
  const data = bytesChild(body, Tag.Data, 'Data');
  const digested = bytesChild(body, Tag.DigestedData, 'Digested Data');
  if (data === undefined && digested === undefined)
    throw new KryptonError('KRY_OP_MISSING_DATA', 'Data or Digested Data');
  const key = publicKeyOf(object);
  const params = signatureParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
  return validity(object.id, verifyWith(key, signatureScheme(key, params), { data, digested }, signature));
}

const VERIFY_STREAM: StreamOperation<SignatureStream> = {
  operation: 'SignatureVerify',
  protects: false,
  key: verifyingKey,
  async start(_ctx, body, object, limits) {
    if (child(body, Tag.DigestedData) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Signature Verify over Digested Data');
    const params = signatureParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
    const state = new SignatureStream(
      signatureScheme(publicKeyOf(object), params),
      'verify',
      limits.maxStreamBufferedBytes,
    );
    state.presented = bytesChild(body, Tag.SignatureData, 'Signature Data');
    return state;
  },
  update: (state, data) => state.update(data),
  async finish(_ctx, state, body, object) {
    const signature = bytesChild(body, Tag.SignatureData, 'Signature Data') ?? state.presented;
    if (signature === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Signature Data');
    return { items: validity(object.id, state.verify(publicKeyOf(object), signature)).slice(1) };
  },
};

export { cryptoStreamsPlugin as kryptonPlugin };

export const signatureVerify = defineOperation({
  operation: 'SignatureVerify',
  phase: 4,
  roles: ['core'],
  permission: 'signature-verify',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['PublicKey'],
  handle: versioned(verifySignature),
});
