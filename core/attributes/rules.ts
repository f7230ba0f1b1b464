/**
 * The attribute rule table of KMIP 1.4 §3 and 2.1 §4 ("Attribute Rules": initially set by,
 * modifiable by server/client, deletable by client, multiple instances, applies to object types),
 * one row per attribute and specification version, and the checks every attribute-changing
 * operation (Add/Modify/Delete/Set Attribute) makes from it. KMIP 1.0-1.3 use the 1.4 rules
 * (1.4 is their superset), 2.0 uses the 2.1 rules. The rows are checked against
 * kmip-spec/tables/attributes.json by test/core/attributes/rules.test.ts.
 *
 * Krypton-specific on top of the table: the key level (`x-krypton-level`, Vendor Attribute
 * `x`/`krypton-level`) is fixed at creation, and `y-` custom attributes are the server's
 * (KMIP 1.4 §3.39: `x-` names are client-created, `y-` names server-created).
 */
import { KryptonError, type ErrorCode } from '../errors.js';
import { attributeByName, versionIndex, type KmipVersion } from '../spec/index.js';
import { isCustomName } from './index.js';

export type RuleValue = 'yes' | 'no' | 'conditional';

/**
 * [CamelCase name, spec version of the rule, initially set by (S server, C client), modifiable by
 * server, modifiable by client, deletable by client, multiple instances permitted, applies to
 * object types (as printed)].
 */
export type AttributeRuleRow = readonly [
  camel: string,
  version: '1.4' | '2.1',
  initiallySetBy: 'S' | 'C' | 'SC',
  modifiableByServer: RuleValue,
  modifiableByClient: RuleValue,
  deletableByClient: RuleValue,
  multiValued: boolean | 'conditional',
  appliesTo: readonly string[],
];

export const ATTRIBUTE_RULE_ROWS: readonly AttributeRuleRow[] = [
  [
    'ActivationDate',
    '1.4',
    'SC',
    'conditional',
    'conditional',
    'no',
    false,
    ['All Cryptographic Objects', 'Templates'],
  ],
  ['ActivationDate', '2.1', 'SC', 'conditional', 'conditional', 'no', false, ['All Objects']],
  ['AlternativeName', '1.4', 'C', 'conditional', 'yes', 'yes', true, ['All Objects']],
  ['AlternativeName', '2.1', 'C', 'conditional', 'yes', 'yes', true, ['All Objects']],
  ['AlwaysSensitive', '1.4', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['AlwaysSensitive', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['ApplicationSpecificInformation', '1.4', 'SC', 'conditional', 'yes', 'yes', true, ['All Objects']],
  ['ApplicationSpecificInformation', '2.1', 'SC', 'conditional', 'yes', 'yes', true, ['All Objects']],
  ['ArchiveDate', '1.4', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['ArchiveDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['CertificateAttributes', '2.1', 'S', 'no', 'no', 'no', true, ['Certificates']],
  ['CertificateIdentifier', '1.4', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateIssuer', '1.4', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateLength', '1.4', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateLength', '2.1', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateSubject', '1.4', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateType', '1.4', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['CertificateType', '2.1', 'S', 'no', 'no', 'no', false, ['Certificates']],
  ['Comment', '1.4', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['Comment', '2.1', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['CompromiseDate', '1.4', 'S', 'no', 'no', 'no', false, ['All Cryptographic Objects', 'Opaque Object']],
  ['CompromiseDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  [
    'CompromiseOccurrenceDate',
    '1.4',
    'S',
    'no',
    'no',
    'no',
    false,
    ['All Cryptographic Objects', 'Opaque Object'],
  ],
  ['CompromiseOccurrenceDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['ContactInformation', '1.4', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['ContactInformation', '2.1', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['CryptographicAlgorithm', '1.4', 'S', 'no', 'no', 'no', false, ['Keys', 'Certificates', 'Templates']],
  ['CryptographicAlgorithm', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['CryptographicDomainParameters', '1.4', 'C', 'no', 'no', 'no', false, ['Asymmetric Keys', 'Templates']],
  ['CryptographicDomainParameters', '2.1', 'C', 'no', 'no', 'no', false, ['Public Keys', 'Private Keys']],
  ['CryptographicLength', '1.4', 'S', 'no', 'no', 'no', false, ['Keys', 'Certificates', 'Templates']],
  ['CryptographicLength', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['CryptographicParameters', '1.4', 'C', 'no', 'yes', 'yes', true, ['Keys', 'Certificates', 'Templates']],
  ['CryptographicParameters', '2.1', 'C', 'no', 'yes', 'yes', true, ['All Objects']],
  [
    'CryptographicUsageMask',
    '1.4',
    'SC',
    'yes',
    'no',
    'no',
    false,
    ['All Cryptographic Objects', 'Templates'],
  ],
  ['CryptographicUsageMask', '2.1', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['CustomAttribute', '1.4', 'SC', 'conditional', 'conditional', 'conditional', true, ['All Objects']],
  [
    'DeactivationDate',
    '1.4',
    'SC',
    'conditional',
    'conditional',
    'no',
    false,
    ['All Cryptographic Objects', 'Templates'],
  ],
  ['DeactivationDate', '2.1', 'SC', 'conditional', 'conditional', 'no', false, ['All Objects']],
  ['Description', '1.4', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['Description', '2.1', 'SC', 'yes', 'yes', 'yes', false, ['All Objects']],
  ['DestroyDate', '1.4', 'S', 'no', 'no', 'no', false, ['All Cryptographic Objects', 'Opaque Objects']],
  ['DestroyDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['Digest', '1.4', 'S', 'no', 'no', 'no', true, ['All Cryptographic Objects', 'Opaque Objects']],
  ['Digest', '2.1', 'S', 'no', 'no', 'no', true, ['All Objects']],
  ['DigitalSignatureAlgorithm', '1.4', 'S', 'no', 'no', 'no', 'conditional', ['Certificates', 'PGP keys']],
  ['DigitalSignatureAlgorithm', '2.1', 'S', 'no', 'no', 'no', 'conditional', ['Certificates', 'PGP keys']],
  ['Extractable', '1.4', 'SC', 'yes', 'yes', 'no', false, ['All Objects']],
  ['Extractable', '2.1', 'SC', 'yes', 'yes', 'no', false, ['All Objects']],
  ['Fresh', '1.4', 'SC', 'yes', 'no', 'no', false, ['All Cryptographic Objects']],
  ['Fresh', '2.1', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['InitialDate', '1.4', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['InitialDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['KeyFormatType', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  [
    'KeyValueLocation',
    '1.4',
    'C',
    'no',
    'yes',
    'yes',
    true,
    ['Symmetric Key', 'Private Key', 'Split Key', 'Secret Data'],
  ],
  ['KeyValueLocation', '2.1', 'C', 'no', 'yes', 'yes', true, ['All Objects']],
  [
    'KeyValuePresent',
    '1.4',
    'S',
    'no',
    'no',
    'no',
    false,
    ['Symmetric Key', 'Private Key', 'Split Key', 'Secret Data'],
  ],
  ['KeyValuePresent', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['LastChangeDate', '1.4', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['LastChangeDate', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['LeaseTime', '1.4', 'S', 'yes', 'no', 'no', false, ['All Cryptographic Objects']],
  ['LeaseTime', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['Link', '1.4', 'SC', 'yes', 'yes', 'yes', true, ['All Cryptographic Objects']],
  ['Link', '2.1', 'SC', 'yes', 'yes', 'yes', true, ['All Objects']],
  ['Name', '1.4', 'C', 'yes', 'yes', 'yes', true, ['All Objects']],
  ['Name', '2.1', 'C', 'yes', 'yes', 'yes', true, ['All Objects']],
  ['NeverExtractable', '1.4', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['NeverExtractable', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['NISTKeyType', '2.1', 'C', 'no', 'no', 'no', true, ['All Objects']],
  ['ObjectGroup', '1.4', 'SC', 'yes', 'yes', 'yes', true, ['All Objects']],
  ['ObjectGroup', '2.1', 'SC', 'yes', 'yes', 'yes', true, ['All Objects']],
  ['ObjectType', '1.4', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['ObjectType', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['OpaqueDataType', '2.1', 'S', 'no', 'no', 'no', false, ['Opaque Objects']],
  ['OperationPolicyName', '1.4', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['OriginalCreationDate', '1.4', 'SC', 'no', 'no', 'no', false, ['All Objects']],
  ['OriginalCreationDate', '2.1', 'SC', 'no', 'no', 'no', false, ['All Objects']],
  ['PKCS_12FriendlyName', '1.4', 'SC', 'no', 'yes', 'yes', false, ['Managed Cryptographic Objects']],
  ['PKCS_12FriendlyName', '2.1', 'SC', 'no', 'yes', 'yes', false, ['All Objects']],
  [
    'ProcessStartDate',
    '1.4',
    'SC',
    'conditional',
    'conditional',
    'no',
    false,
    ['Symmetric Keys', 'Split Keys of symmetric keys', 'Templates'],
  ],
  ['ProcessStartDate', '2.1', 'SC', 'conditional', 'conditional', 'no', false, ['All Objects']],
  [
    'ProtectStopDate',
    '1.4',
    'SC',
    'conditional',
    'conditional',
    'no',
    false,
    ['Symmetric Keys', 'Split Keys of symmetric keys', 'Templates'],
  ],
  ['ProtectStopDate', '2.1', 'SC', 'conditional', 'conditional', 'no', false, ['All Objects']],
  ['ProtectionLevel', '2.1', 'C', 'no', 'yes', 'yes', false, ['All Objects']],
  ['ProtectionPeriod', '2.1', 'C', 'no', 'yes', 'yes', false, ['All Objects']],
  ['ProtectionStorageMask', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['QuantumSafe', '2.1', 'C', 'no', 'yes', 'yes', false, ['All Objects']],
  ['RandomNumberGenerator', '1.4', 'SC', 'no', 'no', 'no', false, ['All Cryptographic Objects']],
  ['RandomNumberGenerator', '2.1', 'SC', 'no', 'no', 'no', false, ['All Objects']],
  ['RevocationReason', '1.4', 'S', 'yes', 'no', 'no', false, ['All Cryptographic Objects', 'Opaque Object']],
  ['RevocationReason', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['RotateAutomatic', '2.1', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['RotateDate', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['RotateGeneration', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['RotateInterval', '2.1', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['RotateLatest', '2.1', 'S', 'yes', 'no', 'no', false, ['All Objects']],
  ['RotateName', '2.1', 'C', 'no', 'yes', 'yes', false, ['All Objects']],
  ['RotateOffset', '2.1', 'SC', 'yes', 'no', 'no', false, ['All Objects']],
  ['Sensitive', '1.4', 'SC', 'yes', 'yes', 'no', false, ['All Objects']],
  ['Sensitive', '2.1', 'SC', 'yes', 'yes', 'no', false, ['All Objects']],
  ['ShortUniqueIdentifier', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['State', '1.4', 'S', 'yes', 'conditional', 'no', false, ['All Cryptographic Objects']],
  ['State', '2.1', 'S', 'yes', 'conditional', 'no', false, ['All Objects']],
  ['UniqueIdentifier', '1.4', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['UniqueIdentifier', '2.1', 'S', 'no', 'no', 'no', false, ['All Objects']],
  ['UsageLimits', '1.4', 'SC', 'yes', 'conditional', 'conditional', false, ['Keys', 'Templates']],
  ['UsageLimits', '2.1', 'SC', 'yes', 'conditional', 'conditional', false, ['All Objects']],
  ['X_509CertificateIdentifier', '1.4', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
  ['X_509CertificateIdentifier', '2.1', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
  ['X_509CertificateIssuer', '1.4', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
  ['X_509CertificateIssuer', '2.1', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
  ['X_509CertificateSubject', '1.4', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
  ['X_509CertificateSubject', '2.1', 'S', 'no', 'no', 'no', false, ['X.509 Certificates']],
];

export interface AttributeRule {
  readonly camel: string;
  readonly initiallySetByClient: boolean;
  readonly modifiableByClient: RuleValue;
  readonly deletableByClient: RuleValue;
  readonly multiValued: boolean;
  readonly appliesTo: readonly string[];
}

const RULES = new Map<string, AttributeRule>();
for (const [
  camel,
  version,
  init,
  ,
  modifiableByClient,
  deletableByClient,
  multi,
  appliesTo,
] of ATTRIBUTE_RULE_ROWS) {
  RULES.set(`${version}:${camel}`, {
    camel,
    initiallySetByClient: init.includes('C'),
    // State is "modifiable by client: No, but only by the server in response to certain
    // requests" (KMIP 2.1 §4.57): for an attribute operation it is read-only.
    modifiableByClient: camel === 'State' ? 'no' : modifiableByClient,
    deletableByClient,
    // Digital Signature Algorithm is multi-valued only for PGP keys (KMIP 2.1 §4.17).
    multiValued: multi !== false,
    appliesTo,
  });
}

/** A client-created custom attribute (KMIP 1.4 §3.39 `x-…`) or a 2.x Vendor Attribute (§4.60). */
const CLIENT_CUSTOM: AttributeRule = Object.freeze({
  camel: 'CustomAttribute',
  initiallySetByClient: true,
  modifiableByClient: 'yes',
  deletableByClient: 'yes',
  multiValued: true,
  appliesTo: ['All Objects'],
});

/** A server-created custom attribute (`y-…`) or the key level: clients read them only. */
const SERVER_CUSTOM: AttributeRule = Object.freeze({
  camel: 'CustomAttribute',
  initiallySetByClient: false,
  modifiableByClient: 'no',
  deletableByClient: 'no',
  multiValued: false,
  appliesTo: ['All Objects'],
});

export const KEY_LEVEL_ATTRIBUTE = 'x-krypton-level';

/**
 * The rules of an attribute in a protocol version; undefined when the version does not define
 * the attribute (a 2.x-only attribute in a 1.x request).
 */
export function attributeRule(
  attr: { readonly name: string; readonly vendorIdentification?: string | undefined },
  version: KmipVersion,
): AttributeRule | undefined {
  if (attr.name === KEY_LEVEL_ATTRIBUTE) return SERVER_CUSTOM;
  if (attr.vendorIdentification !== undefined) return CLIENT_CUSTOM;
  if (isCustomName(attr.name)) return attr.name.startsWith('y-') ? SERVER_CUSTOM : CLIENT_CUSTOM;
  const def = attributeByName(attr.name);
  if (!def || !def.versions.includes(version)) return undefined;
  const v2 = versionIndex(version) >= versionIndex('2.0');
  return RULES.get(`${v2 ? '2.1' : '1.4'}:${def.camel}`) ?? RULES.get(`${v2 ? '1.4' : '2.1'}:${def.camel}`);
}

/** Object Type values (KMIP 2.1 §11.29) each "Applies to Object Types" phrase covers. */
const OBJECT_TYPE_GROUPS: Readonly<Record<string, readonly number[]>> = {
  'All Objects': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  'All Cryptographic Objects': [1, 2, 3, 4, 5, 7, 9, 10],
  'Managed Cryptographic Objects': [1, 2, 3, 4, 5, 7, 9, 10],
  Keys: [2, 3, 4, 5, 9],
  'Asymmetric Keys': [3, 4],
  'Public Keys': [3],
  'Private Keys': [4],
  'Private Key': [4],
  'Symmetric Key': [2],
  'Symmetric Keys': [2],
  'Split Key': [5],
  'Split Keys of symmetric keys': [5],
  'Secret Data': [7],
  Certificates: [1],
  'X.509 Certificates': [1],
  'PGP keys': [9],
  Templates: [6],
  'Opaque Object': [8],
  'Opaque Objects': [8],
};

export function appliesToObjectType(rule: AttributeRule, objectType: number): boolean {
  return rule.appliesTo.some((group) => OBJECT_TYPE_GROUPS[group]?.includes(objectType) ?? false);
}

export type AttributeChange = 'add' | 'modify' | 'delete' | 'set';

function pick(version: KmipVersion, v2: ErrorCode, v1: ErrorCode, detail: string): KryptonError {
  return new KryptonError(versionIndex(version) >= versionIndex('2.0') ? v2 : v1, detail);
}

/**
 * Whether a client may make the change at all, from the table alone (state-dependent conditions
 * are the caller's): throws the spec's error in the request's version, else returns the rule.
 * Add and Set create a value: allowed when a client may initially set or modify the attribute.
 */
export function checkClientChange(
  change: AttributeChange,
  attr: { readonly name: string; readonly vendorIdentification?: string | undefined },
  objectType: number,
  version: KmipVersion,
): AttributeRule {
  const rule = attributeRule(attr, version);
  if (!rule)
    throw new KryptonError('KRY_OP_INVALID_FIELD', `${attr.name} is not an attribute of KMIP ${version}`);
  const name = attr.name;
  if (change === 'delete') {
    if (rule.deletableByClient === 'no')
      throw pick(version, 'KRY_ATTR_READ_ONLY', 'KRY_ATTR_READ_ONLY_1X', `${name} cannot be deleted`);
  } else if (change === 'modify') {
    if (rule.modifiableByClient === 'no')
      throw pick(version, 'KRY_ATTR_READ_ONLY', 'KRY_ATTR_READ_ONLY_1X', name);
  } else if (!rule.initiallySetByClient && rule.modifiableByClient === 'no') {
    throw pick(version, 'KRY_ATTR_READ_ONLY_ADD', 'KRY_ATTR_READ_ONLY_1X', name);
  }
  if (!appliesToObjectType(rule, objectType))
    throw pick(version, 'KRY_ATTR_NOT_APPLICABLE', 'KRY_ATTR_NOT_APPLICABLE_1X', name);
  return rule;
}

/** Errors whose reason exists in 2.x only, in the request's version. */
export function attributeError(
  version: KmipVersion,
  kind: 'single-valued' | 'not-found' | 'instance-not-found' | 'name-not-unique' | 'bad-value',
  detail: string,
): KryptonError {
  switch (kind) {
    case 'single-valued':
      return pick(version, 'KRY_ATTR_SINGLE_VALUED', 'KRY_ATTR_SINGLE_VALUED_1X', detail);
    case 'not-found':
      return pick(version, 'KRY_ATTR_NOT_FOUND', 'KRY_ATTR_NOT_FOUND_1X', detail);
    case 'instance-not-found':
      return pick(version, 'KRY_ATTR_INSTANCE_NOT_FOUND', 'KRY_ATTR_INSTANCE_NOT_FOUND_1X', detail);
    case 'name-not-unique':
      return pick(version, 'KRY_ATTR_NAME_NOT_UNIQUE', 'KRY_ATTR_NAME_NOT_UNIQUE_1X', detail);
    case 'bad-value':
      return pick(version, 'KRY_ATTR_BAD_VALUE', 'KRY_ATTR_BAD_VALUE_1X', detail);
  }
}
