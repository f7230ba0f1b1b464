/**
 * KMIP 1.0–2.1 protocol registry: tag numbers, item types, enumerations, masks, operations and
 * attributes, version-aware, generated from the specification tables (see docs/registry.md).
 *
 * Constants for code: `Tag.RequestMessage`, `ResultReason.ItemNotFound`, `Operation.Create`,
 * `CryptographicUsageMask.Encrypt` (one `as const` object per enumeration and mask, latest
 * CamelCase names). Lookups for codecs: tagByName/tagName/tagType, enumForTag, maskForTag,
 * attributeByName.
 */
export { KMIP_VERSIONS, parseVersion, versionIndex, type KmipVersion } from './versions.js';
export {
  ATTRIBUTES,
  OPERATIONS,
  attributeByName,
  enumByName,
  enumForTag,
  isExtensionEnumValue,
  isExtensionTag,
  maskByName,
  maskForTag,
  operationByCode,
  operationByName,
  registerExtensionEnumValue,
  registerExtensionTag,
  tagByName,
  tagInVersion,
  tagName,
  tagType,
  type AttributeDef,
  type EnumDef,
  type MaskDef,
  type OperationDef,
} from './registry.js';
export { Tag } from './generated/tags.js';
export * from './generated/constants.js';
