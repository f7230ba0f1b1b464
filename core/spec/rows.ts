/**
 * Shapes of the rows in core/spec/generated/. The generator writes compact tuples; registry.ts
 * turns them into Maps once, at module load.
 *
 * A version range is [since, until): `until` is the first version that no longer defines the
 * item (null: still defined in 2.1). Every range in the KMIP 1.0–2.1 tables is contiguous; the
 * generator refuses tables where it is not.
 */
import type { ItemTypeName } from '../ttlv/types.js';
import type { KmipVersion } from './versions.js';

/** A tag's item type: one type for every version, one per version (index of KMIP_VERSIONS), or null (varies). */
export type TagTypeCell = ItemTypeName | null | readonly (ItemTypeName | null)[];

/** [tag, CamelCase name, since, until, deprecated since, type] */
export type TagRow = readonly [
  tag: number,
  camel: string,
  since: KmipVersion,
  until: KmipVersion | null,
  deprecatedIn: KmipVersion | null,
  type: TagTypeCell,
];

/** [tag, other CamelCase spelling] — no tag was renamed in 1.0–2.1; kept for future tables. */
export type TagAliasRow = readonly [tag: number, camel: string];

/** [CamelCase name, spec name, carrier tags (first: the tag of the same name, if any), since, until] */
export type EnumRow = readonly [
  camel: string,
  name: string,
  tags: readonly number[],
  since: KmipVersion,
  until: KmipVersion | null,
];

/** [value, CamelCase name (latest spelling), since, until, deprecated since] */
export type EnumValueRow = readonly [
  value: number,
  camel: string,
  since: KmipVersion,
  until: KmipVersion | null,
  deprecatedIn: KmipVersion | null,
];

/**
 * [enumeration CamelCase, value, other CamelCase spelling, since, until (versions printing it), emitted]
 * `emitted` false: accepted on input only (a misprint in the spec, e.g. 2.x Mask Generator "MFG1").
 */
export type EnumAliasRow = readonly [
  enumCamel: string,
  value: number,
  camel: string,
  since: KmipVersion,
  until: KmipVersion | null,
  emitted: boolean,
];

/** [CamelCase name, spec name, tag, since, until] */
export type MaskRow = readonly [
  camel: string,
  name: string,
  tag: number,
  since: KmipVersion,
  until: KmipVersion | null,
];

/** [bit value, CamelCase name, since, until] */
export type MaskBitRow = readonly [
  value: number,
  camel: string,
  since: KmipVersion,
  until: KmipVersion | null,
];

/** [code, CamelCase name, spec name, since, until] */
export type OperationRow = readonly [
  code: number,
  camel: string,
  name: string,
  since: KmipVersion,
  until: KmipVersion | null,
];

/** [spec name, CamelCase name, tag, type, multiple instances permitted, since, until] */
export type AttributeRow = readonly [
  name: string,
  camel: string,
  tag: number | null,
  type: ItemTypeName | null,
  multiValued: boolean | 'conditional',
  since: KmipVersion,
  until: KmipVersion | null,
];
