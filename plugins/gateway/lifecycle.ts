/**
 * Lifecycle of a local L4 in the vault, as the core applies it to its objects (plugins/activate.ts,
 * revoke.ts, destroy.ts): Activate Pre-Active → Active; Revoke with a compromise reason → Compromised,
 * any other → Deactivated (KMIP has no Deactivate operation); Destroy from Pre-Active or
 * Deactivated (Compromised → Destroyed Compromised) removes the wrapped material in the same
 * transaction (crypto-shredding). Revoke/Destroy/ReKey forwarded for an L3 drop it from the
 * gateway's cache at once.
 */
import type { RequestContext } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { KryptonError } from '../../core/errors.js';
import { RevocationReasonCode, Tag } from '../../core/spec/index.js';
import { child, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { enumChild, textChild } from '../../core/services/objects.js';
import { State, type ManagedObject } from '../../storage-adapters/index.js';
import { idOf, local, localL4 } from './routing.js';

type LocalChange = (
  ctx: RequestContext,
  object: ManagedObject,
  payload: StructureItem | undefined,
) => Promise<void>;

/** Routes one lifecycle item: the vault's L4, or the core (then forgets a cached L3 of that id). */
export async function routeLifecycle(
  ctx: RequestContext,
  operation: 'Activate' | 'Revoke' | 'Destroy' | 'ReKey',
  payload: StructureItem | undefined,
  change: LocalChange | undefined,
): Promise<StructureItem | TtlvItem[] | undefined> {
  const id = idOf(ctx, payload);
  const object = change && id !== undefined ? await localL4(ctx, id) : undefined;
  if (object && change)
    return local(ctx, async () => {
      await change(ctx, object, payload);
      // Revoke and Destroy end the L4's open multi-part operations (core/services/crypto-streams.ts).
      if (operation === 'Revoke' || operation === 'Destroy')
        ctx.services.streams?.dropKey(ctx.tenant, object.id);
      return [textString(Tag.UniqueIdentifier, object.id)];
    });
  const gw = gatewayOf(ctx);
  const answer = await forwardItem(gw.delegate, ctx, operation, payload);
  // The change went through here: no need to wait for the poll (KMIP 2.1 §6.1.43 keeps the old id).
  if (id !== undefined) gw.l3.invalidate(ctx.tenant, id);
  return answer;
}

export const activateL4: LocalChange = async (ctx, object) => {
  await gatewayOf(ctx).vault.transition(ctx.tenant, object.id, {
    from: [State.PreActive],
    to: State.Active,
    dates: { ActivationDate: new Date() },
    expectedVersion: object.version,
  });
};

export const revokeL4: LocalChange = async (ctx, object, payload) => {
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
  const { vault } = gatewayOf(ctx);
  const now = new Date();
  const compromise =
    code === RevocationReasonCode.KeyCompromise || code === RevocationReasonCode.CACompromise;
  await vault.transition(ctx.tenant, object.id, {
    from: compromise ? [State.PreActive, State.Active, State.Deactivated] : [State.PreActive, State.Active],
    to: compromise ? State.Compromised : State.Deactivated,
    dates: compromise
      ? {
          CompromiseDate: now,
          CompromiseOccurrenceDate:
            occurrence?.type === 'DateTime' ? new Date(Number(occurrence.value) * 1000) : now,
        }
      : { DeactivationDate: now },
    expectedVersion: object.version,
  });
  await vault.setAttribute(ctx.tenant, object.id, {
    name: 'RevocationReason',
    value: { RevocationReasonCode: code, ...(message !== undefined && { RevocationMessage: message }) },
  });
};

export const destroyL4: LocalChange = async (ctx, object) => {
  const compromised = object.state === State.Compromised;
  await gatewayOf(ctx).vault.transition(ctx.tenant, object.id, {
    from: compromised ? [State.Compromised] : [State.PreActive, State.Deactivated],
    to: compromised ? State.DestroyedCompromised : State.Destroyed,
    dates: { DestroyDate: new Date() },
    expectedVersion: object.version,
  });
  ctx.log.info({ keyId: object.id }, 'L4 destroyed: wrapped material removed');
};
