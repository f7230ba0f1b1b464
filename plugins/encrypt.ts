/**
 * Encrypt (KMIP 2.1 §6.1.18, 1.4 §4.29) at the core with an L2 or L3 AES key (L4 keys are the
 * gateway's), or with an RSA Public Key (RSAES-OAEP, core/crypto/rsa-encryption.ts; CS-AC-M-OAEP).
 * Cryptographic Parameters come from the request, else from the key's attribute,
 * else AES-GCM; see core/services/cipher.ts for the modes. A generated IV is returned; GCM
 * returns its tag (Authenticated Encryption Tag, KMIP 1.4+). The key must be Active, before its
 * Protect Stop Date, not replaced by Rekey (decrypt only), with Encrypt usage (Wrap Key for the
 * key wrap modes). Usage Limits (KMIP 2.1 §4.63) are consumed once the data is protected.
 *
 * Failure cases: unknown or foreign key → Object Not Found (1.x Item Not Found); an L4 → Permission
 * Denied; not a Symmetric Key → Invalid Object Type (1.x Illegal Operation); state, Protect Stop
 * Date or replacement → Wrong Key Lifecycle State; usage → Incompatible Cryptographic Usage Mask
 * (1.x Permission Denied); bad parameters → Invalid Field; unimplemented mode → Feature Not
 * Supported; Usage Limits exhausted → Permission Denied (KMIP 2.1 §6.1.17, as the Profiles'
 * CS-BC-M-7 cases expect).
 *
 * Multi-part (Init Indicator, Correlation Value, Final Indicator; core/services/crypto-streams.ts):
 * AES in GCM, CBC or ECB; the IV and AAD come with the first part, the GCM tag with the last
 * answer; every part checks the key again and consumes its Usage Limits. RSA and the key wrap
 * modes are single-part (Feature Not Supported); an unknown, foreign, expired or finished
 * Correlation Value → Invalid Correlation Value (1.x Item Not Found); over the stream bounds →
 * Permission Denied.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { BlockCipherMode, Tag, tagInVersion } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  cipherParameters,
  encryptWith,
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
  type StreamPart,
} from '../core/services/crypto-streams.js';
import { startEncryptStream, type EncryptStream } from '../core/services/stream-ciphers.js';
import { withSymmetricKey } from '../core/services/key-material.js';
import { publicKeyOf } from '../core/services/asymmetric-objects.js';
import {
  checkProtect,
  checkUsage,
  consumeProtectUsage,
  rsaEncryptionParameters,
  storedParameters,
} from '../core/services/key-usage.js';
import { rsaEncrypt } from '../core/crypto/rsa-encryption.js';
import {
  bytesChild,
  linkOf,
  loadObject,
  objectTypeError,
  refuseL4,
  servicesOf,
  requirePayload,
  uniqueIdentifierOf,
  usageMaskError,
  usageMaskOf,
  Usage,
  versioned,
} from '../core/services/objects.js';
import { LinkType, ObjectType, State, type ManagedObject } from '../storage-adapters/index.js';

/**
 * The key an Encrypt or Decrypt names, with the checks both share: a Symmetric Key, or the RSA
 * key of the given asymmetric type (a Public Key encrypts, a Private Key decrypts).
 */
export async function cryptoKey(
  ctx: RequestContext,
  payload: StructureItem,
  asymmetric?: ObjectType,
): Promise<ManagedObject> {
  return cryptoKeyById(ctx, uniqueIdentifierOf(ctx, payload), asymmetric);
}

/** cryptoKey for the key `id` (the key of a stream). */
export async function cryptoKeyById(
  ctx: RequestContext,
  id: string,
  asymmetric?: ObjectType,
): Promise<ManagedObject> {
  const object = await loadObject(ctx, id);
  refuseL4(object);
  if (object.objectType !== ObjectType.SymmetricKey && object.objectType !== asymmetric)
    throw objectTypeError(
      ctx.protocolVersion,
      asymmetric === ObjectType.PublicKey
        ? 'Encrypt takes a Symmetric Key or a Public Key'
        : asymmetric === ObjectType.PrivateKey
          ? 'Decrypt takes a Symmetric Key or a Private Key'
          : 'Encrypt and Decrypt take a Symmetric Key',
    );
  return object;
}

/** RSAES-OAEP to a Public Key: Active, before its Protect Stop Date, with Encrypt usage. */
async function encryptToPublicKey(
  ctx: RequestContext,
  body: StructureItem,
  object: ManagedObject,
): Promise<TtlvItem[]> {
  checkProtect(object);
  checkUsage(ctx, object, Usage.Encrypt, 'Encrypt');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  if (child(body, Tag.IVCounterNonce) !== undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'RSA encryption takes no IV/Counter/Nonce');
  const params = rsaEncryptionParameters(child(body, Tag.CryptographicParameters), storedParameters(object));
  const out = rsaEncrypt(publicKeyOf(object), params, data);
  await consumeProtectUsage(servicesOf(ctx).store, ctx.tenant, object, data.length);
  return [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.Data, out)];
}

/** An AES key encrypts while Active, before its Protect Stop Date, and not replaced by Rekey. */
function checkEncryptState(object: ManagedObject): void {
  if (object.state !== State.Active)
    throw new KryptonError(
      'KRY_KEY_UNUSABLE',
      object.state === State.Compromised ? 'a Compromised key does not encrypt' : 'the key is not Active',
    );
  if (object.dates.ProtectStopDate !== undefined && object.dates.ProtectStopDate <= new Date())
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Protect Stop Date has passed: decrypt only');
  if (linkOf(object, LinkType.ReplacementObjectLink) !== undefined)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key was replaced by Rekey: decrypt only');
}

/** Encrypt usage (and Wrap Key for the key wrap modes). */
function checkEncryptUsage(ctx: RequestContext, object: ManagedObject, mode: number): void {
  const needed = isKeyWrapMode(mode) ? Usage.WrapKey | Usage.Encrypt : Usage.Encrypt;
  if ((usageMaskOf(object) & needed) === 0) throw usageMaskError(ctx.protocolVersion, 'Encrypt');
}

function encryptParameters(
  ctx: RequestContext,
  body: StructureItem,
  object: ManagedObject,
): CipherParameters {
  const params = cipherParameters(
    child(body, Tag.CryptographicParameters),
    object.attributes.find((a) => a.name === 'CryptographicParameters')?.value,
  );
  checkEncryptUsage(ctx, object, params.mode);
  if (
    params.mode === BlockCipherMode.GCM &&
    !tagInVersion(Tag.AuthenticatedEncryptionTag, ctx.protocolVersion)
  )
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'GCM needs KMIP 1.4 or later (Authenticated Encryption Tag)',
    );
  return params;
}

export async function encryptData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return encryptPart(ctx, body, part);
  const object = await cryptoKey(ctx, body, ObjectType.PublicKey);
  if (object.objectType === ObjectType.PublicKey) return encryptToPublicKey(ctx, body, object);
  checkEncryptState(object);
  const params = encryptParameters(ctx, body, object);
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const iv = bytesChild(body, Tag.IVCounterNonce, 'IV/Counter/Nonce');
  const aad = bytesChild(
    body,
    Tag.AuthenticatedEncryptionAdditionalData,
    'Authenticated Encryption Additional Data',
  );
  const out = await withSymmetricKey(ctx, object, 'protect', (key) =>
    encryptWith(key, params, { data, iv, aad }),
  );
  await consumeProtectUsage(servicesOf(ctx).store, ctx.tenant, object, data.length);
  const items: TtlvItem[] = [textString(Tag.UniqueIdentifier, object.id), byteString(Tag.Data, out.data)];
  if (out.generatedIv) items.push(byteString(Tag.IVCounterNonce, out.generatedIv));
  if (out.tag) items.push(byteString(Tag.AuthenticatedEncryptionTag, out.tag));
  return items;
}

/** The first part's IV and AAD (KMIP 2.1 §6.1.17: AAD "MUST be supplied on the initial" request). */
export function encryptStreamInput(body: StructureItem): {
  iv: Uint8Array | undefined;
  aad: Uint8Array | undefined;
} {
  return {
    iv: bytesChild(body, Tag.IVCounterNonce, 'IV/Counter/Nonce'),
    aad: bytesChild(
      body,
      Tag.AuthenticatedEncryptionAdditionalData,
      'Authenticated Encryption Additional Data',
    ),
  };
}

/**
 * The Encrypt stream of `key(ctx, id)` — the core's store here, a gateway's vault there — whose
 * AES key bytes `withKey` lends for the first part.
 */
export function encryptStreamOperation(
  key: StreamKey,
  withKey: LendKey<EncryptStream>,
): StreamOperation<EncryptStream> {
  return {
    operation: 'Encrypt',
    protects: true,
    key,
    async start(ctx, body, object) {
      const params = encryptParameters(ctx, body, object);
      const input = encryptStreamInput(body);
      return withKey(ctx, object, (k) => startEncryptStream(k, params, input));
    },
    update: (state, data) => state.update(data),
    async finish(_ctx, state) {
      const { data, tag } = state.finish();
      return { data, items: tag ? [byteString(Tag.AuthenticatedEncryptionTag, tag)] : [] };
    },
    first: (state) => (state.generatedIv ? [byteString(Tag.IVCounterNonce, state.generatedIv)] : []),
  };
}

const CORE_ENCRYPT_STREAM = encryptStreamOperation(
  async (ctx, id) => {
    const object = await cryptoKeyById(ctx, id, ObjectType.PublicKey);
    if (object.objectType === ObjectType.PublicKey)
      throw new KryptonError('KRY_OP_STREAMING', 'RSA encryption is single-part');
    checkEncryptState(object);
    // Multi-part is AES in GCM, CBC or ECB: Encrypt usage (a key wrap mode is refused at start).
    checkEncryptUsage(ctx, object, BlockCipherMode.GCM);
    return object;
  },
  (ctx, object, use) => withSymmetricKey(ctx, object, 'protect', use),
);

function encryptPart(ctx: RequestContext, body: StructureItem, part: StreamPart): Promise<TtlvItem[]> {
  return servePart(ctx, body, part, CORE_ENCRYPT_STREAM, 'core');
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const encrypt = defineOperation({
  operation: 'Encrypt',
  phase: 1,
  roles: ['core'],
  permission: 'encrypt',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(encryptData),
});
