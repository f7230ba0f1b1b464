/**
 * Revoke (KMIP 2.1 §6.1.47, 1.4 §4.20). KMIP has no Deactivate operation: Revoke with any
 * reason other than a compromise moves Pre-Active or Active → Deactivated (Deactivation Date now);
 * Key Compromise / CA Compromise moves any non-destroyed state → Compromised (Compromise Date
 * now, Compromise Occurrence Date as given, else now). The Revocation Reason is kept as an
 * attribute. The key cache drops the key and what was cached under it.
 *
 * Failure cases: unknown or foreign object → Object Not Found (1.x Item Not Found); an L4 →
 * Permission Denied; no Revocation Reason → Missing Data (1.x: Invalid Message is also seen in the
 * wild); a state the reason cannot leave (Deactivated for a non-compromise reason, Compromised,
 * Destroyed) → Wrong Key Lifecycle State.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { RevocationReasonCode, Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  enumChild,
  loadObject,
  refuseL4,
  servicesOf,
  textChild,
  uniqueIdentifierOf,
  versioned,
} from '../core/services/objects.js';
import { State } from '../storage-adapters/index.js';

export async function revokeObject(ctx: RequestContext, payload: StructureItem | undefined): Promise<string> {
  const id = uniqueIdentifierOf(ctx, payload);
  const reason = child(payload, Tag.RevocationReason);
  if (reason === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Revocation Reason');
  const code = enumChild(reason, Tag.RevocationReasonCode, 'Revocation Reason Code');
  if (code === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Revocation Reason Code');
  if (!Object.values(RevocationReasonCode).includes(code as never))
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Revocation Reason Code');
  const message = textChild(reason, Tag.RevocationMessage, 'Revocation Message');
  const occurrence = child(payload, Tag.CompromiseOccurrenceDate);
  if (occurrence !== undefined && occurrence.type !== 'DateTime')
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Compromise Occurrence Date');
  const object = await loadObject(ctx, id);
  refuseL4(object);
  const { store, keys } = servicesOf(ctx);
  const now = new Date();
  const compromise =
    code === RevocationReasonCode.KeyCompromise || code === RevocationReasonCode.CACompromise;
  if (compromise) {
    await store.transition(ctx.tenant, id, {
      from: [State.PreActive, State.Active, State.Deactivated],
      to: State.Compromised,
      dates: {
        CompromiseDate: now,
        CompromiseOccurrenceDate:
          occurrence?.type === 'DateTime' ? new Date(Number(occurrence.value) * 1000) : now,
      },
      expectedVersion: object.version,
    });
  } else {
    await store.transition(ctx.tenant, id, {
      from: [State.PreActive, State.Active],
      to: State.Deactivated,
      dates: { DeactivationDate: now },
      expectedVersion: object.version,
    });
  }
  keys.invalidate(id);
  // Its open multi-part operations end now (core/services/crypto-streams.ts).
  ctx.services.streams?.dropKey(ctx.tenant, id);
  await store.setAttribute(ctx.tenant, id, {
    name: 'RevocationReason',
    value: { RevocationReasonCode: code, ...(message !== undefined && { RevocationMessage: message }) },
  });
  ctx.log.info({ keyId: id, compromise }, 'key revoked');
  return id;
}

export const revoke = defineOperation({
  operation: 'Revoke',
  phase: 2,
  roles: ['core'],
  permission: 'revoke',
  dependencies: [CORE_SERVICES_PLUGIN],
  handle: versioned(async (ctx, payload) => {
    return [textString(Tag.UniqueIdentifier, await revokeObject(ctx, payload))];
  }),
});
