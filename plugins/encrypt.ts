/**
 * Encrypt (KMIP 2.1 §6.1.18, 1.4 §4.29) at the core with an L2 or L3 AES key (L4 keys are the
 * gateway's), or with an RSA Public Key (RSAES-OAEP, core/crypto/rsa-encryption.ts; CS-AC-M-OAEP).
 * Cryptographic Parameters come from the request, else from the key's attribute,
 * else AES-GCM; see core/services/cipher.ts for the modes. A generated IV is returned; GCM
 * returns its tag (Authenticated Encryption Tag, KMIP 1.4+). The key must be Active, before its
 * Protect Stop Date, not replaced by Rekey (decrypt only), with Encrypt usage (Wrap Key for the
 * key wrap modes). Usage Limits (KMIP 2.1 §4.63) are consumed once the data is protected.
 *
 * Failure cases: unknown or foreign key → Item Not Found; an L4 → Permission Denied; not a
 * Symmetric Key → Invalid Object Type (1.x Illegal Operation); state, Protect Stop Date or
 * replacement → Wrong Key Lifecycle State; usage → Incompatible Cryptographic Usage Mask (1.x
 * Permission Denied); bad parameters → Invalid Field; unimplemented mode → Feature Not
 * Supported; streaming (Init/Final Indicator, Correlation Value) → Feature Not Supported; Usage
 * Limits exhausted → Permission Denied (as the Profiles' CS-BC-M-7 cases expect).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { BlockCipherMode, Tag, tagInVersion } from '../core/spec/index.js';
import { byteString, child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { cipherParameters, encryptWith, isKeyWrapMode } from '../core/services/cipher.js';
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

export function refuseStreaming(payload: StructureItem): void {
  for (const tag of [Tag.InitIndicator, Tag.FinalIndicator, Tag.CorrelationValue]) {
    if (child(payload, tag) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'streaming Encrypt/Decrypt');
  }
}

/**
 * The key an Encrypt or Decrypt names, with the checks both share: a Symmetric Key, or the RSA
 * key of the given asymmetric type (a Public Key encrypts, a Private Key decrypts).
 */
export async function cryptoKey(
  ctx: RequestContext,
  payload: StructureItem,
  asymmetric?: ObjectType,
): Promise<ManagedObject> {
  const object = await loadObject(ctx, uniqueIdentifierOf(ctx, payload));
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

export async function encryptData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  refuseStreaming(body);
  const object = await cryptoKey(ctx, body, ObjectType.PublicKey);
  if (object.objectType === ObjectType.PublicKey) return encryptToPublicKey(ctx, body, object);
  const now = new Date();
  if (object.state !== State.Active)
    throw new KryptonError(
      'KRY_KEY_UNUSABLE',
      object.state === State.Compromised ? 'a Compromised key does not encrypt' : 'the key is not Active',
    );
  if (object.dates.ProtectStopDate !== undefined && object.dates.ProtectStopDate <= now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Protect Stop Date has passed: decrypt only');
  if (linkOf(object, LinkType.ReplacementObjectLink) !== undefined)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key was replaced by Rekey: decrypt only');
  const params = cipherParameters(
    child(body, Tag.CryptographicParameters),
    object.attributes.find((a) => a.name === 'CryptographicParameters')?.value,
  );
  const mask = usageMaskOf(object);
  const needed = isKeyWrapMode(params.mode) ? Usage.WrapKey | Usage.Encrypt : Usage.Encrypt;
  if ((mask & needed) === 0) throw usageMaskError(ctx.protocolVersion, 'Encrypt');
  if (
    params.mode === BlockCipherMode.GCM &&
    !tagInVersion(Tag.AuthenticatedEncryptionTag, ctx.protocolVersion)
  )
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'GCM needs KMIP 1.4 or later (Authenticated Encryption Tag)',
    );
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

export const encrypt = defineOperation({
  operation: 'Encrypt',
  phase: 1,
  roles: ['core'],
  permission: 'encrypt',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(encryptData),
});
