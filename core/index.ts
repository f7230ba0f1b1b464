/**
 * The package entry (`import { … } from 'krypton-kmip'`): what a third-party operation plugin
 * and an embedding application need. Everything else is a subpath export (`krypton-kmip/client`,
 * `krypton-kmip/ttlv`, …; see package.json `exports`).
 */
export {
  defineOperation,
  isOperationDescriptor,
  type DefinedOperation,
  type ExtensionTag,
  type OperationDescriptor,
  type OperationResult,
  type OperationRole,
  type Phase,
  type RequestContext,
  type RequestServices,
} from './dispatch/operation.js';
export { KryptonError, isKryptonError, type ErrorCode } from './errors.js';
export { loadProfile, validateProfileObject, type LoadProfileOptions } from './config/load.js';
export type { ProfileConfig } from './config/schema.js';
export { startServer, type RunningServer, type StartServerOptions } from './server/server.js';
