/**
 * Check (KMIP 2.1 §6.1.7, 1.4 §4.10): may the client use the object as it says? Usually batched
 * after Locate/Create and before Get. Checked against the object's attributes: the Cryptographic
 * Usage Mask asked must be within the object's mask; the Usage Limits Count asked must not exceed
 * what remains of the object's Usage Limits (KMIP 2.1 §4.59); a Lease Time asked must not exceed
 * the object's Lease Time when it has one (Krypton grants no leases of its own). A refusal empties
 * the ID placeholder (§6.1.7: later batch items must not use the object).
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; archived → Object Archived; usage mask → Incompatible Cryptographic Usage Mask
 * (1.x Permission Denied); usage limits → Usage Limit Exceeded (1.x Permission Denied); lease →
 * Permission Denied.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { objectForAttributes } from '../core/services/attribute-changes.js';
import {
  integerChild,
  isV2,
  uniqueIdentifierOf,
  usageMaskError,
  usageMaskOf,
  versioned,
} from '../core/services/objects.js';
import type { ManagedObject } from '../storage-adapters/index.js';

/** What remains of an object's Usage Limits (KMIP 2.1 §4.59 Usage Limits Count), if it has any. */
export function remainingUsage(object: ManagedObject): bigint | undefined {
  const limits = object.attributes.find((a) => a.name === 'UsageLimits')?.value;
  if (typeof limits !== 'object' || limits instanceof Uint8Array || limits instanceof Date) return undefined;
  const count = limits.UsageLimitsCount ?? limits.UsageLimitsTotal;
  return typeof count === 'bigint' ? count : typeof count === 'number' ? BigInt(count) : undefined;
}

function longChild(payload: StructureItem | undefined, tag: number, field: string): bigint | undefined {
  const c = child(payload, tag);
  if (c === undefined) return undefined;
  if (c.type === 'LongInteger') return c.value;
  if (c.type === 'Integer') return BigInt(c.value);
  throw new KryptonError('KRY_OP_INVALID_FIELD', field);
}

export async function checkUse(ctx: RequestContext, payload: StructureItem | undefined): Promise<TtlvItem[]> {
  const id = uniqueIdentifierOf(ctx, payload);
  const mask = integerChild(payload, Tag.CryptographicUsageMask, 'Cryptographic Usage Mask');
  const count = longChild(payload, Tag.UsageLimitsCount, 'Usage Limits Count');
  const lease = integerChild(payload, Tag.LeaseTime, 'Lease Time');
  const object = await objectForAttributes(ctx, id);
  try {
    if (mask !== undefined && (mask & ~usageMaskOf(object)) !== 0)
      throw usageMaskError(ctx.protocolVersion, 'Check');
    const remaining = remainingUsage(object);
    if (count !== undefined && remaining !== undefined && count > remaining)
      throw new KryptonError(
        isV2(ctx.protocolVersion) ? 'KRY_CHECK_USAGE_LIMIT' : 'KRY_CHECK_DENIED_1X',
        'Usage Limits Count',
      );
    const granted = object.attributes.find((a) => a.name === 'LeaseTime')?.value;
    if (lease !== undefined && typeof granted === 'number' && lease > granted)
      throw new KryptonError('KRY_CHECK_LEASE');
  } catch (err) {
    ctx.placeholder.clear?.();
    throw err;
  }
  return [textString(Tag.UniqueIdentifier, object.id)];
}

export const check = defineOperation({
  operation: 'Check',
  phase: 3,
  roles: ['core'],
  permission: 'check',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(checkUse),
});
