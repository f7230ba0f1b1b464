/**
 * Log (KMIP 2.1 §6.1.29, 2.x only): a client's message written to the server log (at info, with
 * the principal the dispatcher puts on every log line). The message is cut to 1024 characters so a
 * client cannot flood the log with one request; pino writes it JSON-escaped, so it cannot forge
 * log lines. Stateless: core and gateway.
 *
 * Failure cases: no Log Message → Invalid Message.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { textChild } from '../core/services/objects.js';

export const MAX_LOG_MESSAGE = 1024;

export function logClientMessage(ctx: RequestContext, payload: StructureItem | undefined): TtlvItem[] {
  const message = textChild(payload, Tag.LogMessage, 'Log Message');
  if (message === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Log Message');
  ctx.log.info({ clientLog: message.slice(0, MAX_LOG_MESSAGE) }, 'client log message');
  return [];
}

export const log = defineOperation({
  operation: 'Log',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'log',
  versions: ['2.0', '2.1'],
  handle: logClientMessage,
});
