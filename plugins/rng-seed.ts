/**
 * RNG Seed (KMIP 2.1 §6.1.50, 1.4 §4.36, KMIP 1.2+). Krypton draws randomness only from the
 * operating system's CSPRNG, which a client cannot and must not seed: the seed is read, not used,
 * and the answer is Data Length 0 — the spec's way of saying so ("The server MAY elect to ignore
 * the information provided by the client … by returning zero as the value in the Data Length
 * response. A client SHALL NOT consider [this] as an error"). Stateless: core and gateway.
 *
 * Failure cases: no Data → Invalid Message.
 */
import { defineOperation } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag } from '../core/spec/index.js';
import { integer } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { bytesChild } from '../core/services/objects.js';

export function seedRandom(payload: StructureItem | undefined): TtlvItem[] {
  if (bytesChild(payload, Tag.Data, 'Data') === undefined)
    throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Data');
  return [integer(Tag.DataLength, 0)];
}

export const rngSeed = defineOperation({
  operation: 'RNGSeed',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'rng',
  versions: ['1.2', '1.3', '1.4', '2.0', '2.1'],
  handle: (_ctx, payload) => seedRandom(payload),
});
