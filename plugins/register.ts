/**
 * Register (KMIP 2.1 §6.1.41, 1.4 §4.3) at the core, phase 1 here (the issue plan has it in phase
 * 3; wrapped Get for gateways needs a registered transport key now):
 * - Public Key (RSA; Key Format Type X.509 SubjectPublicKeyInfo or PKCS#1): stored as is — not
 *   secret — to wrap L3 keys for the gateway that holds the private half.
 * - Symmetric Key (AES-128/192/256; Raw or Transparent Symmetric Key) at level L3 (default):
 *   wrapped under the tenant's L2 on arrival, the plaintext zeroed; the store never sees it.
 *
 * Failure cases: level L4 → Permission Denied (the core stores no L4); level L2 → Feature Not
 * Supported (tenant keys are generated inside the core); other object types → Invalid Field;
 * a wrapped Key Block (Key Wrapping Data) → Feature Not Supported; another Key Format Type →
 * Key Format Type Not Supported; length or algorithm mismatch → Invalid Field.
 */
import { createPublicKey } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { KeyFormatType, Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { readAttributeStructure } from '../core/attributes/index.js';
import { CORE_SERVICES_PLUGIN, requestedLevel } from '../core/services/index.js';
import {
  checkAesLength,
  initialState,
  newKeyFields,
  wrappedL3Object,
} from '../core/services/key-material.js';
import {
  enumChild,
  integerChild,
  requestAttributes,
  requirePayload,
  servicesOf,
  Usage,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, type ManagedObject } from '../storage-adapters/index.js';

const RSA = 4;

interface KeyBlockParts {
  readonly format: number;
  readonly material: TtlvItem | undefined;
  readonly algorithm: number | undefined;
  readonly length: number | undefined;
  readonly attributes: TtlvItem[];
}

function keyBlockOf(object: TtlvItem | undefined, what: string): KeyBlockParts {
  const block = child(object, Tag.KeyBlock);
  if (block === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', `${what}/Key Block`);
  if (child(block, Tag.KeyWrappingData) !== undefined)
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'registering wrapped key material');
  const format = enumChild(block, Tag.KeyFormatType, 'Key Format Type');
  if (format === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Key Format Type');
  const value = child(block, Tag.KeyValue);
  if (value?.type !== 'Structure') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Value');
  return {
    format,
    material: child(value, Tag.KeyMaterial),
    algorithm: enumChild(block, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm'),
    length: integerChild(block, Tag.CryptographicLength, 'Cryptographic Length'),
    attributes: value.value.filter((c) => c.tag === Tag.Attribute),
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

async function registerSymmetricKey(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const parts = keyBlockOf(child(body, Tag.SymmetricKey), 'Symmetric Key');
  const attrs = [...requestAttributes(body), ...parts.attributes.map((a) => readAttributeStructure(a))];
  const level = requestedLevel(attrs) ?? 'L3';
  if (level === 'L4') throw new KryptonError('KRY_OP_L4_AT_CORE');
  if (level === 'L2')
    throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'L2 tenant keys are generated inside the core');
  const key = symmetricKeyBytes(parts);
  const fields = newKeyFields(attrs);
  const algorithm = fields.cryptographicAlgorithm ?? parts.algorithm;
  const length = fields.cryptographicLength ?? parts.length ?? key.length * 8;
  checkAesLength(algorithm, length, key.length);
  if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
    fields.attributes.push({ name: 'CryptographicUsageMask', value: Usage.Encrypt | Usage.Decrypt });
  const state = initialState(fields.dates, new Date());
  const object = await wrappedL3Object(
    ctx,
    key,
    { ...fields, cryptographicAlgorithm: algorithm, cryptographicLength: length },
    state,
  );
  return servicesOf(ctx).store.create(ctx.tenant, object);
}

async function registerPublicKey(ctx: RequestContext, body: StructureItem): Promise<ManagedObject> {
  const parts = keyBlockOf(child(body, Tag.PublicKey), 'Public Key');
  if (parts.format !== KeyFormatType.X_509 && parts.format !== KeyFormatType.PKCS_1)
    throw new KryptonError('KRY_OP_KEY_FORMAT');
  if (parts.material?.type !== 'ByteString') throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material');
  let spki: Buffer;
  let bits: number;
  try {
    const key = createPublicKey({
      key: Buffer.from(parts.material.value),
      format: 'der',
      type: parts.format === KeyFormatType.X_509 ? 'spki' : 'pkcs1',
    });
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    spki = key.export({ format: 'der', type: 'spki' });
  } catch {
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Key Material is not an RSA public key');
  }
  const attrs = requestAttributes(body);
  const level = requestedLevel(attrs);
  if (level !== undefined) throw new KryptonError('KRY_OP_INVALID_FIELD', 'public keys carry no key level');
  const fields = newKeyFields(attrs);
  if (fields.cryptographicAlgorithm !== undefined && fields.cryptographicAlgorithm !== RSA)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Cryptographic Algorithm');
  if (!fields.attributes.some((a) => a.name === 'CryptographicUsageMask'))
    fields.attributes.push({ name: 'CryptographicUsageMask', value: Usage.Encrypt | Usage.WrapKey });
  const state = initialState(fields.dates, new Date());
  return servicesOf(ctx).store.create(ctx.tenant, {
    objectType: ObjectType.PublicKey,
    owner: ctx.identity.principal,
    state,
    cryptographicAlgorithm: RSA,
    cryptographicLength: bits,
    dates:
      state === 2 && fields.dates.ActivationDate === undefined
        ? { ...fields.dates, ActivationDate: new Date() }
        : fields.dates,
    attributes: fields.attributes,
    publicMaterial: spki,
  });
}

export async function registerObject(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<ManagedObject> {
  const body = requirePayload(payload);
  const type = enumChild(body, Tag.ObjectType, 'Object Type');
  if (type === ObjectType.SymmetricKey) return registerSymmetricKey(ctx, body);
  if (type === ObjectType.PublicKey) return registerPublicKey(ctx, body);
  if (type === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Object Type');
  throw new KryptonError('KRY_OP_INVALID_FIELD', 'the core registers Symmetric Keys and Public Keys');
}

export const register = defineOperation({
  operation: 'Register',
  phase: 1,
  roles: ['core'],
  permission: 'register',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey', 'PublicKey'],
  handle: versioned(async (ctx, payload) => {
    const object = await registerObject(ctx, payload);
    ctx.placeholder.set(object.id);
    ctx.log.info({ keyId: object.id, objectType: object.objectType }, 'object registered');
    return [textString(Tag.UniqueIdentifier, object.id)];
  }),
});
