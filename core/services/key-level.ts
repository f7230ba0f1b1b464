/**
 * The key level attribute: `x-krypton-level` in KMIP 1.x (a custom attribute, 1.4 §3.40) and the
 * Vendor Attribute { Vendor Identification `x`, Attribute Name `krypton-level` } in 2.x (2.1 §4.58)
 * — one attribute for core/attributes. Text String `L2`, `L3` or `L4`. The Store keeps it in its
 * promoted `keyLevel` column, so it is reported from there, never stored twice.
 */
import { KryptonError } from '../errors.js';
import type { KeyLevel } from '../keys/key-records.js';
import type { KmipAttribute } from '../attributes/index.js';

export const LEVEL_ATTRIBUTE = 'x-krypton-level';

export function levelAttribute(level: KeyLevel): KmipAttribute {
  return { name: LEVEL_ATTRIBUTE, value: level };
}

/** The level a request names; undefined when it names none. */
export function requestedLevel(attributes: readonly KmipAttribute[]): KeyLevel | undefined {
  const given = attributes.filter((a) => a.name === LEVEL_ATTRIBUTE);
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new KryptonError('KRY_OP_INVALID_FIELD', `${LEVEL_ATTRIBUTE} is single-valued`);
  const value = given[0]!.value;
  if (value !== 'L2' && value !== 'L3' && value !== 'L4') {
    throw new KryptonError('KRY_OP_INVALID_FIELD', `${LEVEL_ATTRIBUTE} must be L2, L3 or L4`);
  }
  return value;
}

export function levelNumber(level: KeyLevel): 2 | 3 | 4 {
  return Number(level.slice(1)) as 2 | 3 | 4;
}
