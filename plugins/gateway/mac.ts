/**
 * MAC and MAC Verify at the gateway (KMIP 2.1 §6.1.30-31, 1.4 §4.33-34): an L4 of the vault whose
 * usage mask allows it (an AES key: CMAC) is used here — the key and algorithm chosen, and the
 * state and usage checked, by the core's logic (plugins/mac.ts) over a vault context; the key is
 * unwrapped under its L3 and zeroed after use. Any other key (an HMAC key is the core's) at the core.
 */
import { KryptonError } from '../../core/errors.js';
import { CryptographicUsageMask, Tag, ValidityIndicator } from '../../core/spec/index.js';
import { byteString, enumeration, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { computeMac, verifyMac } from '../../core/crypto/mac.js';
import { checkProcess, checkProtect, checkUsage } from '../../core/services/key-usage.js';
import { bytesChild, requirePayload } from '../../core/services/objects.js';
import { mac as coreMac, macKey } from '../mac.js';
import { macVerify as coreMacVerify } from '../mac-verify.js';
import { heldLike } from './held.js';
import { unwrapL4 } from './routing.js';
import type { RequestContext } from '../../core/dispatch/operation.js';

async function withL4Mac<T>(
  ctx: RequestContext,
  request: RequestContext,
  payload: StructureItem | undefined,
  usage: 'MAC' | 'MAC Verify',
  use: (key: Buffer, algorithm: number, body: StructureItem, data: Uint8Array) => T,
): Promise<{ id: string; result: T }> {
  const body = requirePayload(payload);
  const { object, algorithm } = await macKey(ctx, body);
  if (usage === 'MAC') {
    checkProtect(object);
    checkUsage(ctx, object, CryptographicUsageMask.MACGenerate, usage);
  } else {
    checkProcess(object);
    checkUsage(ctx, object, CryptographicUsageMask.MACVerify, usage);
  }
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const key = await unwrapL4(request, object);
  try {
    return { id: object.id, result: use(key, algorithm, body, data) };
  } finally {
    key.fill(0);
  }
}

async function macOnVault(
  ctx: RequestContext,
  payload: StructureItem | undefined,
  request: RequestContext,
): Promise<TtlvItem[]> {
  const { id, result } = await withL4Mac(ctx, request, payload, 'MAC', (key, algorithm, _body, data) =>
    computeMac(algorithm, key, data),
  );
  return [textString(Tag.UniqueIdentifier, id), byteString(Tag.MACData, result)];
}

async function verifyOnVault(
  ctx: RequestContext,
  payload: StructureItem | undefined,
  request: RequestContext,
): Promise<TtlvItem[]> {
  const { id, result } = await withL4Mac(
    ctx,
    request,
    payload,
    'MAC Verify',
    (key, algorithm, body, data) => {
      const presented = bytesChild(body, Tag.MACData, 'MAC Data');
      if (presented === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'MAC Data');
      return verifyMac(algorithm, key, data, presented);
    },
  );
  return [
    textString(Tag.UniqueIdentifier, id),
    enumeration(Tag.ValidityIndicator, result ? ValidityIndicator.Valid : ValidityIndicator.Invalid),
  ];
}

export const mac = heldLike(coreMac, macOnVault);
export const macVerify = heldLike(coreMacVerify, verifyOnVault);
