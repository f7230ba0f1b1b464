/**
 * Cancel (KMIP 2.1 §6.1.5, 1.4 §4.24): cancels an operation answered Operation Pending. One that
 * has not started is Canceled (it never runs; a later Poll answers Operation Canceled By
 * Requester); one that is running is Unable To Cancel (storage changes are not interrupted half
 * way); one that has finished is Completed, or Failed when it failed. The answer echoes the
 * correlation value with the Cancellation Result. Served where the operation ran (see poll.ts).
 *
 * Failure cases: no Asynchronous Correlation Value → Invalid Message; an unknown or foreign one →
 * Invalid Asynchronous Correlation Value (1.x Item Not Found).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { Tag } from '../core/spec/index.js';
import { byteString, enumeration } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { correlationOf, unknownCorrelation } from './poll.js';

export function cancelOperation(ctx: RequestContext, payload: StructureItem | undefined): TtlvItem[] {
  const correlation = correlationOf(ctx, payload);
  const async = ctx.asynchronous!;
  const result = async.operations.cancel(async.owner, correlation);
  if (result === undefined) throw unknownCorrelation(ctx);
  return [
    byteString(Tag.AsynchronousCorrelationValue, correlation),
    enumeration(Tag.CancellationResult, result),
  ];
}

export const cancel = defineOperation({
  operation: 'Cancel',
  phase: 4,
  roles: ['core', 'gateway'],
  permission: 'poll',
  handle: cancelOperation,
});
