import { randomUUID } from 'node:crypto';
import type { KeyRecord, KeyRecordStore, KeyState, NewKeyRecord } from '../../../core/keys/key-records.js';

/** In-memory KeyRecordStore for tests: the same contract a Store-backed one keeps. */
export class MemoryKeyRecords implements KeyRecordStore {
  readonly records = new Map<string, KeyRecord>();
  reads = 0;
  rewraps = 0;

  async getKeyRecord(id: string): Promise<KeyRecord | undefined> {
    this.reads += 1;
    return this.records.get(id);
  }

  async findTenantKey(tenant: string): Promise<KeyRecord | undefined> {
    for (const r of this.records.values()) {
      if (r.level === 'L2' && r.tenant === tenant && r.state === 'Active' && r.replacementId === undefined)
        return r;
    }
    return undefined;
  }

  async insertKey(record: NewKeyRecord): Promise<string> {
    const id = randomUUID();
    this.records.set(id, { id, state: 'Active', ...record, wrapped: Buffer.from(record.wrapped) });
    return id;
  }

  async insertReplacement(oldId: string, record: NewKeyRecord): Promise<string> {
    const old = this.records.get(oldId);
    if (old === undefined) throw new Error('no such record');
    const id = randomUUID();
    this.records.set(id, {
      id,
      state: 'Active',
      ...record,
      wrapped: Buffer.from(record.wrapped),
      replacedId: oldId,
    });
    this.records.set(oldId, { ...old, replacementId: id });
    return id;
  }

  async updateWrapping(
    id: string,
    wrapped: Uint8Array,
    wrappingKeyId: string,
    expected: string,
  ): Promise<boolean> {
    const r = this.records.get(id);
    if (r === undefined || r.wrappingKeyId !== expected) return false;
    this.records.set(id, { ...r, wrapped: Buffer.from(wrapped), wrappingKeyId });
    this.rewraps += 1;
    return true;
  }

  /** What Revoke and Destroy do to the record (the lifecycle code's job, simulated here). */
  setState(id: string, state: KeyState): void {
    const r = this.records.get(id);
    if (r === undefined) throw new Error('no such record');
    const destroyed = state === 'Destroyed' || state === 'DestroyedCompromised';
    this.records.set(id, { ...r, state, wrapped: destroyed ? undefined : r.wrapped });
  }
}
