/**
 * Encrypt and Decrypt at the gateway: with a cached L3 (the hot path: no store, no network) or a
 * local L4, checked and computed as the core does (plugins/encrypt.ts, plugins/decrypt.ts, the
 * modes of core/services/cipher.ts); any other key — an L3 under `core-only` residency, an L2, an
 * unknown identifier — at the core. Encrypt with a local L4 consumes its Usage Limits in the vault
 * (core/services/key-usage.ts consumeProtectUsage). Multi-part requests never come here (encrypt.ts).
 */
import type { RequestContext } from '../../core/dispatch/operation.js';
import {
  forwardItem,
  gatewayOf,
  checkProcess,
  checkProtect,
  keyViewOf,
  type KeyView,
} from '../../core/gateway/index.js';
import { KryptonError } from '../../core/errors.js';
import { BlockCipherMode, Tag, tagInVersion } from '../../core/spec/index.js';
import { byteString, child, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { cipherParameters, decryptWith, encryptWith } from '../../core/services/cipher.js';
import { bytesChild, errorForVersion, requirePayload } from '../../core/services/objects.js';
import { consumeProtectUsage } from '../../core/services/key-usage.js';
import { idOf, local, localL4, unwrapL4 } from './routing.js';

function encryptWithKey(
  ctx: RequestContext,
  body: StructureItem,
  id: string,
  view: KeyView,
  key: Buffer,
): TtlvItem[] {
  const params = cipherParameters(child(body, Tag.CryptographicParameters), view.cryptographicParameters);
  checkProtect(view, params.mode, ctx.protocolVersion);
  if (
    params.mode === BlockCipherMode.GCM &&
    !tagInVersion(Tag.AuthenticatedEncryptionTag, ctx.protocolVersion)
  )
    throw new KryptonError(
      'KRY_OP_FEATURE_NOT_SUPPORTED',
      'GCM needs KMIP 1.4 or later (Authenticated Encryption Tag)',
    );
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const out = encryptWith(key, params, {
    data,
    iv: bytesChild(body, Tag.IVCounterNonce, 'IV/Counter/Nonce'),
    aad: bytesChild(
      body,
      Tag.AuthenticatedEncryptionAdditionalData,
      'Authenticated Encryption Additional Data',
    ),
  });
  const items: TtlvItem[] = [textString(Tag.UniqueIdentifier, id), byteString(Tag.Data, out.data)];
  if (out.generatedIv) items.push(byteString(Tag.IVCounterNonce, out.generatedIv));
  if (out.tag) items.push(byteString(Tag.AuthenticatedEncryptionTag, out.tag));
  return items;
}

function decryptWithKey(
  ctx: RequestContext,
  body: StructureItem,
  id: string,
  view: KeyView,
  key: Buffer,
): TtlvItem[] {
  const params = cipherParameters(child(body, Tag.CryptographicParameters), view.cryptographicParameters);
  checkProcess(view, params.mode, ctx.protocolVersion);
  const data = bytesChild(body, Tag.Data, 'Data');
  if (data === undefined) throw new KryptonError('KRY_OP_MISSING_DATA', 'Data');
  const plain = decryptWith(key, params, {
    data,
    iv: bytesChild(body, Tag.IVCounterNonce, 'IV/Counter/Nonce'),
    aad: bytesChild(
      body,
      Tag.AuthenticatedEncryptionAdditionalData,
      'Authenticated Encryption Additional Data',
    ),
    tag: bytesChild(body, Tag.AuthenticatedEncryptionTag, 'Authenticated Encryption Tag'),
  });
  return [textString(Tag.UniqueIdentifier, id), byteString(Tag.Data, plain)];
}

type Compute = typeof encryptWithKey;

/**
 * Encrypt or Decrypt. Under a cached L3 the answer is computed and returned in this turn, not
 * wrapped in a promise (the dispatcher awaits only what is a promise); anything else continues
 * in {@link routeCryptoElsewhere}.
 */
export function routeCrypto(
  ctx: RequestContext,
  operation: 'Encrypt' | 'Decrypt',
  payload: StructureItem | undefined,
): TtlvItem[] | Promise<StructureItem | TtlvItem[] | undefined> {
  const id = idOf(ctx, payload);
  if (id !== undefined) {
    // Hot path: a cached L3, checked and used in memory.
    const hit = gatewayOf(ctx).cache.get(ctx.tenant, id);
    if (hit) {
      const compute: Compute = operation === 'Encrypt' ? encryptWithKey : decryptWithKey;
      try {
        return compute(ctx, requirePayload(payload), id, hit.view, hit.key);
      } catch (err) {
        throw errorForVersion(err, ctx.protocolVersion);
      }
    }
  }
  return routeCryptoElsewhere(ctx, operation, payload, id);
}

/** A local L4, an L3 fetched from the core now, or the core itself. */
async function routeCryptoElsewhere(
  ctx: RequestContext,
  operation: 'Encrypt' | 'Decrypt',
  payload: StructureItem | undefined,
  id: string | undefined,
): Promise<StructureItem | TtlvItem[] | undefined> {
  const compute: Compute = operation === 'Encrypt' ? encryptWithKey : decryptWithKey;
  const gw = gatewayOf(ctx);
  if (id !== undefined) {
    const l4 = await localL4(ctx, id);
    if (l4)
      return local(ctx, async () => {
        const body = requirePayload(payload);
        const key = await unwrapL4(ctx, l4);
        let items: TtlvItem[];
        try {
          items = compute(ctx, body, id, keyViewOf(l4), key);
        } finally {
          key.fill(0);
        }
        // Usage Limits of an L4 are the vault's to consume, as the core consumes its keys'.
        if (operation === 'Encrypt')
          await consumeProtectUsage(
            gw.vault,
            ctx.tenant,
            l4,
            bytesChild(body, Tag.Data, 'Data')?.length ?? 0,
          );
        return items;
      });
    const entry = await gw.l3.lookup(ctx, id);
    if (entry)
      return local(ctx, async () => compute(ctx, requirePayload(payload), id, entry.view, entry.key));
  }
  return forwardItem(gw.delegate, ctx, operation, payload);
}
