/**
 * Hash (KMIP 2.1 §6.1.24, 1.4 §4.37, KMIP 1.2+): the digest of Data with the Hashing Algorithm of
 * the Cryptographic Parameters. SHA-1, SHA-2 (224/256/384/512, 512/224, 512/256) and SHA-3 —
 * MD2/MD4/MD5/RIPEMD/Tiger/Whirlpool are not offered. Served by the core and the gateway alike
 * (no key is involved: the gateway hashes itself, nothing is forwarded).
 *
 * Multi-part (KMIP 1.3+, core/services/crypto-streams.ts): the first part carries Init Indicator
 * true and is answered a Correlation Value, later parts send it back, the last one with Final
 * Indicator true; only the last answer carries the digest (Data). Every part names the Hashing
 * Algorithm (Cryptographic Parameters are required, Table 235 / 1.4 Table 245); a stream belongs
 * to the caller and its algorithm, so a part of another caller or with another algorithm is
 * answered as an unknown value, Invalid Correlation Value (1.x Item Not Found). The stream lives
 * in the process that opened it, under the table's bounds (open streams, bytes per stream, idle
 * time); the node:crypto Hash is dropped when it ends. KMIP 1.2 has no multi-part fields.
 *
 * Failure cases: no Cryptographic Parameters / Hashing Algorithm / Data (single-part) → Invalid
 * Message; an algorithm not offered → Feature Not Supported; multi-part fields in a 1.2 request,
 * or a Hashing Algorithm newer than the request (SHA-3 before 1.4) → Invalid Field (the
 * dispatcher: core/messages/in-version.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { defineOperation, type RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { HashingAlgorithm, Tag } from '../core/spec/index.js';
import { byteString, child } from '../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../core/ttlv/types.js';
import { bytesChild, enumChild } from '../core/services/objects.js';
import {
  cryptoStreamsPlugin,
  streamBinding,
  streamPartOf,
  streamsOf,
  type StreamPart,
  type StreamState,
} from '../core/services/crypto-streams.js';

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

/** The digest of the request's Hashing Algorithm (its node:crypto name). */
function digestOf(payload: StructureItem): { algorithm: number; digest: string } {
  const params = child(payload, Tag.CryptographicParameters);
  const algorithm = enumChild(params, Tag.HashingAlgorithm, 'Hashing Algorithm');
  if (algorithm === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Hashing Algorithm');
  const digest = DIGESTS.get(algorithm);
  if (!digest) throw new KryptonError('KRY_OP_FEATURE_NOT_SUPPORTED', 'Hashing Algorithm');
  return { algorithm, digest };
}

/** A multi-part Hash between its parts: the node:crypto Hash (nothing buffered to zero). */
class HashStream implements StreamState {
  private hash: Hash | undefined;

  constructor(digest: string) {
    this.hash = createHash(digest);
  }

  update(data: Uint8Array): void {
    this.hash?.update(data);
  }

  /** The digest of every part; once (the stream table keeps a stream's parts sequential). */
  digest(): Buffer {
    const hash = this.hash;
    if (hash === undefined) throw new KryptonError('KRY_INTERNAL', 'the Hash stream has ended');
    this.hash = undefined;
    return hash.digest();
  }

  dispose(): void {
    this.hash = undefined;
  }
}

export function hashData(ctx: RequestContext, payload: StructureItem | undefined): TtlvItem[] {
  // No payload is a request without its required Cryptographic Parameters.
  if (payload === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Hashing Algorithm');
  // A 1.2 request carries no Init/Final Indicator nor Correlation Value (1.3 tags): the dispatcher
  // refuses it (core/messages/in-version.ts).
  const part = streamPartOf(payload);
  const { algorithm, digest } = digestOf(payload);
  const data = bytesChild(payload, Tag.Data, 'Data');
  if (part !== undefined) return hashPart(ctx, part, algorithm, digest, data);
  if (data === undefined) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'Data');
  return [byteString(Tag.Data, createHash(digest).update(data).digest())];
}

/**
 * One part of a multi-part Hash: the stream is bound to the caller and the Hashing Algorithm. Its
 * site is 'core' wherever it runs: no key, so no vault; the table is the serving process's own.
 */
function hashPart(
  ctx: RequestContext,
  part: StreamPart,
  algorithm: number,
  digest: string,
  data: Uint8Array | undefined,
): TtlvItem[] {
  const streams = streamsOf(ctx);
  const binding = streamBinding('Hash', algorithm);
  const stream =
    part.correlation === undefined
      ? streams.open(ctx, 'core', 'Hash', binding, new HashStream(digest))
      : streams.resume<HashStream>(ctx, 'core', 'Hash', part.correlation, binding);
  try {
    if (data !== undefined) {
      streams.count(stream, data.length);
      stream.state.update(data);
    }
    if (!part.final) return [byteString(Tag.CorrelationValue, stream.correlation)];
    const out = stream.state.digest();
    streams.close(stream);
    return [byteString(Tag.Data, out)];
  } catch (err) {
    streams.close(stream);
    throw err;
  } finally {
    streams.release(stream);
  }
}

export { cryptoStreamsPlugin as kryptonPlugin };

export const hash = defineOperation({
  operation: 'Hash',
  phase: 3,
  roles: ['core', 'gateway'],
  permission: 'hash',
  versions: ['1.2', '1.3', '1.4', '2.0', '2.1'],
  handle: (ctx, payload) => hashData(ctx, payload),
});
