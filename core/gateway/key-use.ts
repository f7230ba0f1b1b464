/**
 * The checks a key passes before it protects or processes data, applied by the gateway to a
 * cached L3 and to an L4 of the vault exactly as the core applies them (plugins/encrypt.ts,
 * plugins/decrypt.ts): date-driven state (KMIP 2.1 §4.x: Activation and Deactivation Dates),
 * Protect Stop / Process Start Dates, replacement by Rekey (the old version is decrypt-only) and
 * the Cryptographic Usage Mask (Wrap/Unwrap Key for the key-wrap modes).
 */
import { KryptonError } from '../errors.js';
import type { KmipVersion } from '../spec/index.js';
import { LinkType, State, type AttributeValue, type ManagedObject } from '../../storage-adapters/index.js';
import { isKeyWrapMode } from '../services/cipher.js';
import { Usage, usageMaskError } from '../services/objects.js';

/** What the checks need to know of a key. */
export interface KeyView {
  readonly state: number;
  readonly usageMask: number;
  readonly activationDate: Date | undefined;
  readonly deactivationDate: Date | undefined;
  readonly protectStopDate: Date | undefined;
  readonly processStartDate: Date | undefined;
  /** Replaced by Rekey: decrypt only. */
  readonly replaced: boolean;
  /** Archived (off-line until Recover): it wraps and unwraps no key (KMIP 2.1 §11.46). */
  readonly archived: boolean;
  /** The stored Cryptographic Parameters attribute, the default for requests without any. */
  readonly cryptographicParameters: AttributeValue | undefined;
}

export function keyViewOf(object: ManagedObject): KeyView {
  const params = object.attributes.find((a) => a.name === 'CryptographicParameters')?.value;
  const mask = object.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value;
  return {
    state: object.state,
    usageMask: typeof mask === 'number' ? mask : 0,
    activationDate: object.dates.ActivationDate,
    deactivationDate: object.dates.DeactivationDate,
    protectStopDate: object.dates.ProtectStopDate,
    processStartDate: object.dates.ProcessStartDate,
    replaced: object.links.some((l) => l.linkType === LinkType.ReplacementObjectLink),
    archived: object.archived,
    cryptographicParameters: params,
  };
}

/** The state once the dates that have passed are applied (as the core's loadObject does). */
export function effectiveState(k: KeyView, now: Date): number {
  let state = k.state;
  if (state === State.PreActive && k.activationDate && k.activationDate <= now) state = State.Active;
  if (
    (state === State.Active || state === State.PreActive) &&
    k.deactivationDate &&
    k.deactivationDate <= now
  )
    state = State.Deactivated;
  return state;
}

export function checkProtect(k: KeyView, mode: number, version: KmipVersion, now = new Date()): void {
  const state = effectiveState(k, now);
  if (state !== State.Active)
    throw new KryptonError(
      'KRY_KEY_UNUSABLE',
      state === State.Compromised ? 'a Compromised key does not encrypt' : 'the key is not Active',
    );
  if (k.protectStopDate !== undefined && k.protectStopDate <= now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Protect Stop Date has passed: decrypt only');
  if (k.replaced) throw new KryptonError('KRY_KEY_UNUSABLE', 'the key was replaced by Rekey: decrypt only');
  const needed = isKeyWrapMode(mode) ? Usage.WrapKey | Usage.Encrypt : Usage.Encrypt;
  if ((k.usageMask & needed) === 0) throw usageMaskError(version, 'Encrypt');
}

const PROCESSING: readonly number[] = [State.Active, State.Deactivated, State.Compromised];

export function checkProcess(k: KeyView, mode: number, version: KmipVersion, now = new Date()): void {
  if (!PROCESSING.includes(effectiveState(k, now)))
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the key cannot process data in its state');
  if (k.processStartDate !== undefined && k.processStartDate > now)
    throw new KryptonError('KRY_KEY_UNUSABLE', 'the Process Start Date has not come');
  const needed = isKeyWrapMode(mode) ? Usage.UnwrapKey | Usage.Decrypt : Usage.Decrypt;
  if ((k.usageMask & needed) === 0) throw usageMaskError(version, 'Decrypt');
}
