export {
  decodeKmipJson,
  decodeKmipJsonValue,
  encodeKmipJson,
  type JsonDecodeOptions,
  type JsonEncodeOptions,
} from './json.js';
export {
  decodeKmipXml,
  decodeKmipXmlMessages,
  encodeKmipXml,
  formatTree,
  type XmlDecodeOptions,
  type XmlEncodeOptions,
} from './xml.js';
export { deterministicPlaceholders, type PlaceholderResolver } from './values.js';
export { parseIsoTime, formatIsoTime } from './datetime.js';
