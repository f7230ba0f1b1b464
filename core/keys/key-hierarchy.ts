/**
 * The L1–L4 key hierarchy (DESIGN §1).
 *
 *   L1  root, in the HSM, never exported           ── wraps L2 through the HSM (RFC 5649 or the preset's mechanism)
 *   L2  per tenant, created on first use            ── wraps L3 in process (RFC 5649, node:crypto)
 *   L3  per service (KEK)                           ── wraps L4 in process (RFC 5649, node:crypto)
 *   L4  data encryption key, held by the gateway/app
 *
 * Unwrapped L2/L3 keys sit in a bounded TTL cache (key-cache.ts): the hot path — wrapping a DEK
 * under a cached L3 — is one AES-KWP call with no I/O. Rekey, Revoke and Destroy invalidate the
 * key and everything cached under it at once (`invalidate`). Rotation creates a successor linked
 * Replaced/Replacement; the old version is decrypt-only, and keys below it are re-wrapped under
 * the successor lazily, the next time they are unwrapped.
 *
 * When the HSM refuses L1 (key destroyed, access revoked — "cutting L1"), every dependent key
 * becomes unusable: the cache is emptied and every call answers KRY_KEY_ROOT_UNAVAILABLE until
 * `checkRoot()` succeeds again. A periodic probe (unwrap of a canary wrapped at open) notices a
 * cut even when every key in use is cached.
 */
import { randomKeyBytes } from '../crypto/random.js';
import { KryptonError, isKryptonError } from '../errors.js';
import { silentLogger, type Hsm, type HsmKeyRef, type KryptonLogger } from '../../hsm-adapters/hsm.js';
import { unwrapKeyRfc5649, wrapKeyRfc5649 } from './aes-key-wrap.js';
import { UnwrappedKeyCache, type CachedKey, type UnwrappedKeyCacheOptions } from './key-cache.js';
import { canProcess, canProtect, type KeyLevel, type KeyRecord, type KeyRecordStore } from './key-records.js';

export interface KeyHierarchyOptions {
  readonly hsm: Hsm;
  /** HSM label of the current L1. L2s wrapped under an older label are re-wrapped lazily. */
  readonly rootKeyLabel: string;
  readonly records: KeyRecordStore;
  readonly cache?: UnwrappedKeyCache | UnwrappedKeyCacheOptions;
  /** How often L1 is probed [30 s]; 0 turns the probe off. */
  readonly rootCheckIntervalMs?: number;
  /** How often expired cache entries are zeroed [30 s]; 0 turns the sweep off. */
  readonly sweepIntervalMs?: number;
  readonly logger?: KryptonLogger;
}

export interface WrappedKey {
  readonly wrapped: Buffer;
  /** Id of the L3 (or L2) the material is wrapped under. */
  readonly wrappingKeyId: string;
}

export interface UnwrappedKey {
  /** Plaintext key: the caller zeroes it after use. */
  readonly key: Buffer;
  /** Present when the wrapping key was rotated: the same key wrapped under the successor, to store. */
  readonly rewrapped?: WrappedKey;
}

export interface DataKey {
  /** Plaintext DEK: the caller zeroes it after use. */
  readonly plaintext: Buffer;
  readonly wrapped: Buffer;
  readonly wrappingKeyId: string;
}

export type Usage = 'protect' | 'process';

const KEY_BYTES = 32;
const MAX_LOAD_ATTEMPTS = 3;

export class KeyHierarchy {
  readonly #hsm: Hsm;
  readonly #records: KeyRecordStore;
  readonly #rootLabel: string;
  readonly #root: HsmKeyRef;
  readonly #cache: UnwrappedKeyCache;
  readonly #log: KryptonLogger;
  readonly #rootCheckIntervalMs: number;
  readonly #sweepIntervalMs: number;
  readonly #loading = new Map<string, Promise<void>>();
  readonly #creatingTenant = new Map<string, Promise<string>>();
  /**
   * Tenant → its current L2, trusted while that L2 stays cached and able to protect: Rekey,
   * Revoke and Destroy invalidate it here at once; another core process's change is seen when
   * the entry expires (cacheTtlMs), as for every cached key. Saves a Locate and a read per Create.
   */
  readonly #tenantKeys = new Map<string, string>();
  #rootAvailable = false;
  #canary: Buffer | undefined;
  /** Bumped by every invalidation: a load that straddles one is discarded and retried. */
  #epoch = 0;
  #timers: NodeJS.Timeout[] = [];
  #opened = false;

  constructor(opts: KeyHierarchyOptions) {
    if (!opts.rootKeyLabel) throw new KryptonError('KRY_HSM_CONFIG', 'rootKeyLabel is required');
    this.#hsm = opts.hsm;
    this.#records = opts.records;
    this.#rootLabel = opts.rootKeyLabel;
    this.#root = { label: opts.rootKeyLabel, purpose: 'wrap' };
    this.#cache = opts.cache instanceof UnwrappedKeyCache ? opts.cache : new UnwrappedKeyCache(opts.cache);
    this.#log = opts.logger ?? silentLogger;
    this.#rootCheckIntervalMs = opts.rootCheckIntervalMs ?? 30_000;
    this.#sweepIntervalMs = opts.sweepIntervalMs ?? 30_000;
  }

  /** Finds or creates L1 in the HSM, wraps the probe canary, starts the probe and sweep timers. */
  async open(): Promise<void> {
    if (this.#opened) return;
    await this.#hsm.findOrCreateRootKey(this.#rootLabel, 'wrap');
    const canary = randomKeyBytes(KEY_BYTES);
    try {
      this.#canary = await this.#hsm.wrapKey(this.#root, canary);
    } finally {
      canary.fill(0);
    }
    this.#rootAvailable = true;
    this.#opened = true;
    if (this.#rootCheckIntervalMs > 0) {
      this.#timers.push(setInterval(() => void this.checkRoot(), this.#rootCheckIntervalMs).unref());
    }
    if (this.#sweepIntervalMs > 0) {
      this.#timers.push(setInterval(() => this.#cache.sweep(), this.#sweepIntervalMs).unref());
    }
    this.#log.info({ root: this.#rootLabel, hsm: this.#hsm.mechanisms().adapter }, 'key hierarchy open');
  }

  /** Stops the timers and zeroes every cached key. Does not close the HSM. */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#cache.clear();
    this.#epoch += 1;
    this.#opened = false;
    this.#rootAvailable = false;
  }

  get rootAvailable(): boolean {
    return this.#rootAvailable;
  }

  /** Number of unwrapped keys in memory (for metrics). */
  get cachedKeys(): number {
    return this.#cache.size;
  }

  /**
   * Probes L1 by unwrapping the canary. A refusal (key gone or not permitted) cuts the hierarchy;
   * a later success restores it. An unreachable HSM changes nothing: cached keys keep working.
   */
  async checkRoot(): Promise<boolean> {
    const canary = this.#canary;
    if (canary === undefined) return false;
    try {
      const plain = await this.#hsm.unwrapKey(this.#root, canary);
      plain.fill(0);
      if (!this.#rootAvailable && this.#opened) {
        this.#rootAvailable = true;
        this.#log.warn({ root: this.#rootLabel }, 'L1 root key is usable again');
      }
      return true;
    } catch (err) {
      if (isRootRefusal(err)) {
        this.#cutRoot(err);
        return false;
      }
      this.#log.warn(
        { root: this.#rootLabel, code: codeOf(err) },
        'L1 root key probe failed: HSM unreachable',
      );
      return this.#rootAvailable;
    }
  }

  /**
   * Drops `id` and every key cached under it, zeroing their buffers. Revoke, Destroy and Rekey
   * call it as soon as their change is committed; the next use re-reads the record.
   */
  invalidate(id: string): void {
    this.#epoch += 1;
    const dropped = this.#cache.invalidate(id);
    if (dropped > 0) this.#log.debug({ keyId: id, dropped }, 'key cache invalidated');
  }

  // --- L2 -----------------------------------------------------------------------------------------

  /** The tenant's current L2 id, created on first use. */
  async tenantKey(tenant: string): Promise<string> {
    this.#assertRoot();
    const known = this.#tenantKeys.get(tenant);
    if (known !== undefined) {
      const entry = this.#cache.get(known);
      if (entry?.level === 'L2' && entry.tenant === tenant && canProtect(entry as unknown as KeyRecord))
        return known;
      this.#tenantKeys.delete(tenant);
    }
    const current = await this.#records.findTenantKey(tenant);
    if (current !== undefined) {
      if (this.#tenantKeys.size >= 10_000) this.#tenantKeys.clear();
      this.#tenantKeys.set(tenant, current.id);
      return current.id;
    }
    let pending = this.#creatingTenant.get(tenant);
    if (pending === undefined) {
      pending = this.#records
        .findTenantKey(tenant)
        .then((found) => found?.id ?? this.createTenantKey(tenant))
        .finally(() => this.#creatingTenant.delete(tenant));
      this.#creatingTenant.set(tenant, pending);
    }
    return pending;
  }

  /** Creates an L2 for `tenant`: random bytes from the HSM, wrapped by L1 through the HSM. */
  async createTenantKey(tenant: string): Promise<string> {
    if (!tenant) throw new KryptonError('KRY_KEY_UNUSABLE', 'tenant is required');
    this.#assertRoot();
    const key = await this.#hsm.randomBytes(KEY_BYTES);
    let wrapped: Buffer;
    try {
      wrapped = await this.#wrapUnderRoot(key);
    } catch (err) {
      key.fill(0);
      throw err;
    }
    const id = await this.#records.insertKey({
      level: 'L2',
      tenant,
      wrapped,
      wrappingKeyId: this.#rootLabel,
    });
    this.#cacheNew({ id, level: 'L2', tenant, parentId: this.#rootLabel, key });
    this.#log.info({ keyId: id, level: 'L2', tenant }, 'tenant key created');
    return id;
  }

  // --- L3 -----------------------------------------------------------------------------------------

  /**
   * Creates an L3 under the tenant's current L2 (which is created on first use). KMIP Create may
   * ask for AES-128 or AES-192 (`lengthBytes` 16 or 24); the default is AES-256.
   */
  async createServiceKey(tenant: string, lengthBytes: 16 | 24 | 32 = KEY_BYTES): Promise<string> {
    const l2Id = await this.tenantKey(tenant);
    const key = randomKeyBytes(lengthBytes);
    let wrapped: Buffer;
    try {
      const l2 = await this.#use(l2Id, 'L2', 'protect');
      wrapped = wrapKeyRfc5649(l2.key, key);
    } catch (err) {
      key.fill(0);
      throw err;
    }
    const id = await this.#records.insertKey({ level: 'L3', tenant, wrapped, wrappingKeyId: l2Id });
    this.#cacheNew({ id, level: 'L3', tenant, parentId: l2Id, key });
    this.#log.info({ keyId: id, level: 'L3', tenant }, 'service key created');
    return id;
  }

  /**
   * Wraps key bytes under the tenant's current L2 (created on first use): how the KMIP Create and
   * Register operations store an L3 with their own attributes. The caller keeps ownership of `key`.
   */
  async wrapUnderTenantKey(tenant: string, key: Uint8Array): Promise<WrappedKey> {
    const l2Id = await this.tenantKey(tenant);
    const l2 = await this.#use(l2Id, 'L2', 'protect');
    return { wrapped: wrapKeyRfc5649(l2.key, key), wrappingKeyId: l2Id };
  }

  /**
   * Unwraps an L3 stored under an L2, whatever the L3's own state: KMIP operations check the
   * object's lifecycle themselves (a Pre-Active L3 may still be fetched wrapped, KMIP 2.1 §6.1.21).
   * If the L2 was rotated, also returns the L3 re-wrapped under the successor, to store.
   */
  async unwrapUnderL2(l2Id: string, wrapped: Uint8Array): Promise<UnwrappedKey> {
    const l2 = this.#cachedFor(l2Id, 'L2', 'process') ?? (await this.#use(l2Id, 'L2', 'process'));
    const key = unwrapKeyRfc5649(l2.key, wrapped);
    if (l2.replacementId === undefined) return { key };
    try {
      const successorId = await this.#currentSuccessor(l2.replacementId, 'L2');
      const successor = await this.#use(successorId, 'L2', 'protect');
      return { key, rewrapped: { wrapped: wrapKeyRfc5649(successor.key, key), wrappingKeyId: successorId } };
    } catch (err) {
      key.fill(0);
      throw err;
    }
  }

  /**
   * Runs `use` with the plaintext of an L2 (Encrypt/Decrypt with a tenant key at the core). The
   * buffer is the cached one: `use` must be synchronous and must not keep it.
   */
  async withTenantKey<T>(l2Id: string, usage: Usage, use: (key: Buffer) => T): Promise<T> {
    const l2 = this.#cachedFor(l2Id, 'L2', usage) ?? (await this.#use(l2Id, 'L2', usage));
    return use(l2.key);
  }

  // --- L4: the hot path --------------------------------------------------------------------------

  /** Wraps a DEK (L4) under an L3. With the L3 cached: no I/O, one AES-KWP. */
  async wrapUnderL3(l3Id: string, dek: Uint8Array): Promise<WrappedKey> {
    const l3 = this.#cachedFor(l3Id, 'L3', 'protect') ?? (await this.#use(l3Id, 'L3', 'protect'));
    return { wrapped: wrapKeyRfc5649(l3.key, dek), wrappingKeyId: l3.id };
  }

  /** Unwraps a DEK wrapped under an L3; if that L3 was rotated, also returns it re-wrapped under the successor. */
  async unwrapUnderL3(l3Id: string, wrapped: Uint8Array): Promise<UnwrappedKey> {
    const l3 = this.#cachedFor(l3Id, 'L3', 'process') ?? (await this.#use(l3Id, 'L3', 'process'));
    const key = unwrapKeyRfc5649(l3.key, wrapped);
    if (l3.replacementId === undefined) return { key };
    try {
      return {
        key,
        rewrapped: await this.wrapUnderL3(await this.#currentSuccessor(l3.replacementId, 'L3'), key),
      };
    } catch (err) {
      key.fill(0);
      throw err;
    }
  }

  /** A fresh 256-bit DEK and its wrapping under the L3 (not stored: L4 belongs to the gateway/app). */
  async createDataKey(l3Id: string): Promise<DataKey> {
    const plaintext = randomKeyBytes(KEY_BYTES);
    try {
      const { wrapped, wrappingKeyId } = await this.wrapUnderL3(l3Id, plaintext);
      return { plaintext, wrapped, wrappingKeyId };
    } catch (err) {
      plaintext.fill(0);
      throw err;
    }
  }

  /** Creates an L4 and stores it as a record (gateway vault); returns the id and the plaintext. */
  async createDataKeyRecord(l3Id: string): Promise<{ id: string; plaintext: Buffer }> {
    const record = await this.#records.getKeyRecord(l3Id);
    if (record === undefined) throw new KryptonError('KRY_KEY_UNUSABLE', 'key not found');
    const dek = await this.createDataKey(l3Id);
    const id = await this.#records.insertKey({
      level: 'L4',
      tenant: record.tenant,
      wrapped: dek.wrapped,
      wrappingKeyId: dek.wrappingKeyId,
    });
    return { id, plaintext: dek.plaintext };
  }

  /** Unwraps a stored L4, re-wrapping it lazily under the current L3 when its L3 was rotated. */
  async openDataKey(l4Id: string): Promise<Buffer> {
    const record = await this.#records.getKeyRecord(l4Id);
    const usable = usableRecord(record, l4Id, 'L4', 'process');
    const { key, rewrapped } = await this.unwrapUnderL3(usable.wrappingKeyId, usable.wrapped);
    if (rewrapped !== undefined) {
      await this.#records.updateWrapping(
        l4Id,
        rewrapped.wrapped,
        rewrapped.wrappingKeyId,
        usable.wrappingKeyId,
      );
    }
    return key;
  }

  // --- rotation -----------------------------------------------------------------------------------

  /**
   * Rekey (KMIP 2.1 §6.1.43): a successor with fresh material, linked Replaced/Replacement; the
   * old version stays decrypt-only. Keys below are re-wrapped lazily. Returns the successor's id.
   */
  async rekey(id: string): Promise<string> {
    this.#assertRoot();
    const old = usableRecord(await this.#records.getKeyRecord(id), id, undefined, 'protect');
    const key = old.level === 'L2' ? await this.#hsm.randomBytes(KEY_BYTES) : randomKeyBytes(KEY_BYTES);
    let wrapped: Buffer;
    let wrappingKeyId: string;
    try {
      if (old.level === 'L2') {
        wrapped = await this.#wrapUnderRoot(key);
        wrappingKeyId = this.#rootLabel;
      } else {
        const parentLevel: KeyLevel = old.level === 'L3' ? 'L2' : 'L3';
        wrappingKeyId = await this.#currentSuccessor(old.wrappingKeyId, parentLevel);
        const parent = await this.#use(wrappingKeyId, parentLevel, 'protect');
        wrapped = wrapKeyRfc5649(parent.key, key);
      }
    } catch (err) {
      key.fill(0);
      throw err;
    }
    const newId = await this.#records.insertReplacement(id, {
      level: old.level,
      tenant: old.tenant,
      wrapped,
      wrappingKeyId,
    });
    this.invalidate(id);
    if (old.level === 'L4') key.fill(0);
    else this.#cacheNew({ id: newId, level: old.level, tenant: old.tenant, parentId: wrappingKeyId, key });
    this.#log.info({ keyId: id, replacementId: newId, level: old.level }, 'key rotated');
    return newId;
  }

  // --- internals ----------------------------------------------------------------------------------

  #assertRoot(): void {
    if (!this.#rootAvailable) {
      throw new KryptonError(
        'KRY_KEY_ROOT_UNAVAILABLE',
        this.#opened ? `L1 "${this.#rootLabel}" is refused by the HSM` : 'the key hierarchy is not open',
      );
    }
  }

  /** Synchronous cache hit with its checks, or undefined when the key must be loaded. */
  #cachedFor(id: string, level: KeyLevel, usage: Usage): CachedKey | undefined {
    this.#assertRoot();
    const entry = this.#cache.get(id);
    if (entry !== undefined) checkUsage(entry, level, usage);
    return entry;
  }

  /**
   * The live cache entry for `id`, loading it if needed. The returned buffer is valid until the
   * next await: use it synchronously.
   */
  async #use(id: string, level: 'L2' | 'L3', usage: Usage): Promise<CachedKey> {
    for (let attempt = 0; attempt < MAX_LOAD_ATTEMPTS; attempt++) {
      const hit = this.#cachedFor(id, level, usage);
      if (hit !== undefined) return hit;
      let loading = this.#loading.get(id);
      if (loading === undefined) {
        loading = this.#load(id, level).finally(() => this.#loading.delete(id));
        this.#loading.set(id, loading);
      }
      await loading;
    }
    throw new KryptonError('KRY_KEY_UNUSABLE', 'key changed while it was being loaded');
  }

  /** Reads the record, unwraps under its parent, re-wraps lazily, caches. */
  async #load(id: string, level: 'L2' | 'L3'): Promise<void> {
    const epoch = this.#epoch;
    const record = await this.#records.getKeyRecord(id);
    const usable = usableRecord(record, id, level, 'process');
    let key: Buffer;
    let parentId = usable.wrappingKeyId;
    if (level === 'L2') {
      key = await this.#unwrapUnderRoot(usable);
      if (usable.wrappingKeyId !== this.#rootLabel) {
        // L1 was rotated: move this L2 under the current root.
        const rewrapped = await this.#wrapUnderRoot(key);
        if (await this.#records.updateWrapping(id, rewrapped, this.#rootLabel, usable.wrappingKeyId)) {
          parentId = this.#rootLabel;
          this.#log.info({ keyId: id, root: this.#rootLabel }, 'L2 re-wrapped under the current root');
        }
      }
    } else {
      const parent = await this.#use(usable.wrappingKeyId, 'L2', 'process');
      if (parent.tenant !== usable.tenant)
        throw new KryptonError('KRY_KEY_UNUSABLE', 'key chain crosses tenants');
      key = unwrapKeyRfc5649(parent.key, usable.wrapped);
      if (parent.replacementId !== undefined) {
        try {
          const successorId = await this.#currentSuccessor(parent.replacementId, 'L2');
          const successor = await this.#use(successorId, 'L2', 'protect');
          const rewrapped = wrapKeyRfc5649(successor.key, key);
          if (await this.#records.updateWrapping(id, rewrapped, successorId, usable.wrappingKeyId)) {
            parentId = successorId;
            this.#log.info({ keyId: id, wrappingKeyId: successorId }, 'L3 re-wrapped under the rotated L2');
          }
        } catch (err) {
          key.fill(0);
          throw err;
        }
      }
    }
    if (this.#epoch !== epoch) {
      // Invalidated while loading: the record may be stale. The caller retries.
      key.fill(0);
      return;
    }
    this.#cache.set({
      id,
      level,
      tenant: usable.tenant,
      state: usable.state,
      replacementId: usable.replacementId,
      parentId,
      key,
    });
  }

  #cacheNew(entry: { id: string; level: KeyLevel; tenant: string; parentId: string; key: Buffer }): void {
    if (entry.level === 'L4') {
      entry.key.fill(0);
      return;
    }
    this.#cache.set({ ...entry, state: 'Active', replacementId: undefined });
  }

  /** Follows Replacement links to the key that may protect now. */
  async #currentSuccessor(id: string, level: KeyLevel): Promise<string> {
    let current = id;
    for (let hops = 0; hops < 64; hops++) {
      const record = await this.#records.getKeyRecord(current);
      if (record === undefined || record.level !== level)
        throw new KryptonError('KRY_KEY_UNUSABLE', 'key not found');
      if (record.replacementId === undefined) {
        usableRecord(record, current, level, 'protect');
        return current;
      }
      current = record.replacementId;
    }
    throw new KryptonError('KRY_KEY_UNUSABLE', 'replacement chain too long');
  }

  async #wrapUnderRoot(key: Buffer): Promise<Buffer> {
    this.#assertRoot();
    try {
      return await this.#hsm.wrapKey(this.#root, key);
    } catch (err) {
      throw this.#rootError(err, this.#rootLabel);
    }
  }

  async #unwrapUnderRoot(record: UsableRecord): Promise<Buffer> {
    this.#assertRoot();
    try {
      return await this.#hsm.unwrapKey({ label: record.wrappingKeyId, purpose: 'wrap' }, record.wrapped);
    } catch (err) {
      throw this.#rootError(err, record.wrappingKeyId);
    }
  }

  #rootError(err: unknown, label: string): unknown {
    if (!isRootRefusal(err)) return err;
    if (label === this.#rootLabel) this.#cutRoot(err);
    return new KryptonError('KRY_KEY_ROOT_UNAVAILABLE', `L1 "${label}" is refused by the HSM`);
  }

  #cutRoot(err: unknown): void {
    const wasAvailable = this.#rootAvailable;
    this.#rootAvailable = false;
    this.#epoch += 1;
    this.#cache.clear();
    if (wasAvailable) {
      this.#log.error(
        { root: this.#rootLabel, code: codeOf(err) },
        'L1 root key refused by the HSM: every L2, L3 and L4 key is unusable until it is restored',
      );
    }
  }
}

type UsableRecord = KeyRecord & { readonly wrapped: Uint8Array };

function isRootRefusal(err: unknown): boolean {
  return isKryptonError(err) && (err.code === 'KRY_HSM_KEY_NOT_FOUND' || err.code === 'KRY_HSM_REFUSED');
}

function codeOf(err: unknown): string {
  return isKryptonError(err) ? err.code : 'unknown';
}

function usableRecord(
  record: KeyRecord | undefined,
  id: string,
  level: KeyLevel | undefined,
  usage: Usage,
): UsableRecord {
  if (record === undefined || record.id !== id) throw new KryptonError('KRY_KEY_UNUSABLE', 'key not found');
  if (level !== undefined && record.level !== level) {
    throw new KryptonError('KRY_KEY_WRONG_LEVEL', `expected an ${level} key`);
  }
  if (
    record.wrapped === undefined ||
    record.state === 'Destroyed' ||
    record.state === 'DestroyedCompromised'
  ) {
    throw new KryptonError('KRY_KEY_UNUSABLE', 'key is destroyed');
  }
  checkUsage(record, record.level, usage);
  return record as UsableRecord;
}

function checkUsage(
  key: Pick<KeyRecord, 'level' | 'state' | 'replacementId'>,
  level: KeyLevel,
  usage: Usage,
): void {
  if (key.level !== level) throw new KryptonError('KRY_KEY_WRONG_LEVEL', `expected an ${level} key`);
  const record = key as KeyRecord;
  if (usage === 'protect' && !canProtect(record)) {
    throw new KryptonError(
      'KRY_KEY_UNUSABLE',
      record.replacementId !== undefined && record.state === 'Active'
        ? 'key was replaced by Rekey: decrypt only'
        : `key is ${record.state}: it cannot protect`,
    );
  }
  if (usage === 'process' && !canProcess(record)) {
    throw new KryptonError('KRY_KEY_UNUSABLE', `key is ${record.state}`);
  }
}
