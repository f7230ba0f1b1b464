export { unwrapKeyRfc5649, wrapKeyRfc5649, MAX_WRAPPED_KEY_BYTES } from './aes-key-wrap.js';
export { UnwrappedKeyCache, type CachedKey, type UnwrappedKeyCacheOptions } from './key-cache.js';
export {
  KeyHierarchy,
  type DataKey,
  type KeyHierarchyOptions,
  type UnwrappedKey,
  type WrappedKey,
} from './key-hierarchy.js';
export {
  canProcess,
  canProtect,
  type KeyLevel,
  type KeyRecord,
  type KeyRecordSink,
  type KeyRecordSource,
  type KeyRecordStore,
  type KeyState,
  type NewKeyRecord,
} from './key-records.js';
