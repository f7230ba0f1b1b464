/**
 * RNG Retrieve (KMIP 2.1 §6.1.49, 1.4 §4.35, KMIP 1.2+): Data Length bytes from the operating
 * system's CSPRNG (node:crypto randomBytes). Stateless: served by the core and the gateway alike.
 *
 * Failure cases: no Data Length → Invalid Message; not between 1 and 65536 → Invalid Field (a
 * bound so that one request cannot ask for an unbounded allocation).
 */
import { randomBytes } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { byteString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { integerChild } from '../core/services/objects.js';

export const MAX_RNG_BYTES = 65536;

export function retrieveRandom(payload: StructureItem | undefined): TtlvItem[] {
  const length = integerChild(payload, Tag.DataLength, 'Data Length');
  if (length === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Data Length');
  if (!Number.isInteger(length) || length < 1 || length > MAX_RNG_BYTES)
    throw new KryptonError('KRY_OP_INVALID_FIELD', `Data Length must be 1-${MAX_RNG_BYTES}`);
  return [byteString(Tag.Data, randomBytes(length))];
}

export const rngRetrieve = defineOperation({
  operation: 'RNGRetrieve',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'rng',
  versions: ['1.2', '1.3', '1.4', '2.0', '2.1'],
  handle: (_ctx, payload) => retrieveRandom(payload),
});
