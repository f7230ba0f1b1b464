/**
 * Create (KMIP 2.1 §6.1.10, 1.4 §4.1) at the core: an AES-128/192/256 Symmetric Key at level L3
 * (the default) wrapped under the tenant's L2, or an L2 tenant key (AES-256). Name, Object Group,
 * Cryptographic Usage Mask, Cryptographic Parameters and the client-settable dates are kept; the
 * object is Active when an Activation Date at or before now is given, Pre-Active otherwise.
 *
 * Failure cases: an L4 → Permission Denied (L4 keys are the gateway's; the core stores none);
 * another Object Type → Invalid Field; algorithm other than AES or a length other than
 * 128/192/256 → Invalid Field; a server-set attribute (State, Unique Identifier, …) → Invalid Field;
 * Quantum Safe true with a key shorter than 256 bits → General Failure.
 */
import { randomKeyBytes } from '../core/crypto/random.js';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { enumeration, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN, requestedLevel } from '../core/services/index.js';
import {
  RNG_ATTRIBUTE,
  initialState,
  newSymmetricKeyFields,
  wrappedL3Object,
  type NewKeyFields,
} from '../core/services/key-material.js';
import {
  enumChild,
  requestAttributes,
  requirePayload,
  servicesOf,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, State, type ManagedObject } from '../storage-adapters/index.js';

/** Creates the key; returns the stored object. Callable in-process (standalone gateway). */
export async function createSymmetricKey(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<ManagedObject> {
  const body = requirePayload(payload);
  const objectType = enumChild(body, Tag.ObjectType, 'Object Type');
  if (objectType === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Object Type');
  const attrs = requestAttributes(body);
  const level = requestedLevel(attrs) ?? 'L3';
  if (level === 'L4') throw new KryptonError('KRY_OP_L4_AT_CORE');
  if (objectType !== ObjectType.SymmetricKey)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the core creates Symmetric Keys');
  const fields = newSymmetricKeyFields(attrs);
  const now = new Date();
  const state = initialState(fields.dates, now);
  const { store } = servicesOf(ctx);
  if (level === 'L2') return createTenantKey(ctx, fields, state);
  fields.attributes.push(RNG_ATTRIBUTE);
  const key = randomKeyBytes((fields.cryptographicLength as number) / 8);
  try {
    return await store.create(ctx.tenant, await wrappedL3Object(ctx, key, fields, state));
  } finally {
    key.fill(0);
  }
}

/**
 * An L2 comes from the key hierarchy (random bytes from the HSM, wrapped by L1 inside it); its
 * attributes and state are then set as asked. Only AES-256: an L2 wraps L3s with RFC 5649.
 */
async function createTenantKey(
  ctx: RequestContext,
  fields: NewKeyFields,
  state: State,
): Promise<ManagedObject> {
  if (fields.cryptographicLength !== 256)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'an L2 tenant key is AES-256');
  const { store, keys } = servicesOf(ctx);
  const id = await keys.createTenantKey(ctx.tenant);
  for (const a of fields.attributes) {
    if (a.name === 'CryptographicUsageMask') await store.setAttribute(ctx.tenant, id, a);
    else await store.addAttribute(ctx.tenant, id, a);
  }
  await store.updateDates(ctx.tenant, id, { ...fields.dates });
  if (state === State.PreActive) {
    await store.transition(ctx.tenant, id, {
      from: [State.Active],
      to: State.PreActive,
      dates: { ActivationDate: fields.dates.ActivationDate ?? null },
    });
    keys.invalidate(id);
  }
  return store.get(ctx.tenant, id);
}

export const create = defineOperation({
  operation: 'Create',
  phase: 1,
  roles: ['core'],
  permission: 'create',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey'],
  handle: versioned(async (ctx, payload) => {
    const object = await createSymmetricKey(ctx, payload);
    ctx.placeholder.set(object.id);
    ctx.log.info({ keyId: object.id, level: object.keyLevel }, 'key created');
    const out: TtlvItem[] = [
      enumeration(Tag.ObjectType, object.objectType),
      textString(Tag.UniqueIdentifier, object.id),
    ];
    return out;
  }),
});
