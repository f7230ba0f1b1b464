/**
 * Decrypt (KMIP 2.1 §6.1.13, 1.4 §4.30) at the core with an L2 or L3 AES key, or with an RSA
 * Private Key (RSAES-OAEP; any decoding failure is one Cryptographic Failure). A key replaced by
 * Rekey still decrypts (old version decrypt-only), and so do Deactivated and Compromised keys
 * (KMIP 2.1 §3.x: they may still process protected data); Pre-Active and destroyed keys do
 * not, nor a key before its Process Start Date. Usage Decrypt (Unwrap Key for the key wrap modes).
 *
 * Failure cases: as Encrypt; a wrong tag, padding or wrapped value → Cryptographic Failure;
 * GCM without IV or tag → Missing Data.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { cipherParameters, decryptWith, isKeyWrapMode } from '../core/services/cipher.js';
import { withSymmetricKey } from '../core/services/key-material.js';
import {
  bytesChild,
  requirePayload,
  usageMaskError,
  usageMaskOf,
  Usage,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, State, type ManagedObject } from '../storage-adapters/index.js';
import { withPrivateKey } from '../core/services/asymmetric-objects.js';
import {
  checkProcess,
  checkUsage,
  rsaEncryptionParameters,
  storedParameters,
} from '../core/services/key-usage.js';
import { rsaDecrypt } from '../core/crypto/rsa-encryption.js';
import { cryptoKey, refuseStreaming } from './encrypt.js';

const PROCESSING_STATES: readonly number[] = [State.Active, State.Deactivated, State.Compromised];

/** RSAES-OAEP with a Private Key: a state that processes data, with Decrypt usage. */
async function decryptWithPrivateKey(
  ctx: RequestContext,
  body: StructureItem,
  object: ManagedObject,
): Promise<TtlvItem[]> {
  checkProcess(object);
  checkUsage(ctx, object, Usage.Decrypt, 'Decrypt');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const params = rsaEncryptionParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
  const plain = await withPrivateKey(ctx, object, (key) => rsaDecrypt(key, params, data));
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.Data, plain)];
}

export async function decryptData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  refuseStreaming(body);
  const object = await cryptoKey(ctx, body, ObjectType.PrivateKey);
  if (object.objectType === ObjectType.PrivateKey) return decryptWithPrivateKey(ctx, body, object);
  if (!PROCESSING_STATES.includes(object.state))
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key cannot process data in its state');
  if (object.dates.ProcessStartDate !== undefined && object.dates.ProcessStartDate > new Date())
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Process Start Date has not come');
  const params = cipherParameters(
    child(body, Tag.CryptographicParameters),
    object.attributes.find((a) => a.name === 'CryptographicParameters')?.value,
  );
  const mask = usageMaskOf(object);
  const needed = isKeyWrapMode(params.mode) ? Usage.UnwrapKey | Usage.Decrypt : Usage.Decrypt;
  if ((mask & needed) === 0) throw usageMaskError(ctx.protocolVersion, 'Decrypt');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const input = {
    data,
    iv: bytesChild(body, Tag.IVCounterNonce, 'IV/Counter/Nonce'),
    aad: bytesChild(
      body,
      Tag.AuthenticatedEncryptionAdditionalData,
      'Authenticated Encryption Additional Data',
    ),
    tag: bytesChild(body, Tag.AuthenticatedEncryptionTag, 'Authenticated Encryption Tag'),
  };
  // The L2 path of the hierarchy refuses what it cannot process; L3 state was checked above.
  const plain = await withSymmetricKey(ctx, object, 'process', (key) => decryptWith(key, params, input));
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.Data, plain)];
}

export const decrypt = defineOperation({
  operation: 'Decrypt',
  phase: 1,
  roles: ['core'],
  permission: 'decrypt',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(decryptData),
});
