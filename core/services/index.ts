export {
  CORE_SERVICES_PLUGIN,
  hsmOptionsOf,
  openCoreServices,
  registerCoreServices,
  storeOptionsOf,
  type CoreServiceOverrides,
  type CoreServices,
} from './services.js';
export { StoreKeyRecords, keyRecordOf, KWP_METHOD, SYSTEM_OWNER } from './store-key-records.js';
export { LEVEL_ATTRIBUTE, levelAttribute, levelNumber, requestedLevel } from './key-level.js';
