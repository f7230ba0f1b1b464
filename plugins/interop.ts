/**
 * Interop (KMIP 2.1 §6.1.26, 2.x only): the test-control operation of the KMIP 2.1 profile test
 * cases (Begin, End, Reset of a test case). The spec says it "SHALL NOT be available in a
 * production server" because a server may reset state on it; Krypton's Interop changes nothing —
 * it records the test-case marker in the log, so that a conformance run can be read alongside the
 * server log — and still needs its own permission (`interop`), which a production profile grants
 * to nobody unless it chooses to. Stateless: core and gateway.
 *
 * Failure cases: no Interop Function or Identifier → Invalid Message; a function other than
 * Begin/End/Reset → Invalid Field.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { InteropFunction, Tag } from '../core/spec/index.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { enumChild, textChild } from '../core/services/objects.js';

const FUNCTIONS: ReadonlyMap<number, string> = new Map(
  Object.entries(InteropFunction).map(([name, value]) => [value, name]),
);

export function interopMarker(ctx: RequestContext, payload: StructureItem | undefined): TtlvItem[] {
  const fn = enumChild(payload, Tag.InteropFunction, 'Interop Function');
  const testCase = textChild(payload, Tag.InteropIdentifier, 'Interop Identifier');
  if (fn === undefined || testCase === undefined)
    throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Interop Function and Interop Identifier');
  const name = FUNCTIONS.get(fn);
  if (!name) throw new KryptonError('KRY_OP_INVALID_FIELD', 'Interop Function');
  ctx.log.info({ interop: name, testCase: testCase.slice(0, 128) }, 'interop test case marker');
  return [];
}

export const interop = defineOperation({
  operation: 'Interop',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'interop',
  versions: ['2.0', '2.1'],
  handle: interopMarker,
});
