export {
  GATEWAY_SERVICES_PLUGIN,
  gatewayOf,
  gatewayServicesPlugin,
  type GatewayServices,
} from './services.js';
export {
  forwardItem,
  gatewayIdentity,
  InProcessCoreDelegate,
  RemoteCoreDelegate,
  UpstreamResultError,
  type CoreDelegate,
  type CoreItem,
} from './delegate.js';
export { L3Cache, type CachedL3 } from './l3-cache.js';
export { L3Keys, keyViewFromAttributes } from './l3-keys.js';
export { checkProcess, checkProtect, effectiveState, keyViewOf, type KeyView } from './key-use.js';
export { gatewaySettingsOf, upstreamSchema, type GatewaySettings, type L3Residency } from './settings.js';
export { TransportKey } from './transport-key.js';
export { StreamPins, type PinnableConnection, type StreamPinLimits } from './stream-pins.js';
export { UpstreamPool, type UpstreamConnection, type UpstreamPoolOptions } from './upstream-pool.js';
export { vaultContext } from './vault-context.js';
