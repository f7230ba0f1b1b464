/**
 * The key hierarchy's KeyRecordStore port (core/keys/key-records.ts) over the Store: a key
 * record is a Symmetric Key managed object with a promoted key level, its wrapped material and
 * its Replacement/Replaced links. The hierarchy follows wrapping chains by id without a tenant,
 * through the Store's two internal `…ForKeyHierarchy` methods; requests never reach them.
 */
import type { KeyLevel, KeyRecord, KeyRecordStore, KeyState, NewKeyRecord } from '../keys/key-records.js';
import {
  LinkType,
  ObjectType,
  State,
  wrappedKeyMaterial,
  type ManagedObject,
  type NewManagedObject,
  type Store,
} from '../../storage-adapters/index.js';

/** Owner of the keys the hierarchy creates by itself (a tenant's first L2). */
export const SYSTEM_OWNER = 'krypton';
/** Wrapping method recorded beside material wrapped with RFC 5649 (in process or in the HSM). */
export const KWP_METHOD = 'AES-KWP';
/** KMIP 2.1 §11.13 Cryptographic Algorithm AES; §11.12 Usage Mask Wrap Key | Unwrap Key. */
const AES = 3;
const WRAP_UNWRAP = 0x10 | 0x20;

const STATE_NAMES: Readonly<Record<number, KeyState>> = Object.freeze({
  [State.PreActive]: 'PreActive',
  [State.Active]: 'Active',
  [State.Deactivated]: 'Deactivated',
  [State.Compromised]: 'Compromised',
  [State.Destroyed]: 'Destroyed',
  [State.DestroyedCompromised]: 'DestroyedCompromised',
});

export function keyRecordOf(object: ManagedObject): KeyRecord | undefined {
  if (object.keyLevel === undefined || object.keyLevel < 2) return undefined;
  const link = (type: number) => object.links.find((l) => l.linkType === type)?.linkedObjectId;
  return {
    id: object.id,
    level: `L${object.keyLevel}` as KeyLevel,
    state: STATE_NAMES[object.state] ?? 'Destroyed',
    tenant: object.tenant,
    wrapped: object.keyMaterial?.wrapped,
    wrappingKeyId: object.keyMaterial?.wrappingKeyId ?? '',
    replacementId: link(LinkType.ReplacementObjectLink),
    replacedId: link(LinkType.ReplacedObjectLink),
  };
}

function levelNumber(level: KeyLevel): 2 | 3 | 4 {
  return Number(level.slice(1)) as 2 | 3 | 4;
}

/** The managed object the hierarchy stores for a new key: Active, AES, wrap/unwrap usage. */
function newKeyObject(record: NewKeyRecord, lengthBits: number): NewManagedObject {
  return {
    objectType: ObjectType.SymmetricKey,
    owner: SYSTEM_OWNER,
    state: State.Active,
    keyLevel: levelNumber(record.level),
    cryptographicAlgorithm: AES,
    cryptographicLength: lengthBits,
    dates: { ActivationDate: new Date() },
    attributes: [{ name: 'CryptographicUsageMask', value: WRAP_UNWRAP }],
    keyMaterial: wrappedKeyMaterial({
      wrapped: record.wrapped,
      wrappingKeyId: record.wrappingKeyId,
      wrappingMethod: KWP_METHOD,
    }),
  };
}

/** RFC 5649 output is 8 bytes longer than the key rounded up to 8: the key length from the wrapping. */
function lengthBitsOf(wrapped: Uint8Array): number {
  return (wrapped.length - 8) * 8;
}

export class StoreKeyRecords implements KeyRecordStore {
  constructor(private readonly store: Store) {}

  async getKeyRecord(id: string): Promise<KeyRecord | undefined> {
    const object = await this.store.getForKeyHierarchy(id);
    return object ? keyRecordOf(object) : undefined;
  }

  /** The tenant's current L2: the oldest Active one without a replacement. */
  async findTenantKey(tenant: string): Promise<KeyRecord | undefined> {
    const { ids } = await this.store.locate(tenant, {
      objectType: ObjectType.SymmetricKey,
      keyLevel: 2,
      state: State.Active,
      maximumItems: 64,
    });
    for (const id of ids) {
      const record = keyRecordOf(await this.store.get(tenant, id));
      if (record && record.replacementId === undefined && record.wrapped !== undefined) return record;
    }
    return undefined;
  }

  async insertKey(record: NewKeyRecord): Promise<string> {
    const created = await this.store.create(
      record.tenant,
      newKeyObject(record, lengthBitsOf(record.wrapped)),
    );
    return created.id;
  }

  async insertReplacement(oldId: string, record: NewKeyRecord): Promise<string> {
    const old = await this.store.getForKeyHierarchy(oldId);
    if (!old) throw new Error('replaced key not found');
    const base = newKeyObject(record, lengthBitsOf(record.wrapped));
    const { replacement } = await this.store.rekey(record.tenant, oldId, {
      replacement: {
        ...base,
        owner: old.owner,
        // Name moves to the successor below (KMIP 1.4 §4.4); the rest is copied.
        attributes: old.attributes.filter((a) => a.name !== 'Name'),
      },
      moveAttributes: [{ name: 'Name' }],
    });
    return replacement.id;
  }

  async updateWrapping(
    id: string,
    wrapped: Uint8Array,
    wrappingKeyId: string,
    expectedWrappingKeyId: string,
  ): Promise<boolean> {
    return this.store.rewrapForKeyHierarchy(
      id,
      wrappedKeyMaterial({ wrapped, wrappingKeyId, wrappingMethod: KWP_METHOD }),
      expectedWrappingKeyId,
    );
  }
}
