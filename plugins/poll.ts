/**
 * Poll (KMIP 2.1 §6.1.38, 1.4 §4.25): the status of an operation answered Operation Pending.
 * Still running → Result Status Pending, no payload; finished → exactly the answer it would have
 * had synchronously (payload, or the failure with its reason), delivered once. Only the identity
 * that submitted an operation may poll it. The table is the dispatcher's (core/dispatch/pending.ts),
 * per process, so Poll is served where the operation ran: a core or a gateway, no store needed.
 *
 * Failure cases: no Asynchronous Correlation Value → Invalid Message; an unknown, already
 * delivered or foreign one → Invalid Asynchronous Correlation Value (1.x Item Not Found); a
 * canceled operation → Operation Canceled By Requester.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { bytesChild, isV2 } from '../core/services/objects.js';

export function correlationOf(ctx: RequestContext, payload: StructureItem | undefined): Uint8Array {
  const value = bytesChild(payload, Tag.AsynchronousCorrelationValue, 'Asynchronous Correlation Value');
  if (value === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Asynchronous Correlation Value');
  if (!ctx.asynchronous) throw new KryptonError('KRY_SRV_ASYNC_NOT_SUPPORTED');
  return value;
}

export function unknownCorrelation(ctx: RequestContext): KryptonError {
  return new KryptonError(isV2(ctx.protocolVersion) ? 'KRY_ASYNC_UNKNOWN' : 'KRY_ASYNC_UNKNOWN_1X');
}

export function pollOperation(ctx: RequestContext, payload: StructureItem | undefined): TtlvItem[] {
  const correlation = correlationOf(ctx, payload);
  const async = ctx.asynchronous!;
  const answer = async.operations.poll(async.owner, correlation);
  if (!answer) throw unknownCorrelation(ctx);
  async.answer(answer);
  return [];
}

export const poll = defineOperation({
  operation: 'Poll',
  phase: 4,
  roles: ['core', 'gateway'],
  permission: 'poll',
  handle: pollOperation,
});
