/**
 * The gateway services (core/gateway/services.ts) as a profile plugin: list `builtin:gateway/services`
 * before the gateway operations, which name `krypton-gateway` as a dependency.
 */
export { gatewayServicesPlugin as kryptonPlugin } from '../../core/gateway/services.js';
