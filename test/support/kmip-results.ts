/**
 * KMIP helpers the multi-part tests share: an active AES key registered at a level, a Byte String
 * field of an answer, the Result Reason a call ends with, and data cut into parts.
 */
import { KmipResultError, type KmipClient } from '../../core/client/client.js';
import { symmetricKeyObject } from '../../core/client/requests.js';
import { child } from '../../core/ttlv/tree.js';
import type { StructureItem } from '../../core/ttlv/types.js';

export function bytesOf(payload: StructureItem | undefined, tag: number): Buffer | undefined {
  const c = child(payload, tag);
  return c?.type === 'ByteString' ? Buffer.from(c.value) : undefined;
}

/** `Success`, or the Result Reason name of the KmipResultError the call rejected with. */
export async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'Success';
  } catch (err) {
    if (err instanceof KmipResultError) return err.resultReasonName ?? 'unknown';
    throw err;
  }
}

/** An AES key registered Active, an L3 (the core's) or an L4 (a gateway's vault), with `extra` attributes. */
export async function registerAes(
  c: KmipClient,
  level: 'L3' | 'L4',
  key: Buffer,
  usage: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const { uniqueIdentifier } = await c.register({
    objectType: 'SymmetricKey',
    attributes: {
      CryptographicUsageMask: usage,
      ...(level === 'L3' && { 'x-krypton-level': 'L3' }),
      ActivationDate: new Date(Date.now() - 1000),
      ...extra,
    },
    object: symmetricKeyObject(key, 'AES'),
  });
  return uniqueIdentifier;
}

/** `data` cut into parts of `sizes` bytes, the rest as the last part (empty when none is left). */
export function split(data: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(data.subarray(at, at + n));
    at += n;
  }
  out.push(data.subarray(at));
  return out;
}
