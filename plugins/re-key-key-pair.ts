/**
 * Re-key Key Pair (KMIP 2.1 §6.1.44, 1.4 §4.5) at the core: a new pair of the same algorithm,
 * length and curve for an existing Private Key (named by Private Key Unique Identifier, or the
 * ID placeholder), its Public Key found through the Public Key Link. Each new key is linked
 * Replaced Object → old and Replacement Object ← old (KMIP 2.1 §4.29), the new keys to each
 * other, Name moves to the new keys, other attributes are copied (request attributes win).
 * Dates as for ReKey: Activation Date = now + Offset (absent: the old key's Activation − Initial
 * Date); Process Start, Protect Stop and Deactivation Dates keep their distance to it; the old
 * private key's Protect Stop Date becomes the new Activation Date, so it stops signing then.
 * Each old key is replaced in its own Store transaction (private first, optimistic on its
 * version: of two concurrent requests one wins).
 *
 * Failure cases: unknown or foreign key → Object Not Found (1.x Item Not Found); not a Private Key,
 * or no linked Public Key → Invalid Field (1.x) / Invalid Object Type; Compromised or destroyed →
 * Wrong Key Lifecycle State (1.x Permission Denied); a concurrent Re-key → the loser fails.
 */
import { randomUUID } from 'node:crypto';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { KryptonError } from '../core/errors.js';
import { readAttributes, type KmipAttribute } from '../core/attributes/index.js';
import { Tag } from '../core/spec/index.js';
import { child, textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { generateAsymmetricKeyPair } from '../core/crypto/key-pairs.js';
import { keyProfile } from '../core/crypto/key-formats.js';
import { CORE_SERVICES_PLUGIN } from '../core/services/index.js';
import { publicKeyOf } from '../core/services/asymmetric-objects.js';
import { newKeyFields, type NewKeyFields } from '../core/services/key-material.js';
import {
  linkOf,
  loadObject,
  objectTypeError,
  refuseL4,
  requirePayload,
  servicesOf,
  textChild,
  versioned,
} from '../core/services/objects.js';
import {
  LinkType,
  ObjectType,
  State,
  type LifecycleDates,
  type ManagedObject,
} from '../storage-adapters/index.js';
import { keyPairObjects, type KeyPairIds } from './create-key-pair.js';

const REKEYABLE: readonly number[] = [State.PreActive, State.Active, State.Deactivated];
const SHIFTED = ['ProcessStartDate', 'ProtectStopDate', 'DeactivationDate'] as const;
/** Not carried over: moved (Name), recomputed (Digest, Key Format Type, RNG) or per-object. */
const NOT_COPIED = new Set(['Name', 'Digest', 'RevocationReason', 'KeyFormatType', 'RandomNumberGenerator']);

function attributeContainer(body: StructureItem, v2: number, v1: number): KmipAttribute[] {
  const c = child(body, v2) ?? child(body, v1);
  if (c === undefined) return [];
  return readAttributes(c, c.tag === v2 ? 'Attributes' : 'TemplateAttribute');
}

function successorFields(
  old: ManagedObject,
  requested: readonly KmipAttribute[],
  activation: Date,
): NewKeyFields {
  const extra = newKeyFields(requested);
  const dates: LifecycleDates = { ActivationDate: activation };
  for (const name of SHIFTED) {
    const d = old.dates[name];
    if (d !== undefined && old.dates.ActivationDate !== undefined)
      dates[name] = new Date(activation.getTime() + (d.getTime() - old.dates.ActivationDate.getTime()));
  }
  Object.assign(dates, extra.dates);
  const copied = old.attributes
    .filter((a) => !NOT_COPIED.has(a.name))
    .filter((a) => !extra.attributes.some((x) => x.name === a.name))
    .map(({ name, vendorIdentification, value }) => ({
      name,
      ...(vendorIdentification !== undefined && { vendorIdentification }),
      value,
    }));
  return {
    cryptographicAlgorithm: old.cryptographicAlgorithm,
    cryptographicLength: undefined,
    dates,
    attributes: [...copied, ...extra.attributes],
  };
}

export async function rekeyKeyPair(
  ctx: RequestContext,
  payload: StructureItem | undefined,
): Promise<KeyPairIds> {
  const body = requirePayload(payload);
  const given = textChild(body, Tag.PrivateKeyUniqueIdentifier, 'Private Key Unique Identifier');
  const privateId = given ?? ctx.placeholder.get();
  if (privateId === undefined) throw new KryptonError('KRY_SRV_NO_PLACEHOLDER');
  const offsetItem = child(body, Tag.Offset);
  if (offsetItem !== undefined && offsetItem.type !== 'Interval')
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'Offset');
  const oldPrivate = await loadObject(ctx, privateId);
  refuseL4(oldPrivate);
  if (oldPrivate.objectType !== ObjectType.PrivateKey)
    throw objectTypeError(ctx.protocolVersion, 'Re-key Key Pair takes a Private Key');
  const publicId = linkOf(oldPrivate, LinkType.PublicKeyLink);
  if (publicId === undefined)
    throw new KryptonError('KRY_OP_INVALID_FIELD', 'the private key has no Public Key Link');
  const oldPublic = await loadObject(ctx, publicId);
  if (!REKEYABLE.includes(oldPrivate.state) || !REKEYABLE.includes(oldPublic.state))
    throw new KryptonError('KRY_STORE_WRONG_STATE');
  const profile = keyProfile(publicKeyOf(oldPublic));
  const now = new Date();
  const initial = oldPrivate.dates.InitialDate ?? now;
  const offsetMs =
    offsetItem?.type === 'Interval'
      ? offsetItem.value * 1000
      : oldPrivate.dates.ActivationDate
        ? Math.max(0, oldPrivate.dates.ActivationDate.getTime() - initial.getTime())
        : 0;
  const activation = new Date(now.getTime() + offsetMs);
  const common = attributeContainer(body, Tag.CommonAttributes, Tag.CommonTemplateAttribute);
  const privateFields = successorFields(
    oldPrivate,
    [...common, ...attributeContainer(body, Tag.PrivateKeyAttributes, Tag.PrivateKeyTemplateAttribute)],
    activation,
  );
  const publicFields = successorFields(
    oldPublic,
    [...common, ...attributeContainer(body, Tag.PublicKeyAttributes, Tag.PublicKeyTemplateAttribute)],
    activation,
  );
  const pair = await generateAsymmetricKeyPair({
    algorithm: profile.algorithm,
    length: profile.kind === 'ec' ? undefined : profile.length,
    curve: profile.curve,
  });
  const ids: KeyPairIds = { privateKeyId: randomUUID(), publicKeyId: randomUUID() };
  const { privateObject, publicObject } = await keyPairObjects(ctx, pair, privateFields, publicFields, ids);
  const { store, keys } = servicesOf(ctx);
  const protectStop = oldPrivate.dates.ProtectStopDate;
  await store.rekey(ctx.tenant, oldPrivate.id, {
    replacement: privateObject,
    replaced: {
      dates: {
        ProtectStopDate: protectStop !== undefined && protectStop < activation ? protectStop : activation,
      },
    },
    moveAttributes: [{ name: 'Name' }],
    expectedVersion: oldPrivate.version,
  });
  await store.rekey(ctx.tenant, oldPublic.id, {
    replacement: publicObject,
    moveAttributes: [{ name: 'Name' }],
    expectedVersion: oldPublic.version,
  });
  keys.invalidate(oldPrivate.id);
  ctx.log.info({ keyId: oldPrivate.id, replacementId: ids.privateKeyId }, 'key pair rekeyed');
  return ids;
}

export const reKeyKeyPair = defineOperation({
  operation: 'ReKeyKeyPair',
  phase: 4,
  roles: ['core'],
  permission: 'rekey',
  dependencies: [CORE_SERVICES_PLUGIN],
  objectTypes: ['PrivateKey', 'PublicKey'],
  handle: versioned(async (ctx, payload) => {
    const ids = await rekeyKeyPair(ctx, payload);
    ctx.placeholder.set(ids.privateKeyId);
    return [
      textString(Tag.PrivateKeyUniqueIdentifier, ids.privateKeyId),
      textString(Tag.PublicKeyUniqueIdentifier, ids.publicKeyId),
    ];
  }),
});
