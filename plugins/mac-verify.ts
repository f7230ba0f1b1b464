/**
 * MAC Verify (KMIP 2.1 §6.1.29, 1.4 §4.34) at the core, the algorithms and keys of MAC
 * (plugins/mac.ts). The answer is a Validity Indicator, compared in constant time; a MAC of the
 * wrong length is Invalid.
 *
 * Failure cases: as MAC, except the lifecycle: Active, Deactivated and Compromised keys verify,
 * Pre-Active and destroyed ones do not, nor a key before its Process Start Date → Wrong Key
 * Lifecycle State (1.x Permission Denied); no MAC Verify usage → Incompatible Cryptographic
 * Usage Mask (1.x Permission Denied); no Data or no MAC Data → Missing Data. Verification consumes
 * no Usage Limits (KMIP 2.1 §4.59: processing is not limited).
 *
 * Multi-part (core/services/crypto-streams.ts): Data in parts, the MAC Data on the first or the
 * last part; only the last answer carries the Validity Indicator (KMIP 2.1 §6.1.33).
 */
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { Tag, ValidityIndicator } from '../core/spec/index.js';
import { enumeration, textString } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { verifyMac } from '../core/crypto/mac.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import {
  cryptoStreamsPlugin,
  servePart,
  streamPartOf,
  type StreamSite,
} from '../core/services/crypto-streams.js';
import { bytesChild, requirePayload, versioned } from '../core/services/objects.js';
import { checkMacUse, coreMacKey, macKey, macStream, type WithMacKey } from './mac.js';

export async function verifyMacData(
  ctx: RequestContext,
  payload: StructureItem | undefined,
  withKey: WithMacKey = coreMacKey('process'),
  site: StreamSite = 'core',
): Promise<TtlvItem[]> {
  const body = requirePayload(payload);
  const part = streamPartOf(body);
  if (part !== undefined) return servePart(ctx, body, part, macStream('MAC Verify', withKey), site);
  const { object, algorithm } = await macKey(ctx, body);
  checkMacUse(ctx, object, 'MAC Verify');
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const presented = bytesChild(body, Tag.MACData, 'MAC Data');
  if (presented === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'MAC Data');
  const valid = await withKey(ctx, object, (key) => verifyMac(algorithm, key, data, presented));
  return [
    textString(Tag.UniqueIdentifier, object.id),
    enumeration(Tag.ValidityIndicator, valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid),
  ];
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const macVerify = defineOperation({
  operation: 'MACVerify',
  phase: 4,
  roles: ['core'],
  permission: 'mac-verify',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['SymmetricKey'],
  handle: versioned((ctx, payload) => verifyMacData(ctx, payload)),
});
