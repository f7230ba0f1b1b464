/**
 * Decrypt (KMIP 2.1 §6.1.13, 1.4 §4.30) at the core with an L2 or L3 AES key, or with an RSA
 * Private Key (RSAES-OAEP; any decoding failure is one Cryptographic Failure). A key replaced by
 * Rekey still decrypts (old version decrypt-only), and so do Deactivated and Compromised keys
 * (KMIP 2.1 §3.x: they may still process protected data); Pre-Active and destroyed keys do
 * not, nor a key before its Process Start Date. Usage Decrypt (Unwrap Key for the key wrap modes).
 *
 * Failure cases: as Encrypt; a wrong tag, padding or wrapped value → Cryptographic Failure;
 * GCM without IV or tag → Missing Data.
 *
 * Multi-part (core/services/crypto-streams.ts): AES in GCM, CBC or ECB; IV, AAD and (KMIP 2.1
 * §6.1.11) the GCM tag on the first part — or the tag on the final part. CBC and ECB answer
 * their plaintext part by part; GCM holds it (at most `limits.maxStreamBufferedBytes`) until the
 * final part has checked the tag, so no unauthenticated plaintext leaves. Decrypt consumes no
 * Usage Limits (KMIP 2.1 §4.59: processing is not limited).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  cipherParameters,
  decryptWith,
  isKeyWrapMode,
  type CipherParameters,
} from '../core/services/cipher.js';
import {
  cryptoStreamsPlugin,
  servePart,
  streamPartOf,
  type LendKey,
  type StreamKey,
  type StreamOperation,
} from '../core/services/crypto-streams.js';
import { startDecryptStream, type DecryptStream } from '../core/services/stream-ciphers.js';
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
import { cryptoKey, cryptoKeyById, encryptStreamInput } from './encrypt.js';

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

/** An AES key decrypts in a state that processes data, from its Process Start Date. */
function checkDecryptState(object: ManagedObject): void {
  if (!PROCESSING_STATES.includes(object.state))
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key cannot process data in its state');
  if (object.dates.ProcessStartDate !== undefined && object.dates.ProcessStartDate > new Date())
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Process Start Date has not come');
}

function decryptParameters(
  ctx: RequestContext,
  body: StructureItem,
  object: ManagedObject,
): CipherParameters {
  const params = cipherParameters(
    child(body, Tag.CryptographicParameters),
    object.attributes.find((a) => a.name === 'CryptographicParameters')?.value,
  );
  const needed = isKeyWrapMode(params.mode) ? Usage.UnwrapKey | Usage.Decrypt : Usage.Decrypt;
  if ((usageMaskOf(object) & needed) === 0) throw usageMaskError(ctx.protocolVersion, 'Decrypt');
  return params;
}

function tagOf(body: StructureItem): Uint8Array | undefined {
  return bytesChild(body, Tag.AuthenticatedEncryptionTag, 'Authenticated Encryption Tag');
}

export async function decryptData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return servePart(ctx, body, part, CORE_DECRYPT_STREAM, 'core');
  const object = await cryptoKey(ctx, body, ObjectType.PrivateKey);
  if (object.objectType === ObjectType.PrivateKey) return decryptWithPrivateKey(ctx, body, object);
  checkDecryptState(object);
  const params = decryptParameters(ctx, body, object);
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const input = { data, ...encryptStreamInput(body), tag: tagOf(body) };
  // The L2 path of the hierarchy refuses what it cannot process; L3 state was checked above.
  const plain = await withSymmetricKey(ctx, object, 'process', (key) => decryptWith(key, params, input));
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.Data, plain)];
}

/**
 * The Decrypt stream of `key(ctx, id)` — the core's store here, a gateway's vault there — whose
 * AES key bytes `withKey` lends for the first part.
 */
export function decryptStreamOperation(
  key: StreamKey,
  withKey: LendKey<DecryptStream>,
): StreamOperation<DecryptStream> {
  return {
    operation: 'Decrypt',
    protects: false,
    key,
    async start(ctx, body, object, limits) {
      const params = decryptParameters(ctx, body, object);
      const input = { ...encryptStreamInput(body), tag: tagOf(body) };
      return withKey(ctx, object, (k) => startDecryptStream(k, params, input, limits.maxStreamBufferedBytes));
    },
    update: (state, data) => state.update(data),
    async finish(_ctx, state, body) {
      return { data: state.finish(tagOf(body)), items: [] };
    },
  };
}

const CORE_DECRYPT_STREAM = decryptStreamOperation(
  async (ctx, id) => {
    const object = await cryptoKeyById(ctx, id, ObjectType.PrivateKey);
    if (object.objectType === ObjectType.PrivateKey)
      throw new KryptonError('KRY_OP_STREAMING', 'RSA decryption is single-part');
    checkDecryptState(object);
    if ((usageMaskOf(object) & Usage.Decrypt) === 0) throw usageMaskError(ctx.protocolVersion, 'Decrypt');
    return object;
  },
  (ctx, object, use) => withSymmetricKey(ctx, object, 'process', use),
);

export { cryptoStreamsPlugin as kryptonPlugin };

export const decrypt = defineOperation({
  operation: 'Decrypt',
  phase: 1,
  roles: ['core'],
  permission: 'decrypt',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(decryptData),
});
