/**
 * What the gateway operations share: finding a local L4 in the vault (everything else is the
 * core's), the date-driven lifecycle applied to it as the core applies it to its objects, storing
 * a new L4 wrapped under its L3, and running the local branch with the request version's errors.
 */
import { GATEWAY_SERVICES_PLUGIN, gatewayOf } from '../../core/gateway/index.js';
import { keyViewFromAttributes } from '../../core/gateway/index.js';
import { newObjectId, UpstreamResultError } from '../../core/gateway/delegate.js';
import type { RequestContext } from '../../core/dispatch/operation.js';
import { KryptonError, isKryptonError } from '../../core/errors.js';
import { Tag } from '../../core/spec/index.js';
import { child, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { readAttributes, type KmipAttribute } from '../../core/attributes/index.js';
import { digestAttribute, type NewKeyFields } from '../../core/services/key-material.js';
import { errorForVersion } from '../../core/services/objects.js';
import { refuseGoneWrappingKey } from '../../core/services/wrapped-key-block.js';
import {
  LinkType,
  ObjectType,
  State,
  wrappedKeyMaterial,
  type ManagedObject,
} from '../../storage-adapters/index.js';

export { GATEWAY_SERVICES_PLUGIN };

/** The gateway's own calls to the core speak 2.1, whatever the client speaks. */
export const AS_GATEWAY = { asGateway: true, version: '2.1' } as const;

/** Names the L3 an L4 is wrapped under (besides a Wrapping Key Link or Parent Link). */
export const WRAPPING_KEY_ATTRIBUTE = 'x-krypton-wrapping-key';

/** The Unique Identifier a request names, or the ID placeholder; undefined when neither. */
export function idOf(ctx: RequestContext, payload: StructureItem | undefined): string | undefined {
  const item = child(payload, Tag.UniqueIdentifier);
  if (item?.type === 'TextString') return item.value;
  return ctx.placeholder.get();
}

/** The L4 `id` of the request's tenant in the vault, with its date-driven transitions applied. */
export async function localL4(ctx: RequestContext, id: string): Promise<ManagedObject | undefined> {
  if (id.length === 0 || id.length > 128) return undefined;
  const { vault } = gatewayOf(ctx);
  let object: ManagedObject;
  try {
    object = await vault.get(ctx.tenant, id);
  } catch (err) {
    if (isKryptonError(err) && err.code === 'KRY_STORE_NOT_FOUND') return undefined;
    throw err;
  }
  if (object.keyLevel !== 4) return undefined;
  // KMIP 2.1 §4: an Activation Date that has passed makes a Pre-Active key Active, a Deactivation
  // Date a key Deactivated (the core's loadObject does the same for its objects).
  const now = new Date();
  const { ActivationDate, DeactivationDate } = object.dates;
  let to: State | undefined;
  if (object.state === State.PreActive && ActivationDate && ActivationDate <= now) to = State.Active;
  if ((object.state === State.Active || to === State.Active) && DeactivationDate && DeactivationDate <= now)
    to = State.Deactivated;
  if (to !== undefined) {
    try {
      object = await vault.transition(ctx.tenant, id, {
        from: [object.state],
        to,
        expectedVersion: object.version,
      });
    } catch (err) {
      if (!isKryptonError(err) || (err.code !== 'KRY_STORE_CONFLICT' && err.code !== 'KRY_STORE_WRONG_STATE'))
        throw err;
      object = await vault.get(ctx.tenant, id);
    }
  }
  return object;
}

/**
 * The L4 of the vault a Key Wrapping Specification or Key Wrapping Data names; undefined when the
 * vault holds none. Destroyed or archived it is refused as the core refuses its own wrapping keys
 * (Wrapping Object Destroyed / Archived: core/services/wrapped-key-block.ts).
 */
export async function localWrappingKey(ctx: RequestContext, id: string): Promise<ManagedObject | undefined> {
  const key = await localL4(ctx, id);
  if (key) refuseGoneWrappingKey(key);
  return key;
}

/**
 * The attributes at the core of the key `keyId` a request wraps or unwraps with, asked as the
 * gateway; undefined when the core refuses them (no such key of the tenant: the call that follows
 * then answers). Destroyed or archived (an Archive Date) it is refused as the core's Get and
 * Register refuse it (Wrapping Object Destroyed / Archived) — the core's Encrypt and Decrypt,
 * which the gateway wraps and unwraps with, still serve an archived key.
 */
export async function coreWrappingKeyAttributes(
  ctx: RequestContext,
  keyId: string,
): Promise<KmipAttribute[] | undefined> {
  const { delegate } = gatewayOf(ctx);
  let found;
  try {
    found = await delegate.call(
      ctx,
      { operation: 'GetAttributes', payload: [textString(Tag.UniqueIdentifier, keyId)] },
      AS_GATEWAY,
    );
  } catch (err) {
    // The core's refusal: over the wire an UpstreamResultError, in-process its own coded error.
    if (err instanceof UpstreamResultError || (delegate.kind === 'in-process' && isKryptonError(err)))
      return undefined;
    throw err;
  }
  const list = readAttributes(child(found, Tag.Attributes), 'Attributes');
  refuseGoneWrappingKey(keyViewFromAttributes(list));
  return list;
}

/** Runs a local branch; its errors use the reasons of the request's version (as the core's do). */
export async function local<T>(ctx: RequestContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw errorForVersion(err, ctx.protocolVersion);
  }
}

/** Splits the wrapping-key choice (Link, or `x-krypton-wrapping-key`) off the request attributes. */
export function wrappingKeyOf(attrs: readonly KmipAttribute[]): {
  l3Id: string | undefined;
  rest: KmipAttribute[];
} {
  let l3Id: string | undefined;
  const rest: KmipAttribute[] = [];
  for (const a of attrs) {
    if (a.name === 'Link' && typeof a.value === 'object' && a.value !== null) {
      const v = a.value as Record<string, unknown>;
      if (
        (v.LinkType === LinkType.WrappingKeyLink || v.LinkType === LinkType.ParentLink) &&
        typeof v.LinkedObjectIdentifier === 'string'
      ) {
        if (l3Id !== undefined && l3Id !== v.LinkedObjectIdentifier)
          throw new KryptonError('KRY_OP_INVALID_FIELD', 'one wrapping key per L4');
        l3Id = v.LinkedObjectIdentifier;
        continue;
      }
      throw new KryptonError('KRY_OP_INVALID_FIELD', 'Link is set by the server');
    }
    if (a.name === WRAPPING_KEY_ATTRIBUTE) {
      if (typeof a.value !== 'string') throw new KryptonError('KRY_OP_INVALID_FIELD', WRAPPING_KEY_ATTRIBUTE);
      if (l3Id !== undefined && l3Id !== a.value)
        throw new KryptonError('KRY_OP_INVALID_FIELD', 'one wrapping key per L4');
      l3Id = a.value;
      continue;
    }
    rest.push(a);
  }
  return { l3Id, rest };
}

/**
 * Wraps `key` under the named L3, else the tenant's service key (re-resolved once when it was
 * replaced or revoked meanwhile), and stores the new L4 in the vault. The caller zeroes `key`.
 */
export async function storeL4(
  ctx: RequestContext,
  key: Uint8Array,
  fields: NewKeyFields,
  state: State,
  explicitL3: string | undefined,
): Promise<ManagedObject> {
  const gw = gatewayOf(ctx);
  let l3Id = explicitL3 ?? (await gw.l3.serviceKeyId(ctx));
  let wrapped: Uint8Array;
  try {
    wrapped = await gw.l3.wrapL4(ctx, l3Id, key);
  } catch (err) {
    if (explicitL3 !== undefined || !isKryptonError(err) || err.reason !== 'WrongKeyLifecycleState')
      throw err;
    gw.l3.forgetServiceKey(ctx.tenant);
    l3Id = await gw.l3.serviceKeyId(ctx);
    wrapped = await gw.l3.wrapL4(ctx, l3Id, key);
  }
  return gw.vault.create(ctx.tenant, {
    id: newObjectId(),
    objectType: ObjectType.SymmetricKey,
    owner: ctx.identity.principal,
    state,
    keyLevel: 4,
    cryptographicAlgorithm: fields.cryptographicAlgorithm,
    cryptographicLength: fields.cryptographicLength,
    dates:
      state === State.Active && fields.dates.ActivationDate === undefined
        ? { ...fields.dates, ActivationDate: new Date() }
        : fields.dates,
    // Digest (KMIP 1.4 §3.17, SHA-256 over the Raw key): one-way, computed before the key is wrapped.
    attributes: [...fields.attributes, digestAttribute(key)],
    links: [{ linkType: LinkType.WrappingKeyLink, linkedObjectId: l3Id }],
    keyMaterial: wrappedKeyMaterial({ wrapped, wrappingKeyId: l3Id, wrappingMethod: 'AES-KWP' }),
  });
}

/** The plaintext of an L4 (unwrapped under its L3, cached or at the core); the caller zeroes it. */
export async function unwrapL4(ctx: RequestContext, object: ManagedObject): Promise<Buffer> {
  const material = object.keyMaterial;
  if (material === undefined) throw new KryptonError('KRY_OP_DESTROYED');
  return gatewayOf(ctx).l3.unwrapL4(ctx, material.wrappingKeyId, material.wrapped);
}

export type LocalResult = Promise<TtlvItem[]>;
