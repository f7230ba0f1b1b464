/**
 * Register (KMIP 2.1 §6.1.41, 1.4 §4.3) at the core, every managed object type of the profiles:
 * - Symmetric Key, AES-128/192/256 (Raw or Transparent Symmetric Key) at level L3 (default):
 *   wrapped under the tenant's L2 on arrival, the plaintext zeroed; the store never sees it.
 * - Symmetric Key of another algorithm (HMAC keys …), Private Key, Secret Data, Opaque Object:
 *   outside the L2/L3 hierarchy, sealed under the tenant's current L2 with no key level
 *   (core/services/sealed-material.ts). Private keys in PKCS#1, PKCS#8, ECPrivateKey, Transparent
 *   RSA/EC or Raw (Ed25519), kept as PKCS#8 with the registered format beside them.
 * - Public Key (RSA, EC, Ed25519; X.509 SubjectPublicKeyInfo, PKCS#1, Transparent RSA/EC, Raw
 *   Ed25519) and Certificate (X.509): not secret, kept in `publicMaterial`. An RSA public key is
 *   also how a gateway registers its transport key (wrapped Get of L3 keys).
 *
 * - Symmetric Key, Secret Data and Private Key registered wrapped (a Key Block with Key Wrapping
 *   Data, Wrapping Method Encrypt): unwrapped in memory with the key the Encryption Key
 *   Information names — an AES key of the tenant (NIST key wrap, key wrap with padding) or an RSA
 *   key pair (OAEP) — then checked and stored exactly as if registered in plaintext, with a
 *   Wrapping Key Link to that key (KMIP 2.1 §6.1.43); core/services/wrapped-key-block.ts.
 * - Key Value attributes (1.x Attribute items, 2.x Attributes), in the clear or wrapped with the
 *   key material, count as request attributes (KMIP 1.4 §2.1.4, 2.1 §3.2).
 *
 * Failure cases: level L4 → Permission Denied (the core stores no L4); level L2 → Feature Not
 * Supported (tenant keys are generated inside the core); a level on an object outside the
 * hierarchy → Invalid Field; unknown or unsupported Object Type → Invalid Field; a wrapped Public
 * Key → Feature Not Supported; a wrapped Key Block the server cannot unwrap → see
 * wrapped-key-block.ts (the wrapping key missing or another tenant's → Object Not Found); a Key
 * Format Type that does not fit the object → Key Format Type Not Supported; malformed key
 * material, a length or algorithm that does not match it → Invalid Field; Certificate Type other
 * than X.509 → Feature Not Supported.
 */
import { X509Certificate, randomUUID, type KeyObject } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { CertificateType, CryptographicUsageMask, KeyFormatType, Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { readAttributes, readAttributeStructure, type KmipAttribute } from '../core/attributes/index.js';
import { importPrivateKey, importPublicKey, isEcAlgorithm, keyProfile } from '../core/crypto/key-formats.js';
import { isHmacAlgorithm } from '../core/crypto/mac.js';
import {
  digestOf,
  FORMAT_METADATA,
  privateKeyObject,
  publicKeyObject,
} from '../core/services/asymmetric-objects.js';
import { sealSecret } from '../core/services/sealed-material.js';
import {
  keyWrappingOf,
  unwrapWithHeldKey,
  withUnwrappedKeyBlock,
} from '../core/services/wrapped-key-block.js';
import { CORE_SERVICES_PLUGIN, requestedLevel } from '../core/services/index.js';
import {
  AES,
  AES_LENGTHS,
  checkAesLength,
  initialState,
  newKeyFields,
  wrappedL3Object,
  type NewKeyFields,
} from '../core/services/key-material.js';
import {
  bytesChild,
  enumChild,
  integerChild,
  requestAttributes,
  requirePayload,
  servicesOf,
  isV2,
  Usage,
  versioned,
} from '../core/services/objects.js';
import {
  LinkType,
  ObjectType,
  State,
  type ManagedObject,
  type NewManagedObject,
} from '../storage-adapters/index.js';

interface KeyBlockParts {
  readonly format: number;
  readonly material: TtlvItem | undefined;
  readonly algorithm: number | undefined;
  readonly length: number | undefined;
  readonly attributes: KmipAttribute[];
  /**
   * The key the block was registered wrapped under, for the new object's Wrapping Key Link: 2.x
   * requests only (KMIP 2.1 §6.1.43; the Link Type is 2.0's and is never shown to 1.x clients).
   */
  readonly wrappedUnder: string | undefined;
}

function partsOf(block: TtlvItem, wrappedUnder: string | undefined): KeyBlockParts {
  const format = enumChild(block, Tag.KeyFormatType, 'Key Format Type');
  if (format === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Key Format Type');
  const value = child(block, Tag.KeyValue);
  if (value?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Value');
  return {
    format,
    material: child(value, Tag.KeyMaterial),
    algorithm: enumChild(block, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm'),
    length: integerChild(block, Tag.CryptographicLength, 'Cryptographic Length'),
    attributes: [
      ...value.value.filter((c) => c.tag === Tag.Attribute).map((a) => readAttributeStructure(a)),
      ...readAttributes(child(value, Tag.Attributes), 'Key Value/Attributes'),
    ],
    wrappedUnder,
  };
}

/**
 * Runs `register` with the parts of the object's Key Block: as sent, or unwrapped (in memory,
 * zeroed when `register` settles) when the block carries Key Wrapping Data.
 */
async function withKeyBlock(
  ctx: RequestContext,
  object: TtlvItem | undefined,
  what: string,
  register: (parts: KeyBlockParts) => Promise<ManagedObject>,
): Promise<ManagedObject> {
  const block = child(object, Tag.KeyBlock);
  if (block?.type !== 'Structure') throw new KryptonError('KRY_OP_MISSING_DATA', `${what}/Key Block`);
  const wrapping = keyWrappingOf(block);
  if (wrapping === undefined) return register(partsOf(block, undefined));
  return withUnwrappedKeyBlock(
    block,
    wrapping,
    (w) => unwrapWithHeldKey(ctx, w),
    (plain) => register(partsOf(plain, isV2(ctx.protocolVersion) ? wrapping.keyId : undefined)),
  );
}

type Register = (ctx: RequestContext, body: StructureItem) => Promise<ManagedObject>;

/** Register of an object that is a Key Block (`tag`), possibly wrapped: see withKeyBlock. */
function fromKeyBlock(
  tag: number,
  what: string,
  register: (ctx: RequestContext, body: StructureItem, parts: KeyBlockParts) => Promise<ManagedObject>,
): Register {
  return (ctx, body) => withKeyBlock(ctx, child(body, tag), what, (parts) => register(ctx, body, parts));
}

/** KMIP 2.1 §6.1.43: an object registered wrapped links to the key it was wrapped with. */
function withWrappingKeyLink(object: NewManagedObject, parts: KeyBlockParts): NewManagedObject {
  if (parts.wrappedUnder === undefined) return object;
  return {
    ...object,
    links: [
      ...(object.links ?? []),
      { linkType: LinkType.WrappingKeyLink, linkedObjectId: parts.wrappedUnder },
    ],
  };
}

function symmetricKeyBytes(parts: KeyBlockParts): Uint8Array {
  const m = parts.material;
  if (parts.format === KeyFormatType.Raw && m?.type === 'ByteString') return m.value;
  if (parts.format === KeyFormatType.TransparentSymmetricKey && m?.type === 'Structure') {
    const k = child(m, Tag.Key);
    if (k?.type === 'ByteString') return k.value;
  }
  if (parts.format !== KeyFormatType.Raw && parts.format !== KeyFormatType.TransparentSymmetricKey)
    throw new KryptonError('KRY_OP_KEY_FORMAT');
  throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
}

/** Request attributes plus 1.x Attribute items inside the Key Value (KMIP 1.4 §2.1.4). */
function attributesOf(body: StructureItem, parts: KeyBlockParts | undefined): KmipAttribute[] {
  return [...requestAttributes(body), ...(parts?.attributes ?? [])];
}

/** Objects outside the L2/L3 hierarchy carry no key level. */
function refuseLevel(attrs: readonly KmipAttribute[], what: string): void {
  const level = requestedLevel(attrs);
  if (level === 'L4') throw new KryptonError('KRY_OP_L4_AT_CORE');
  if (level !== undefined) throw new KryptonError('KRY_OP_INVALID_FIELD', `${what} carry no key level`);
}

function withDefaultUsage(fields: NewKeyFields, usage: number): NewKeyFields {
  if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
    fields.attributes.push({ name: 'CryptographicUsageMask', value: usage });
  return fields;
}

function activationDates(fields: NewKeyFields, state: State): NewKeyFields['dates'] {
  return state === State.Active && fields.dates.ActivationDate === undefined
    ? { ...fields.dates, ActivationDate: new Date() }
    : fields.dates;
}

async function registerSymmetricKey(
  ctx: RequestContext,
  body: StructureItem,
  parts: KeyBlockParts,
): Promise<ManagedObject> {
  const attrs = attributesOf(body, parts);
  const level = requestedLevel(attrs);
  if (level === 'L4') throw new KryptonError('KRY_OP_L4_AT_CORE');
  if (level === 'L2')
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'L2 tenant keys are generated inside the core');
  const key = symmetricKeyBytes(parts);
  const fields = newKeyFields(attrs);
  const algorithm = fields.cryptographicAlgorithm ?? parts.algorithm;
  const length = fields.cryptographicLength ?? parts.length ?? key.length * 8;
  if (level === 'L3' || (algorithm === AES && AES_LENGTHS.has(length)))
    return registerL3(ctx, key, fields, algorithm, length, parts);
  // Not an AES KEK (an HMAC key, …): sealed under the L2, outside the hierarchy.
  if (algorithm === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Cryptographic Algorithm');
  if (length !== key.length * 8)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Length does not match the key material');
  withDefaultUsage(
    fields,
    isHmacAlgorithm(algorithm) ? CryptographicUsageMask.MACGenerate | CryptographicUsageMask.MACVerify : 0,
  );
  const state = initialState(fields.dates, new Date());
  const id = randomUUID();
  const keyMaterial = await sealSecret(ctx, id, key, { [FORMAT_METADATA]: parts.format });
  return servicesOf(ctx).store.create(
    ctx.tenant,
    withWrappingKeyLink(
      {
        id,
        objectType: ObjectType.SymmetricKey,
        owner: ctx.identity.principal,
        state,
        cryptographicAlgorithm: algorithm,
        cryptographicLength: length,
        dates: activationDates(fields, state),
        attributes: [...fields.attributes, digestOf(key, KeyFormatType.Raw)],
        keyMaterial,
      },
      parts,
    ),
  );
}

async function registerL3(
  ctx: RequestContext,
  key: Uint8Array,
  fields: NewKeyFields,
  algorithm: number | undefined,
  length: number,
  parts: KeyBlockParts,
): Promise<ManagedObject> {
  checkAesLength(algorithm, length, key.length);
  withDefaultUsage(fields, Usage.Encrypt | Usage.Decrypt);
  const state = initialState(fields.dates, new Date());
  const object = await wrappedL3Object(
    ctx,
    key,
    { ...fields, cryptographicAlgorithm: algorithm, cryptographicLength: length },
    state,
  );
  return servicesOf(ctx).store.create(ctx.tenant, withWrappingKeyLink(object, parts));
}

/** The Key Block's algorithm and length, if given, must describe the key (KMIP 2.1 §2.1.3). */
function checkKeyBlock(parts: KeyBlockParts, fields: NewKeyFields, key: KeyObject): void {
  const profile = keyProfile(key);
  for (const algorithm of [parts.algorithm, fields.cryptographicAlgorithm]) {
    if (algorithm === undefined) continue;
    const fits = algorithm === profile.algorithm || (profile.kind === 'ec' && isEcAlgorithm(algorithm));
    if (!fits)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Algorithm does not match the key');
  }
  for (const length of [parts.length, fields.cryptographicLength]) {
    if (length !== undefined && length !== profile.length)
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Length does not match the key');
  }
}

function materialBytes(material: TtlvItem | undefined): Uint8Array | undefined {
  return material?.type === 'ByteString' ? material.value : undefined;
}

async function registerPublicKey(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const block = child(child(body, Tag.PublicKey), Tag.KeyBlock);
  if (block === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Public Key/Key Block');
  if (child(block, Tag.KeyWrappingData) !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'a Public Key is registered unwrapped');
  const parts = partsOf(block, undefined);
  const attrs = attributesOf(body, parts);
  refuseLevel(attrs, 'public keys');
  const fields = newKeyFields(attrs);
  const key = importPublicKey(parts.format, parts.material, parts.algorithm ?? fields.cryptographicAlgorithm);
  checkKeyBlock(parts, fields, key);
  const profile = keyProfile(key);
  // An RSA public key without a usage is a transport key for wrapped Get (Encrypt, Wrap Key).
  withDefaultUsage(
    fields,
    profile.kind === 'rsa'
      ? Usage.Encrypt | Usage.WrapKey | CryptographicUsageMask.Verify
      : CryptographicUsageMask.Verify,
  );
  const state = initialState(fields.dates, new Date());
  const bytes = materialBytes(parts.material);
  return servicesOf(ctx).store.create(
    ctx.tenant,
    publicKeyObject(
      ctx,
      key,
      { ...fields, cryptographicAlgorithm: fields.cryptographicAlgorithm ?? parts.algorithm },
      state,
      {
        format: parts.format,
        ...(bytes !== undefined && { digest: bytes }),
      },
    ),
  );
}

async function registerPrivateKey(
  ctx: RequestContext,
  body: StructureItem,
  parts: KeyBlockParts,
): Promise<ManagedObject> {
  const attrs = attributesOf(body, parts);
  refuseLevel(attrs, 'private keys');
  const fields = newKeyFields(attrs);
  const key = importPrivateKey(
    parts.format,
    parts.material,
    parts.algorithm ?? fields.cryptographicAlgorithm,
  );
  checkKeyBlock(parts, fields, key);
  withDefaultUsage(fields, CryptographicUsageMask.Sign);
  const state = initialState(fields.dates, new Date());
  const bytes = materialBytes(parts.material);
  const object = await privateKeyObject(
    ctx,
    key,
    { ...fields, cryptographicAlgorithm: fields.cryptographicAlgorithm ?? parts.algorithm },
    state,
    { format: parts.format, ...(bytes !== undefined && { digest: bytes }) },
  );
  return servicesOf(ctx).store.create(ctx.tenant, withWrappingKeyLink(object, parts));
}

async function registerCertificate(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const cert = child(body, Tag.Certificate);
  if (cert === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Certificate');
  const type = enumChild(cert, Tag.CertificateType, 'Certificate Type');
  if (type === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Certificate Type');
  if (type !== CertificateType.X_509)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Certificate Type: X.509');
  const value = bytesChild(cert, Tag.CertificateValue, 'Certificate Value');
  if (value === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Certificate Value');
  try {
    new X509Certificate(Buffer.from(value));
  } catch {
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Certificate Value is not a DER X.509 certificate');
  }
  const attrs = requestAttributes(body);
  refuseLevel(attrs, 'certificates');
  const fields = newKeyFields(attrs);
  const state = initialState(fields.dates, new Date());
  return servicesOf(ctx).store.create(ctx.tenant, {
    objectType: ObjectType.Certificate,
    owner: ctx.identity.principal,
    state,
    dates: activationDates(fields, state),
    attributes: [
      ...fields.attributes,
      { name: 'CertificateType', value: type },
      digestOf(value, KeyFormatType.X_509),
    ],
    publicMaterial: value,
  });
}

async function registerSecretData(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const secret = child(body, Tag.SecretData);
  const secretType = enumChild(secret, Tag.SecretDataType, 'Secret Data Type');
  if (secretType === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Secret Data Type');
  return withKeyBlock(ctx, secret, 'Secret Data', (parts) =>
    registerSecretParts(ctx, body, secretType, parts),
  );
}

async function registerSecretParts(
  ctx: RequestContext,
  body: StructureItem,
  secretType: number,
  parts: KeyBlockParts,
): Promise<ManagedObject> {
  if (parts.format !== KeyFormatType.Opaque && parts.format !== KeyFormatType.Raw)
    throw new KryptonError('KRY_OP_KEY_FORMAT');
  const bytes = materialBytes(parts.material);
  if (bytes === undefined || bytes.length === 0)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
  const attrs = attributesOf(body, parts);
  refuseLevel(attrs, 'Secret Data objects');
  const fields = newKeyFields(attrs);
  const state = initialState(fields.dates, new Date());
  const id = randomUUID();
  const keyMaterial = await sealSecret(ctx, id, bytes, {
    [FORMAT_METADATA]: parts.format,
    secretDataType: secretType,
  });
  return servicesOf(ctx).store.create(
    ctx.tenant,
    withWrappingKeyLink(
      {
        id,
        objectType: ObjectType.SecretData,
        owner: ctx.identity.principal,
        state,
        ...(fields.cryptographicAlgorithm !== undefined && {
          cryptographicAlgorithm: fields.cryptographicAlgorithm,
        }),
        ...(fields.cryptographicLength !== undefined && { cryptographicLength: fields.cryptographicLength }),
        dates: activationDates(fields, state),
        attributes: [...fields.attributes, digestOf(bytes, parts.format)],
        keyMaterial,
      },
      parts,
    ),
  );
}

async function registerOpaqueObject(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const opaque = child(body, Tag.OpaqueObject);
  if (opaque === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Opaque Object');
  const dataType = enumChild(opaque, Tag.OpaqueDataType, 'Opaque Data Type');
  if (dataType === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Opaque Data Type');
  const value = bytesChild(opaque, Tag.OpaqueDataValue, 'Opaque Data Value');
  if (value === undefined || value.length === 0)
    throw new KryptonError('KRY_OP_MISSING_DATA', 'Opaque Data Value');
  const attrs = requestAttributes(body);
  refuseLevel(attrs, 'Opaque Objects');
  const fields = newKeyFields(attrs);
  const state = initialState(fields.dates, new Date());
  const id = randomUUID();
  const keyMaterial = await sealSecret(ctx, id, value, { opaqueDataType: dataType });
  return servicesOf(ctx).store.create(ctx.tenant, {
    id,
    objectType: ObjectType.OpaqueObject,
    owner: ctx.identity.principal,
    state,
    dates: activationDates(fields, state),
    attributes: fields.attributes,
    keyMaterial,
  });
}

const REGISTER: Readonly<Partial<Record<number, Register>>> = Object.freeze({
  [ObjectType.SymmetricKey]: fromKeyBlock(Tag.SymmetricKey, 'Symmetric Key', registerSymmetricKey),
  [ObjectType.PublicKey]: registerPublicKey,
  [ObjectType.PrivateKey]: fromKeyBlock(Tag.PrivateKey, 'Private Key', registerPrivateKey),
  [ObjectType.Certificate]: registerCertificate,
  [ObjectType.SecretData]: registerSecretData,
  [ObjectType.OpaqueObject]: registerOpaqueObject,
});

export async function registerObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<ManagedObject> {
  const body = requirePayload(payload);
  const type = enumChild(body, Tag.ObjectType, 'Object Type');
  if (type === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Object Type');
  const register = REGISTER[type];
  if (register === undefined)
    throw new KryptonError(
      'KRY_OP_INVALID_FIELD',
      'the core registers Symmetric Keys, Public and Private Keys, Certificates, Secret Data and Opaque Objects',
    );
  return register(ctx, body);
}

export const register = defineOperation({
  operation: 'Register',
  phase: 1,
  roles: ['core'],
  permission: 'register',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey', 'PublicKey', 'PrivateKey', 'Certificate', 'SecretData', 'OpaqueObject'],
  handle: versioned(async (ctx, payload) => {
    const object = await registerObject(ctx, payload);
    ctx.placeholder.set(object.id);
    ctx.log.info({ keyId: object.id, objectType: object.objectType }, 'object registered');
    return [textString(Tag.UniqueIdentifier, object.id)];
  }),
});
