/**
 * Rekey (KMIP 2.1 §6.1.43, 1.4 §4.4) of an L3 (or L2): a new key with a new Unique Identifier and
 * fresh material of the same algorithm and length, wrapped under the tenant's current L2, linked
 * Replaced Object → old and Replacement Object ← old in one Store transaction, Name moved to it.
 * Dates: Initial Date now; Activation Date = now + Offset (Offset absent: the old key's
 * Activation − Initial Date, else 0); Process Start, Protect Stop and Deactivation Dates keep
 * their distance to the Activation Date. The new version is Active once its Activation Date
 * has come; the old version gets Protect Stop Date = the new Activation Date, so it is
 * decrypt-only from then on. Keys below are re-wrapped lazily when next unwrapped.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; not a Symmetric Key → Invalid Field; Compromised or destroyed → Wrong Key
 * Lifecycle State; a concurrent Rekey of the same key → Illegal Operation in 1.x, General Failure
 * in 2.x (which dropped Illegal Operation): exactly one wins.
 */
import { randomKeyBytes } from '../core/crypto/random.js';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { newKeyFields, wrappedL3Object } from '../core/services/key-material.js';
import {
  loadObject,
  refuseL4,
  requestAttributes,
  servicesOf,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { ObjectType, State, type LifecycleDates } from '../storage-adapters/index.js';

const REKEYABLE: readonly number[] = [State.PreActive, State.Active, State.Deactivated];
const SHIFTED = ['ProcessStartDate', 'ProtectStopDate', 'DeactivationDate'] as const;

export async function rekeyObject(ctx: RequestContext, payload: StructureItem | undefined): Promise<string> {
  const id = uniqueIdentifierOf(ctx, payload);
  const offsetItem = child(payload, Tag.Offset);
  if (offsetItem !== undefined && offsetItem.type !== 'Interval')
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Offset');
  const old = await loadObject(ctx, id);
  refuseL4(old);
  if (old.objectType !== ObjectType.SymmetricKey || old.keyLevel === undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the core rekeys L2 and L3 Symmetric Keys');
  if (!REKEYABLE.includes(old.state)) throw new KryptonError('KRY_STORE_WRONG_STATE');
  const { store, keys } = servicesOf(ctx);
  if (old.keyLevel === 2) {
    // The tenant key is rotated by the hierarchy (new material from the HSM, wrapped by L1).
    const newId = await keys.rekey(id);
    return newId;
  }
  const extra = newKeyFields(requestAttributes(payload));
  const now = new Date();
  const initial = old.dates.InitialDate ?? now;
  const offsetMs =
    offsetItem?.type === 'Interval'
      ? offsetItem.value * 1000
      : old.dates.ActivationDate
        ? Math.max(0, old.dates.ActivationDate.getTime() - initial.getTime())
        : 0;
  const activation = new Date(now.getTime() + offsetMs);
  const dates: LifecycleDates = { ActivationDate: activation };
  for (const name of SHIFTED) {
    const d = old.dates[name];
    if (d !== undefined && old.dates.ActivationDate !== undefined)
      dates[name] = new Date(activation.getTime() + (d.getTime() - old.dates.ActivationDate.getTime()));
  }
  Object.assign(dates, extra.dates);
  const copied = old.attributes
    .filter((a) => a.name !== 'Name' && a.name !== 'Digest' && a.name !== 'RevocationReason')
    .filter((a) => !extra.attributes.some((x) => x.name === a.name))
    .map(({ name, vendorIdentification, value }) => ({
      name,
      ...(vendorIdentification !== undefined && { vendorIdentification }),
      value,
    }));
  const key = randomKeyBytes((old.cryptographicLength ?? 256) / 8);
  let replacementId: string;
  try {
    const replacement = await wrappedL3Object(
      ctx,
      key,
      {
        cryptographicAlgorithm: old.cryptographicAlgorithm,
        cryptographicLength: old.cryptographicLength,
        dates,
        attributes: [...copied, ...extra.attributes],
      },
      activation <= now ? State.Active : State.PreActive,
    );
    const protectStop = old.dates.ProtectStopDate;
    const result = await store.rekey(ctx.tenant, id, {
      replacement,
      replaced: {
        dates: {
          ProtectStopDate: protectStop !== undefined && protectStop < activation ? protectStop : activation,
        },
      },
      moveAttributes: [{ name: 'Name' }],
      expectedVersion: old.version,
    });
    replacementId = result.replacement.id;
  } finally {
    key.fill(0);
  }
  keys.invalidate(id);
  ctx.log.info({ keyId: id, replacementId }, 'key rekeyed');
  return replacementId;
}

export const rekey = defineOperation({
  operation: 'ReKey',
  phase: 2,
  roles: ['core'],
  permission: 'rekey',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(async (ctx, payload) => {
    const id = await rekeyObject(ctx, payload);
    ctx.placeholder.set(id);
    return [textString(Tag.UniqueIdentifier, id)];
  }),
});
