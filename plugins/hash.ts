/**
 * Hash (KMIP 2.1 §6.1.24, 1.4 §4.37, KMIP 1.2+): the digest of Data with the Hashing Algorithm of
 * the Cryptographic Parameters. SHA-1, SHA-2 (224/256/384/512, 512/224, 512/256) and SHA-3 —
 * MD2/MD4/MD5/RIPEMD/Tiger/Whirlpool are not offered. Single-part only. Stateless: served by the
 * core and the gateway alike.
 *
 * Failure cases: no Cryptographic Parameters / Hashing Algorithm / Data → Invalid Message; an
 * algorithm not offered, or streaming (Init/Final Indicator, Correlation Value) → Feature Not
 * Supported.
 */
import { createHash } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { HashingAlgorithm, Tag } from '../core/spec/index.js';
import { byteString, child } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { bytesChild, enumChild } from '../core/services/objects.js';

/** KMIP Hashing Algorithm → node:crypto (OpenSSL) digest name. */
const DIGESTS: ReadonlyMap<number, string> = new Map([
  [HashingAlgorithm.SHA_1, 'sha1'],
  [HashingAlgorithm.SHA_224, 'sha224'],
  [HashingAlgorithm.SHA_256, 'sha256'],
  [HashingAlgorithm.SHA_384, 'sha384'],
  [HashingAlgorithm.SHA_512, 'sha512'],
  [HashingAlgorithm.SHA_512_224, 'sha512-224'],
  [HashingAlgorithm.SHA_512_256, 'sha512-256'],
  [HashingAlgorithm.SHA3_224, 'sha3-224'],
  [HashingAlgorithm.SHA3_256, 'sha3-256'],
  [HashingAlgorithm.SHA3_384, 'sha3-384'],
  [HashingAlgorithm.SHA3_512, 'sha3-512'],
]);

export function hashData(payload: StructureItem | undefined): TtlvItem[] {
  for (const tag of [Tag.InitIndicator, Tag.FinalIndicator, Tag.CorrelationValue]) {
    if (child(payload, tag) !== undefined)
      throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'streaming Hash');
  }
  const params = child(payload, Tag.CryptographicParameters);
  const algorithm = enumChild(params, Tag.HashingAlgorithm, 'Hashing Algorithm');
  if (algorithm === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Hashing Algorithm');
  const data = bytesChild(payload, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Data');
  const digest = DIGESTS.get(algorithm);
  if (!digest) throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Hashing Algorithm');
  return [byteString(Tag.Data, createHash(digest).update(data).digest())];
}

export const hash = defineOperation({
  operation: 'Hash',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'hash',
  versions: ['1.2', '1.3', '1.4', '2.0', '2.1'],
  handle: (_ctx, payload) => hashData(payload),
});
