/**
 * Create Key Pair (KMIP 2.1 §6.1.11, 1.4 §4.2) at the core: RSA 2048–4096 bits, EC on P-256,
 * P-384 or P-521, Ed25519. Attributes: Common Attributes (1.x Common Template-Attribute) apply to
 * both keys, Private/Public Key Attributes to one and win over the common ones. The private key
 * is sealed under the tenant's L2 (outside the L2/L3 hierarchy, no key level), the public key is
 * kept in the clear; both are created in one Store transaction, linked both ways (Public Key Link
 * on the private key, Private Key Link on the public key, KMIP 2.1 §4.29). Defaults: usage Sign
 * (private) and Verify (public); Key Format Type PKCS#1 for RSA keys, PKCS#8 / X.509 otherwise.
 * The ID placeholder takes the private key's identifier (KMIP 2.1 §6.1.11).
 *
 * Failure cases: no Cryptographic Algorithm → Missing Data; a key level → Permission Denied (L4)
 * or Invalid Field; an unsupported algorithm → Feature Not Supported; a length or curve outside
 * the list above, a server-set attribute → Invalid Field.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { readAttributes, type KmipAttribute } from '../core/attributes/index.js';
import { CryptographicUsageMask, KeyFormatType, Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { exportPrivateKey, exportPublicKey, keyProfile } from '../core/crypto/key-formats.js';
import { generateAsymmetricKeyPair, type KeyPairRequest } from '../core/crypto/key-pairs.js';
import { CORE_SERVICES_PLUGIN, requestedLevel } from '../core/services/index.js';
import { privateKeyObject, publicKeyObject } from '../core/services/asymmetric-objects.js';
import {
  RNG_ATTRIBUTE,
  initialState,
  newKeyFields,
  type NewKeyFields,
} from '../core/services/key-material.js';
import { requirePayload, servicesOf, versioned } from '../core/services/objects.js';
import { LinkType, type NewManagedObject } from '../storage-adapters/index.js';

function attributeContainer(body: StructureItem, v2: number, v1: number): KmipAttribute[] {
  const c = child(body, v2) ?? child(body, v1);
  if (c === undefined) return [];
  return readAttributes(c, c.tag === v2 ? 'Attributes' : 'TemplateAttribute');
}

/** Common attributes overridden, name by name, by the key-specific ones. */
function merged(common: readonly KmipAttribute[], own: readonly KmipAttribute[]): KmipAttribute[] {
  const names = new Set(own.map((a) => `${a.vendorIdentification ?? ''}\u0000${a.name}`));
  return [...common.filter((a) => !names.has(`${a.vendorIdentification ?? ''}\u0000${a.name}`)), ...own];
}

function refuseLevels(attrs: readonly KmipAttribute[]): void {
  const level = requestedLevel(attrs);
  if (level === 'L4') throw new KryptonError('KRY_OP_L4_AT_CORE');
  if (level !== undefined) throw new KryptonError('KRY_OP_INVALID_FIELD', 'key pairs carry no key level');
}

/** The curve a request names (Cryptographic Domain Parameters / Recommended Curve), if any. */
function requestedCurve(attrs: readonly KmipAttribute[]): number | undefined {
  for (const a of attrs) {
    if (a.name === 'RecommendedCurve' && typeof a.value === 'number') return a.value;
    if (a.name === 'CryptographicDomainParameters' && typeof a.value === 'object' && a.value !== null) {
      const curve = (a.value as Readonly<Record<string, unknown>>).RecommendedCurve;
      if (typeof curve === 'number') return curve;
    }
  }
  return undefined;
}

function withUsage(fields: NewKeyFields, usage: number): NewKeyFields {
  if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
    fields.attributes.push({ name: 'CryptographicUsageMask', value: usage });
  return fields;
}

function encodedBytes(item: TtlvItem): Uint8Array | undefined {
  return item.type === 'ByteString' ? item.value : undefined;
}

export interface KeyPairIds {
  readonly privateKeyId: string;
  readonly publicKeyId: string;
}

/**
 * Stores a generated pair as two linked objects. Shared with Re-key Key Pair, which passes the
 * Store call (a rekey of each old key instead of a create).
 */
export async function keyPairObjects(
  ctx: RequestContext,
  pair: { privateKey: KeyObject; publicKey: KeyObject },
  privateFields: NewKeyFields,
  publicFields: NewKeyFields,
  ids: KeyPairIds = { privateKeyId: randomUUID(), publicKeyId: randomUUID() },
): Promise<{ privateObject: NewManagedObject; publicObject: NewManagedObject }> {
  const { kind } = keyProfile(pair.privateKey);
  const now = new Date();
  const privateFormat = kind === 'rsa' ? KeyFormatType.PKCS_1 : KeyFormatType.PKCS_8;
  const publicFormat = kind === 'rsa' ? KeyFormatType.PKCS_1 : KeyFormatType.X_509;
  const privateBytes = encodedBytes(exportPrivateKey(pair.privateKey, privateFormat));
  const publicBytes = encodedBytes(exportPublicKey(pair.publicKey, publicFormat));
  try {
    const privateObject = await privateKeyObject(
      ctx,
      pair.privateKey,
      { ...privateFields, dates: { ...privateFields.dates, OriginalCreationDate: now } },
      initialState(privateFields.dates, now),
      {
        id: ids.privateKeyId,
        format: privateFormat,
        ...(privateBytes !== undefined && { digest: privateBytes }),
        links: [{ linkType: LinkType.PublicKeyLink, linkedObjectId: ids.publicKeyId }],
        extraAttributes: [RNG_ATTRIBUTE],
      },
    );
    const publicObject = publicKeyObject(
      ctx,
      pair.publicKey,
      { ...publicFields, dates: { ...publicFields.dates, OriginalCreationDate: now } },
      initialState(publicFields.dates, now),
      {
        id: ids.publicKeyId,
        format: publicFormat,
        ...(publicBytes !== undefined && { digest: publicBytes }),
        links: [{ linkType: LinkType.PrivateKeyLink, linkedObjectId: ids.privateKeyId }],
        extraAttributes: [RNG_ATTRIBUTE],
      },
    );
    return { privateObject, publicObject };
  } finally {
    privateBytes?.fill(0);
  }
}

/** Generates and stores the pair; returns both identifiers. Callable in-process. */
export async function createKeyPairObjects(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<KeyPairIds> {
  const body = requirePayload(payload);
  const common = attributeContainer(body, Tag.CommonAttributes, Tag.CommonTemplateAttribute);
  const privateAttrs = merged(
    common,
    attributeContainer(body, Tag.PrivateKeyAttributes, Tag.PrivateKeyTemplateAttribute),
  );
  const publicAttrs = merged(
    common,
    attributeContainer(body, Tag.PublicKeyAttributes, Tag.PublicKeyTemplateAttribute),
  );
  refuseLevels(privateAttrs);
  refuseLevels(publicAttrs);
  const curve = requestedCurve(privateAttrs) ?? requestedCurve(publicAttrs);
  const strip = (attrs: KmipAttribute[]): KmipAttribute[] =>
    attrs.filter((a) => a.name !== 'RecommendedCurve' && a.name !== 'CryptographicDomainParameters');
  const privateFields = withUsage(newKeyFields(strip(privateAttrs)), CryptographicUsageMask.Sign);
  const publicFields = withUsage(newKeyFields(strip(publicAttrs)), CryptographicUsageMask.Verify);
  if (
    privateFields.cryptographicAlgorithm !== publicFields.cryptographicAlgorithm ||
    privateFields.cryptographicLength !== publicFields.cryptographicLength
  )
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'both keys of a pair have one algorithm and length');
  const request: KeyPairRequest = {
    algorithm: privateFields.cryptographicAlgorithm,
    length: privateFields.cryptographicLength,
    curve,
  };
  const pair = await generateAsymmetricKeyPair(request);
  const { privateObject, publicObject } = await keyPairObjects(ctx, pair, privateFields, publicFields);
  await servicesOf(ctx).store.createMany(ctx.tenant, [privateObject, publicObject]);
  return { privateKeyId: privateObject.id!, publicKeyId: publicObject.id! };
}

export const createKeyPair = defineOperation({
  operation: 'CreateKeyPair',
  phase: 4,
  roles: ['core'],
  permission: 'create',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['PrivateKey', 'PublicKey'],
  handle: versioned(async (ctx, payload) => {
    const ids = await createKeyPairObjects(ctx, payload);
    ctx.placeholder.set(ids.privateKeyId);
    ctx.log.info(ids, 'key pair created');
    return [
      textString(Tag.PrivateKeyUniqueIdentifier, ids.privateKeyId),
      textString(Tag.PublicKeyUniqueIdentifier, ids.publicKeyId),
    ];
  }),
});
