/**
 * Key material as the store holds it: always wrapped, with the identifier of the key that
 * wraps it. The type is branded and the brand is checked at run time, so plaintext bytes
 * cannot reach the store by accident: the only way in is `wrappedKeyMaterial()`, which asks
 * for the wrapping key and method.
 */
import { KryptonError } from '../core/errors.js';

declare const wrappedBrand: unique symbol;

/** Metadata stored beside the wrapped bytes (e.g. Key Format Type); never secret. */
export type WrappedKeyMetadata = Readonly<Record<string, string | number>>;

export interface WrappedKeyMaterial {
  readonly [wrappedBrand]: true;
  /** Ciphertext of the key under `wrappingKeyId`. */
  readonly wrapped: Uint8Array;
  readonly wrappingKeyId: string;
  /** How it was wrapped, e.g. 'AES-KWP', 'AES-256-GCM', 'RSA-OAEP-SHA256'. */
  readonly wrappingMethod: string;
  readonly metadata?: WrappedKeyMetadata;
}

const branded = new WeakSet<object>();

export interface WrappedKeyMaterialParts {
  readonly wrapped: Uint8Array;
  readonly wrappingKeyId: string;
  readonly wrappingMethod: string;
  readonly metadata?: WrappedKeyMetadata;
}

/** Declares `wrapped` to be ciphertext under `wrappingKeyId`. */
export function wrappedKeyMaterial(parts: WrappedKeyMaterialParts): WrappedKeyMaterial {
  if (!(parts.wrapped instanceof Uint8Array) || parts.wrapped.length === 0) {
    throw new KryptonError('KRY_STORE_BAD_QUERY', 'wrapped key material is empty');
  }
  if (typeof parts.wrappingKeyId !== 'string' || parts.wrappingKeyId.length === 0) {
    throw new KryptonError('KRY_STORE_BAD_QUERY', 'wrapped key material needs its wrapping key');
  }
  if (typeof parts.wrappingMethod !== 'string' || parts.wrappingMethod.length === 0) {
    throw new KryptonError('KRY_STORE_BAD_QUERY', 'wrapped key material needs its wrapping method');
  }
  const material = {
    wrapped: new Uint8Array(parts.wrapped),
    wrappingKeyId: parts.wrappingKeyId,
    wrappingMethod: parts.wrappingMethod,
    ...(parts.metadata ? { metadata: Object.freeze({ ...parts.metadata }) } : {}),
  } as WrappedKeyMaterial;
  branded.add(material);
  return Object.freeze(material);
}

export function isWrappedKeyMaterial(value: unknown): value is WrappedKeyMaterial {
  return typeof value === 'object' && value !== null && branded.has(value);
}
