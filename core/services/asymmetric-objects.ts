/**
 * Public and private keys at the core (Register, Create Key Pair, Re-key Key Pair, Sign,
 * Signature Verify, Get). A private key is sealed under the tenant's L2 as PKCS#8 (see
 * sealed-material.ts) with the Key Format Type it came in kept beside it; a public key is not
 * secret and is kept as SubjectPublicKeyInfo in `publicMaterial`. Neither carries a key level.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { KryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import { HashingAlgorithm } from '../spec/index.js';
import {
  keyProfile,
  privateKeyDer,
  privateKeyFromDer,
  publicKeyDer,
  publicKeyFromDer,
} from '../crypto/key-formats.js';
import {
  ObjectType,
  State,
  type ManagedObject,
  type NewAttribute,
  type NewManagedObject,
} from '../../storage-adapters/index.js';
import type { NewKeyFields } from './key-material.js';
import { sealSecret, sealedMetadata, withSealedSecret } from './sealed-material.js';

/** Metadata name of the Key Format Type a sealed object was registered or generated in. */
export const FORMAT_METADATA = 'keyFormatType';

/** KMIP 2.1 §4.13 Digest: SHA-256 over the key in `format` (not secret; the value is one-way). */
export function digestOf(bytes: Uint8Array, format: number): NewAttribute {
  return {
    name: 'Digest',
    value: {
      HashingAlgorithm: HashingAlgorithm.SHA_256,
      DigestValue: new Uint8Array(createHash('sha256').update(bytes).digest()),
      KeyFormatType: format,
    },
  };
}

function datesFor(fields: NewKeyFields, state: State): NewKeyFields['dates'] {
  return state === State.Active && fields.dates.ActivationDate === undefined
    ? { ...fields.dates, ActivationDate: new Date() }
    : fields.dates;
}

export interface KeyObjectOptions {
  readonly id?: string;
  /** The Key Format Type Get answers with by default (the one registered or the profile's). */
  readonly format: number;
  readonly digest?: Uint8Array;
  readonly links?: NewManagedObject['links'];
  readonly extraAttributes?: readonly NewAttribute[];
}

/** A new Private Key object: the key sealed under the tenant's L2, no level. */
export async function privateKeyObject(
  ctx: RequestContext,
  key: KeyObject,
  fields: NewKeyFields,
  state: State,
  options: KeyObjectOptions,
): Promise<NewManagedObject> {
  const profile = keyProfile(key);
  const id = options.id ?? randomUUID();
  const der = privateKeyDer(key);
  try {
    const keyMaterial = await sealSecret(ctx, id, der, { [FORMAT_METADATA]: options.format });
    return {
      id,
      objectType: ObjectType.PrivateKey,
      owner: ctx.identity.principal,
      state,
      cryptographicAlgorithm: fields.cryptographicAlgorithm ?? profile.algorithm,
      cryptographicLength: profile.length,
      dates: datesFor(fields, state),
      attributes: [
        ...fields.attributes,
        ...(options.extraAttributes ?? []),
        { name: 'KeyFormatType', value: options.format },
        ...(options.digest !== undefined ? [digestOf(options.digest, options.format)] : []),
      ],
      ...(options.links !== undefined && { links: options.links }),
      keyMaterial,
    };
  } finally {
    der.fill(0);
  }
}

/** A new Public Key object: SubjectPublicKeyInfo in `publicMaterial`, no level. */
export function publicKeyObject(
  ctx: RequestContext,
  key: KeyObject,
  fields: NewKeyFields,
  state: State,
  options: KeyObjectOptions,
): NewManagedObject {
  const profile = keyProfile(key);
  return {
    ...(options.id !== undefined && { id: options.id }),
    objectType: ObjectType.PublicKey,
    owner: ctx.identity.principal,
    state,
    cryptographicAlgorithm: fields.cryptographicAlgorithm ?? profile.algorithm,
    cryptographicLength: profile.length,
    dates: datesFor(fields, state),
    attributes: [
      ...fields.attributes,
      ...(options.extraAttributes ?? []),
      { name: 'KeyFormatType', value: options.format },
      ...(options.digest !== undefined ? [digestOf(options.digest, options.format)] : []),
    ],
    ...(options.links !== undefined && { links: options.links }),
    publicMaterial: publicKeyDer(key),
  };
}

/** Runs `use` with the private key of a Private Key object (KeyObject; OpenSSL holds the bytes). */
export async function withPrivateKey<T>(
  ctx: RequestContext,
  object: ManagedObject,
  use: (key: KeyObject) => T | Promise<T>,
): Promise<T> {
  if (object.objectType !== ObjectType.PrivateKey)
    throw new KryptonError('KRY_INTERNAL', 'not a private key');
  return withSealedSecret(ctx, object, (der) => use(privateKeyFromDer(der)));
}

export function publicKeyOf(object: ManagedObject): KeyObject {
  if (object.publicMaterial === undefined) throw new KryptonError('KRY_OP_DESTROYED');
  return publicKeyFromDer(object.publicMaterial);
}

/** The Key Format Type an object is returned in when Get names none. */
export function defaultFormatOf(object: ManagedObject, fallback: number): number {
  const sealed = sealedMetadata(object, FORMAT_METADATA);
  if (sealed !== undefined) return sealed;
  const a = object.attributes.find((x) => x.name === 'KeyFormatType');
  return typeof a?.value === 'number' ? a.value : fallback;
}
