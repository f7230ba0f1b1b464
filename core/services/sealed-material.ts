/**
 * Secret material outside the L2/L3 hierarchy — private keys, Secret Data, Opaque Objects and
 * symmetric keys that are not AES KEKs (HMAC keys …) — sealed under the tenant's current L2 before
 * it reaches the Store (DESIGN §5: never stored unwrapped). These objects carry no key level.
 *
 * Envelope, because RFC 5649 wrapping in the key hierarchy is bounded for key-sized input and a
 * private key or an Opaque Object is larger: a fresh AES-256 object key is wrapped under the L2
 * (RFC 5649, `keys.wrapUnderTenantKey`) and the material is encrypted under the object key with
 * AES-256-GCM, the tenant and object identifier as additional data (so sealed material moved to
 * another row or tenant fails to open). Layout: u16 length of the wrapped object key ‖ wrapped
 * object key ‖ 12-byte nonce ‖ 16-byte tag ‖ ciphertext. After an L2 rotation the object key is
 * re-wrapped under the successor on first use (lazy re-wrap, as for L3 keys).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KryptonError } from '../errors.js';
import type { RequestContext } from '../dispatch/operation.js';
import {
  wrappedKeyMaterial,
  type ManagedObject,
  type WrappedKeyMaterial,
  type WrappedKeyMetadata,
} from '../../storage-adapters/index.js';
import { withSymmetricKey } from './key-material.js';
import { servicesOf } from './objects.js';

export const SEALED_METHOD = 'KWP+AES-256-GCM';
const NONCE = 12;
const TAG = 16;

function aadOf(tenant: string, id: string): Buffer {
  return Buffer.from(`krypton-sealed\u0000${tenant}\u0000${id}`, 'utf8');
}

/** Seals `secret` for object `id` of the request's tenant. The caller zeroes `secret`. */
export async function sealSecret(
  ctx: RequestContext,
  id: string,
  secret: Uint8Array,
  metadata?: WrappedKeyMetadata,
): Promise<WrappedKeyMaterial> {
  const { keys } = servicesOf(ctx);
  const objectKey = randomBytes(32);
  try {
    const { wrapped, wrappingKeyId } = await keys.wrapUnderTenantKey(ctx.tenant, objectKey);
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', objectKey, nonce);
    cipher.setAAD(aadOf(ctx.tenant, id));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    const head = Buffer.alloc(2);
    head.writeUInt16BE(wrapped.length);
    return wrappedKeyMaterial({
      wrapped: Buffer.concat([head, wrapped, nonce, cipher.getAuthTag(), body]),
      wrappingKeyId,
      wrappingMethod: SEALED_METHOD,
      ...(metadata !== undefined && { metadata }),
    });
  } finally {
    objectKey.fill(0);
  }
}

/**
 * Runs `use` with the plaintext of a sealed object the caller already checked (tenant, state,
 * usage). The plaintext is zeroed when `use` settles; `use` must not keep it.
 */
export async function withSealedSecret<T>(
  ctx: RequestContext,
  object: ManagedObject,
  use: (secret: Buffer) => T | Promise<T>,
): Promise<T> {
  const material = object.keyMaterial;
  if (material === undefined) throw new KryptonError('KRY_OP_DESTROYED');
  if (material.wrappingMethod !== SEALED_METHOD || object.keyLevel !== undefined)
    throw new KryptonError('KRY_INTERNAL', 'not sealed material');
  const blob = Buffer.from(material.wrapped);
  const wrappedLength = blob.readUInt16BE(0);
  const wrapped = blob.subarray(2, 2 + wrappedLength);
  const rest = blob.subarray(2 + wrappedLength);
  const { keys, store } = servicesOf(ctx);
  const { key: objectKey, rewrapped } = await keys.unwrapUnderL2(material.wrappingKeyId, wrapped);
  let secret: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', objectKey, rest.subarray(0, NONCE));
    decipher.setAAD(aadOf(object.tenant, object.id));
    decipher.setAuthTag(rest.subarray(NONCE, NONCE + TAG));
    try {
      secret = Buffer.concat([decipher.update(rest.subarray(NONCE + TAG)), decipher.final()]);
    } catch {
      throw new KryptonError('KRY_CRYPTO_FAILURE', 'sealed material does not open');
    }
    if (rewrapped !== undefined) {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(rewrapped.wrapped.length);
      await store.rewrapForKeyHierarchy(
        object.id,
        wrappedKeyMaterial({
          wrapped: Buffer.concat([head, rewrapped.wrapped, rest]),
          wrappingKeyId: rewrapped.wrappingKeyId,
          wrappingMethod: SEALED_METHOD,
          ...(material.metadata !== undefined && { metadata: material.metadata }),
        }),
        material.wrappingKeyId,
      );
    }
    return await use(secret);
  } finally {
    objectKey.fill(0);
    secret?.fill(0);
  }
}

/** The Key Format Type (or other metadata) kept beside sealed material; never secret. */
export function sealedMetadata(object: ManagedObject, name: string): number | undefined {
  const v = object.keyMaterial?.metadata?.[name];
  return typeof v === 'number' ? v : undefined;
}

/**
 * The bytes of a symmetric key wherever it lives: L2/L3 in the hierarchy, or sealed. `use` is
 * synchronous: the plaintext is zeroed as soon as it returns.
 */
export async function withSymmetricKeyBytes<T>(
  ctx: RequestContext,
  object: ManagedObject,
  usage: 'protect' | 'process',
  use: (key: Buffer) => T,
): Promise<T> {
  if (object.keyLevel === undefined) return withSealedSecret(ctx, object, use);
  return withSymmetricKey(ctx, object, usage, use);
}
