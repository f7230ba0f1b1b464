export * from './client.js';
export * from './requests.js';
export {
  toKmipAttributes,
  normalizeValue,
  type AttributeInput,
  type AttributeInputValue,
} from './attribute-input.js';
export { KmipConnectionPool } from './pool.js';
export {
  HttpsTransport,
  TtlvTlsTransport,
  type HttpsEncoding,
  type KmipTransport,
  type TlsOptions,
} from './transport.js';
