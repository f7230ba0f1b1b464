/**
 * L3 keys seen from the gateway: where an L3 is used (a cached copy, or the core), the tenant's
 * default service key, the transport key's identifier at the core, and wrap/unwrap of L4 keys.
 *
 * `cached` residency: an L3 is fetched once with one two-item message to the core — Get with a
 * Key Wrapping Specification naming the transport key (RSA-OAEP/SHA-256, No Encoding) and
 * GetAttributes for what the checks need — then served from the L3 cache. Invalidation: every
 * `pollIntervalMs` one batched GetAttributes per tenant checks the cached L3s at the core; a
 * Rekey, Revoke or change of dates updates the checks, a Destroy or a vanished key drops the
 * entry (zeroed). Rekey, Revoke and Destroy sent through this gateway drop it at once. While the
 * core is unreachable the entries stay usable until their TTL: the bound on using an L3 after the
 * core changed it is `pollIntervalMs` (+ one request timeout) with the core reachable, `ttlMs` without.
 *
 * `core-only` residency: nothing is cached; wraps and unwraps are Encrypt/Decrypt at the core.
 * Either way an L3 with Usage Limits stays at the core, which counts its uses.
 */
import type { Logger } from 'pino';
import { readAttributes, type KmipAttribute } from '../attributes/index.js';
import { locateRequest, createRequest, registerRequest } from '../client/requests.js';
import type { RequestContext, RequestServices, OperationRegistryView } from '../dispatch/operation.js';
import { KryptonError, isKryptonError } from '../errors.js';
import {
  BlockCipherMode,
  EncodingOption,
  HashingAlgorithm,
  KeyFormatType,
  PaddingMethod,
  Tag,
  WrappingMethod,
} from '../spec/index.js';
import { byteString, child, children, enumeration, integer, structure, textString } from '../ttlv/tree.js';
import type { StructureItem } from '../ttlv/types.js';
import { LinkType } from '../../storage-adapters/index.js';
import { cipherParameters, decryptWith, encryptWith } from '../services/cipher.js';
import { LEVEL_ATTRIBUTE } from '../services/key-level.js';
import { gatewayIdentity, UpstreamResultError, type CoreDelegate } from './delegate.js';
import { checkProcess, checkProtect, type KeyView } from './key-use.js';
import type { CachedL3, L3Cache } from './l3-cache.js';
import type { GatewaySettings } from './settings.js';
import type { TransportKey } from './transport-key.js';

const RSA = 4;
/** Internal calls to the core speak 2.1 whatever the client speaks. */
const INTERNAL = '2.1' as const;
const POLL_CHUNK = 32;
const KWP = cipherParameters(
  structure(Tag.CryptographicParameters, [
    enumeration(Tag.BlockCipherMode, BlockCipherMode.AESKeyWrapPadding),
  ]),
  undefined,
);

export interface L3KeysOptions {
  readonly settings: GatewaySettings;
  readonly delegate: CoreDelegate;
  readonly cache: L3Cache;
  /** Present with `cached` residency. */
  readonly transportKey: TransportKey | undefined;
  readonly log: Logger;
  readonly services: RequestServices;
  readonly registry: OperationRegistryView;
}

function text(item: StructureItem | undefined, tag: number): string | undefined {
  const c = child(item, tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

function bytes(item: StructureItem | undefined, tag: number): Uint8Array {
  const c = child(item, tag);
  if (c?.type !== 'ByteString') throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'no Data in the answer');
  return c.value;
}

/** The checks of an L3 from its attributes as GetAttributes answers them. */
export function keyViewFromAttributes(attrs: readonly KmipAttribute[]): KeyView {
  const one = (name: string) =>
    attrs.find((a) => a.name === name && a.vendorIdentification === undefined)?.value;
  const date = (name: string) => {
    const v = one(name);
    return v instanceof Date ? v : undefined;
  };
  const state = one('State');
  const mask = one('CryptographicUsageMask');
  return {
    state: typeof state === 'number' ? state : 0,
    usageMask: typeof mask === 'number' ? mask : 0,
    activationDate: date('ActivationDate'),
    deactivationDate: date('DeactivationDate'),
    protectStopDate: date('ProtectStopDate'),
    processStartDate: date('ProcessStartDate'),
    replaced: attrs.some(
      (a) =>
        a.name === 'Link' &&
        typeof a.value === 'object' &&
        (a.value as Record<string, unknown>).LinkType === LinkType.ReplacementObjectLink,
    ),
    archived: one('ArchiveDate') !== undefined,
    cryptographicParameters: one('CryptographicParameters'),
  };
}

function levelOf(attrs: readonly KmipAttribute[]): unknown {
  return attrs.find(
    (a) =>
      a.name === LEVEL_ATTRIBUTE || (a.vendorIdentification === 'x' && a.name === LEVEL_ATTRIBUTE.slice(2)),
  )?.value;
}

/**
 * An L3 with Usage Limits is never cached: the core owns the counter (KMIP 2.1 §4.59), so every
 * use of it is the core's Encrypt, which consumes them; one that gains limits is dropped at the poll.
 */
function hasUsageLimits(attrs: readonly KmipAttribute[]): boolean {
  return attrs.some((a) => a.name === 'UsageLimits' && a.vendorIdentification === undefined);
}

export class L3Keys {
  private readonly negative = new Map<string, number>();
  private readonly fetching = new Map<string, Promise<CachedL3 | undefined>>();
  private readonly transportKeyIds = new Map<string, Promise<string>>();
  private readonly serviceKeyIds = new Map<string, Promise<string>>();
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly opts: L3KeysOptions) {}

  /** Whether L3s are served from the cache (`cached` residency with a transport key). */
  get cached(): boolean {
    return this.opts.settings.l3Residency === 'cached' && this.opts.transportKey !== undefined;
  }

  startPolling(): void {
    if (!this.cached || this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.opts.settings.l3Cache.pollIntervalMs);
    this.poller.unref();
  }

  stop(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.opts.cache.clear();
  }

  /** A synthetic context for the gateway's own calls in `tenant` (the poll). */
  private contextFor(tenant: string): RequestContext {
    let held: string | undefined;
    return {
      identity: gatewayIdentity(tenant),
      tenant,
      protocolVersion: INTERNAL,
      placeholder: { get: () => held, set: (v) => void (held = v) },
      log: this.opts.log,
      services: this.opts.services,
      batchItem: { index: 0 },
      registry: this.opts.registry,
      transport: 'in-process',
    };
  }

  /** Forgets an L3 (a Rekey, Revoke or Destroy of it went through this gateway). */
  invalidate(tenant: string, id: string): void {
    this.opts.cache.invalidate(tenant, id);
    this.negative.delete(`${tenant}\u0000${id}`);
    for (const [t, p] of this.serviceKeyIds)
      if (t === tenant)
        void p.then(
          (sid) => sid === id && this.serviceKeyIds.delete(t),
          () => undefined,
        );
  }

  /**
   * The cached L3 `id` of the request's tenant, fetched on a miss; undefined when L3s are not
   * cached here or `id` is no L3 the gateway may hold (the caller then forwards to the core).
   * Throws when the core is unreachable.
   */
  async lookup(ctx: RequestContext, id: string): Promise<CachedL3 | undefined> {
    if (!this.cached) return undefined;
    const hit = this.opts.cache.get(ctx.tenant, id);
    if (hit) return hit;
    const k = `${ctx.tenant}\u0000${id}`;
    const until = this.negative.get(k);
    if (until !== undefined) {
      if (until > Date.now()) return undefined;
      this.negative.delete(k);
    }
    const pending = this.fetching.get(k);
    if (pending) return pending;
    this.opts.cache.countMiss();
    const p = this.fetch(ctx, id).then(
      (entry) => entry,
      (err: unknown) => {
        if (
          err instanceof UpstreamResultError ||
          (isKryptonError(err) && err.code === 'KRY_GW_L3_NOT_CACHEABLE')
        ) {
          // Not an L3 this gateway may hold (an L2, a Public Key, unknown, refused): the core answers.
          if (this.negative.size >= this.opts.settings.l3Cache.maxEntries) this.negative.clear();
          this.negative.set(k, Date.now() + this.opts.settings.l3Cache.pollIntervalMs);
          this.transportKeyIds.delete(ctx.tenant);
          return undefined;
        }
        throw err;
      },
    );
    this.fetching.set(k, p);
    try {
      return await p;
    } finally {
      this.fetching.delete(k);
    }
  }

  private async fetch(ctx: RequestContext, id: string): Promise<CachedL3> {
    const transportKey = this.opts.transportKey as TransportKey;
    const tk = await this.transportKeyId(ctx);
    const uid = textString(Tag.UniqueIdentifier, id);
    const [got, attrs] = await this.opts.delegate.callMany(
      ctx,
      [
        {
          operation: 'Get',
          payload: [
            uid,
            structure(Tag.KeyWrappingSpecification, [
              enumeration(Tag.WrappingMethod, WrappingMethod.Encrypt),
              structure(Tag.EncryptionKeyInformation, [
                textString(Tag.UniqueIdentifier, tk),
                structure(Tag.CryptographicParameters, [
                  enumeration(Tag.PaddingMethod, PaddingMethod.OAEP),
                  enumeration(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256),
                ]),
              ]),
              enumeration(Tag.EncodingOption, EncodingOption.NoEncoding),
            ]),
          ],
        },
        { operation: 'GetAttributes', payload: [uid] },
      ],
      { asGateway: true, version: INTERNAL },
    );
    if (!attrs?.ok) throw attrs?.error ?? new KryptonError('KRY_GW_UPSTREAM_PROTOCOL');
    if (!got?.ok) throw got?.error ?? new KryptonError('KRY_GW_UPSTREAM_PROTOCOL');
    const list = readAttributes(child(attrs.payload, Tag.Attributes), 'Attributes');
    if (levelOf(list) !== 'L3' || hasUsageLimits(list)) throw new KryptonError('KRY_GW_L3_NOT_CACHEABLE');
    const block = child(child(got.payload, Tag.SymmetricKey), Tag.KeyBlock);
    const value = child(block, Tag.KeyValue);
    if (value?.type !== 'ByteString' || child(block, Tag.KeyWrappingData) === undefined)
      throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'the core answered an unwrapped L3');
    const plain = transportKey.unwrap(value.value);
    try {
      if (plain.length !== 16 && plain.length !== 24 && plain.length !== 32)
        throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'the L3 is not an AES key');
      // A buffer of its own (not a pool slice), so zeroing it zeroes nothing else and all of it.
      const key = Buffer.alloc(plain.length);
      plain.copy(key);
      this.opts.log.debug({ keyId: id }, 'L3 cached');
      return this.opts.cache.set(ctx.tenant, id, key, keyViewFromAttributes(list));
    } finally {
      plain.fill(0);
    }
  }

  /** One round of the invalidation poll: batched GetAttributes per tenant. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const byTenant = new Map<string, CachedL3[]>();
      for (const e of this.opts.cache.list()) {
        const list = byTenant.get(e.tenant) ?? [];
        list.push(e);
        byTenant.set(e.tenant, list);
      }
      for (const [tenant, entries] of byTenant) {
        const ctx = this.contextFor(tenant);
        for (let i = 0; i < entries.length; i += POLL_CHUNK) {
          const chunk = entries.slice(i, i + POLL_CHUNK);
          let results;
          try {
            results = await this.opts.delegate.callMany(
              ctx,
              chunk.map((e) => ({
                operation: 'GetAttributes' as const,
                payload: [textString(Tag.UniqueIdentifier, e.id)],
              })),
              { asGateway: true, version: INTERNAL },
            );
          } catch {
            return; // core unreachable: entries live on until their TTL
          }
          results.forEach((r, j) => {
            const e = chunk[j]!;
            if (!r.ok) {
              if (r.error instanceof UpstreamResultError) this.invalidate(tenant, e.id);
              return;
            }
            const list = readAttributes(child(r.payload, Tag.Attributes), 'Attributes');
            const view = keyViewFromAttributes(list);
            if (levelOf(list) !== 'L3' || hasUsageLimits(list) || view.state === 5 || view.state === 6)
              this.invalidate(tenant, e.id);
            else {
              if (view.replaced && !e.view.replaced) this.invalidate(tenant, e.id);
              else e.view = view;
            }
          });
        }
      }
    } finally {
      this.polling = false;
    }
  }

  /** The transport key's identifier at the core in the request's tenant (registered on first use). */
  private transportKeyId(ctx: RequestContext): Promise<string> {
    let p = this.transportKeyIds.get(ctx.tenant);
    if (!p) {
      p = this.findOrRegisterTransportKey(ctx);
      this.transportKeyIds.set(ctx.tenant, p);
      p.catch(() => this.transportKeyIds.delete(ctx.tenant));
    }
    return p;
  }

  private async findOrRegisterTransportKey(ctx: RequestContext): Promise<string> {
    const tk = this.opts.transportKey as TransportKey;
    const name = `krypton-gateway-transport-${tk.fingerprint}`;
    const found = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Locate',
        payload: locateRequest({
          attributes: { Name: name, ObjectType: 'PublicKey', State: 'Active' },
        }).build(INTERNAL),
      },
      { asGateway: true, version: INTERNAL },
    );
    const existing = text(found, Tag.UniqueIdentifier);
    if (existing) return existing;
    const registered = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Register',
        payload: registerRequest({
          objectType: 'PublicKey',
          attributes: { Name: name, ActivationDate: new Date() },
          object: structure(Tag.PublicKey, [
            structure(Tag.KeyBlock, [
              enumeration(Tag.KeyFormatType, KeyFormatType.X_509),
              structure(Tag.KeyValue, [byteString(Tag.KeyMaterial, tk.spki)]),
              enumeration(Tag.CryptographicAlgorithm, RSA),
              integer(Tag.CryptographicLength, tk.bits),
            ]),
          ]),
        }).build(INTERNAL),
      },
      { asGateway: true, version: INTERNAL },
    );
    const id = text(registered, Tag.UniqueIdentifier);
    if (!id) throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'Register answered no Unique Identifier');
    this.opts.log.info({ tenant: ctx.tenant, keyId: id }, 'transport key registered at the core');
    return id;
  }

  /**
   * The tenant's default service key: the Active L3 named `serviceKeyName` at the core, created
   * there (AES-256, Encrypt/Decrypt/Wrap/Unwrap, Active) when there is none.
   */
  serviceKeyId(ctx: RequestContext): Promise<string> {
    let p = this.serviceKeyIds.get(ctx.tenant);
    if (!p) {
      if (this.serviceKeyIds.size >= 10000) this.serviceKeyIds.clear();
      p = this.findOrCreateServiceKey(ctx);
      this.serviceKeyIds.set(ctx.tenant, p);
      p.catch(() => this.serviceKeyIds.delete(ctx.tenant));
    }
    return p;
  }

  forgetServiceKey(tenant: string): void {
    this.serviceKeyIds.delete(tenant);
  }

  private async findOrCreateServiceKey(ctx: RequestContext): Promise<string> {
    const name = this.opts.settings.serviceKeyName;
    const found = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Locate',
        payload: locateRequest({
          attributes: { Name: name, ObjectType: 'SymmetricKey', State: 'Active' },
        }).build(INTERNAL),
      },
      { asGateway: true, version: INTERNAL },
    );
    const existing = children(found, Tag.UniqueIdentifier)[0];
    if (existing?.type === 'TextString') return existing.value;
    const created = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Create',
        payload: createRequest({
          objectType: 'SymmetricKey',
          attributes: {
            CryptographicAlgorithm: 'AES',
            CryptographicLength: 256,
            CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
            Name: name,
            ActivationDate: new Date(),
          },
        }).build(INTERNAL),
      },
      { asGateway: true, version: INTERNAL },
    );
    const id = text(created, Tag.UniqueIdentifier);
    if (!id) throw new KryptonError('KRY_GW_UPSTREAM_PROTOCOL', 'Create answered no Unique Identifier');
    this.opts.log.info({ tenant: ctx.tenant, keyId: id }, 'tenant service key created at the core');
    return id;
  }

  /** Wraps an L4 under the L3 `l3Id` (AES key wrap with padding, RFC 5649): locally or at the core. */
  async wrapL4(ctx: RequestContext, l3Id: string, dek: Uint8Array): Promise<Uint8Array> {
    const entry = await this.lookup(ctx, l3Id);
    if (entry) {
      checkProtect(entry.view, KWP.mode, ctx.protocolVersion);
      return encryptWith(entry.key, KWP, { data: dek, iv: undefined, aad: undefined }).data;
    }
    const out = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Encrypt',
        payload: [textString(Tag.UniqueIdentifier, l3Id), kwpParameters(), byteString(Tag.Data, dek)],
      },
      { asGateway: true, version: INTERNAL },
    );
    return bytes(out, Tag.Data);
  }

  /** Unwraps an L4 wrapped under `l3Id`; the caller zeroes the result. */
  async unwrapL4(ctx: RequestContext, l3Id: string, wrapped: Uint8Array): Promise<Buffer> {
    const entry = await this.lookup(ctx, l3Id);
    if (entry) {
      checkProcess(entry.view, KWP.mode, ctx.protocolVersion);
      return decryptWith(entry.key, KWP, { data: wrapped, iv: undefined, aad: undefined, tag: undefined });
    }
    const out = await this.opts.delegate.call(
      ctx,
      {
        operation: 'Decrypt',
        payload: [textString(Tag.UniqueIdentifier, l3Id), kwpParameters(), byteString(Tag.Data, wrapped)],
      },
      { asGateway: true, version: INTERNAL },
    );
    return Buffer.from(bytes(out, Tag.Data));
  }
}

function kwpParameters(): StructureItem {
  return structure(Tag.CryptographicParameters, [
    enumeration(Tag.BlockCipherMode, BlockCipherMode.AESKeyWrapPadding),
  ]);
}
