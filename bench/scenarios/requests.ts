/**
 * Request messages the scenarios send, built once per scenario (not per request) where they
 * do not change, and the checks applied to every response: Success, or a clear skip when the
 * target answers Operation Not Supported.
 */
import { encodeRequestMessage, parseResponseMessage } from '../../core/messages/index.js';
import { KryptonError } from '../../core/errors.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ObjectType,
  Operation,
  PaddingMethod,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
} from '../../core/spec/index.js';
import type { KmipVersion } from '../../core/spec/index.js';
import { byteString, child, enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../../core/ttlv/types.js';
import { ScenarioSkip } from '../load/generator.js';

export function requestMessage(version: KmipVersion, operation: number, payload: TtlvItem[]): StructureItem {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return encodeRequestMessage({
    header: { protocolVersion: { major, minor }, batchCount: 1 },
    batchItems: [{ operation, payload: structure(Tag.RequestPayload, payload) }],
  });
}

export function discoverVersionsRequest(version: KmipVersion): StructureItem {
  return requestMessage(version, Operation.DiscoverVersions, []);
}

export function queryRequest(version: KmipVersion): StructureItem {
  return requestMessage(version, Operation.Query, [
    enumeration(Tag.QueryFunction, QueryFunction.QueryOperations),
    enumeration(Tag.QueryFunction, QueryFunction.QueryObjects),
  ]);
}

/** An AES-256 key for Encrypt/Decrypt: 2.x native attributes, 1.x a TemplateAttribute. */
export function createAes256Request(version: KmipVersion, extra: TtlvItem[] = []): StructureItem {
  const usage = CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt;
  const attributes: TtlvItem[] = version.startsWith('2.')
    ? [
        structure(Tag.Attributes, [
          enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          integer(Tag.CryptographicLength, 256),
          integer(Tag.CryptographicUsageMask, usage),
          ...extra,
        ]),
      ]
    : [
        structure(Tag.TemplateAttribute, [
          attribute1x('Cryptographic Algorithm', enumeration(Tag.AttributeValue, CryptographicAlgorithm.AES)),
          attribute1x('Cryptographic Length', integer(Tag.AttributeValue, 256)),
          attribute1x('Cryptographic Usage Mask', integer(Tag.AttributeValue, usage)),
          ...extra,
        ]),
      ];
  return requestMessage(version, Operation.Create, [
    enumeration(Tag.ObjectType, ObjectType.SymmetricKey),
    ...attributes,
  ]);
}

export function attribute1x(name: string, value: TtlvItem): StructureItem {
  return structure(Tag.Attribute, [textString(Tag.AttributeName, name), value]);
}

export function uidRequest(version: KmipVersion, operation: number, uid: string): StructureItem {
  return requestMessage(version, operation, [textString(Tag.UniqueIdentifier, uid)]);
}

/** Encrypt or Decrypt of `data` under the key `uid`, the key's own cryptographic parameters. */
export function cipherRequest(
  version: KmipVersion,
  operation: number,
  uid: string,
  data: Uint8Array,
  extra: TtlvItem[] = [],
): StructureItem {
  return requestMessage(version, operation, [
    textString(Tag.UniqueIdentifier, uid),
    ...extra.filter((i) => i.tag === Tag.CryptographicParameters),
    byteString(Tag.Data, data),
    ...extra.filter((i) => i.tag !== Tag.CryptographicParameters),
  ]);
}

/**
 * The payload of the single batch item of a response. Throws ScenarioSkip on Operation Not
 * Supported (the target does not serve it yet), an Error on any other failure.
 */
export function expectSuccess(response: TtlvItem, what: string): StructureItem | undefined {
  const message = parseResponseMessage(response);
  const item = message.batchItems[0];
  if (!item) throw new KryptonError('KRY_MSG_MISSING_FIELD', 'BatchItem');
  if (item.resultStatus === ResultStatus.Success) return item.payload;
  if (item.resultReason === ResultReason.OperationNotSupported)
    throw new ScenarioSkip(`answers Operation Not Supported for ${what}`);
  throw new Error(
    `${what} failed: ${reasonName(item.resultReason)}` +
      (item.resultMessage ? ` (${item.resultMessage})` : ''),
  );
}

export function uniqueIdentifierOf(payload: StructureItem | undefined, what: string): string {
  const uid = child(payload, Tag.UniqueIdentifier);
  if (uid?.type !== 'TextString') throw new Error(`${what}: no Unique Identifier in the response`);
  return uid.value;
}

function reasonName(reason: number | undefined): string {
  if (reason === undefined) return 'no result reason';
  return Object.entries(ResultReason).find(([, v]) => v === reason)?.[0] ?? `reason 0x${reason.toString(16)}`;
}

/** The Data of an Encrypt/Decrypt response payload. */
export function dataOf(payload: StructureItem | undefined): Uint8Array | undefined {
  const data = child(payload, Tag.Data);
  return data?.type === 'ByteString' ? data.value : undefined;
}

/** A Name attribute value (Uninterpreted Text String) for 2.x Attributes. */
export function nameAttribute(name: string): StructureItem {
  return structure(Tag.Name, [textString(Tag.NameValue, name), enumeration(Tag.NameType, 1)]);
}

/** A Name attribute in a 1.x Template-Attribute or Locate. */
export function nameAttribute1x(name: string): StructureItem {
  return attribute1x(
    'Name',
    structure(Tag.AttributeValue, [textString(Tag.NameValue, name), enumeration(Tag.NameType, 1)]),
  );
}

/** Locate of the objects named `name`, at most `maximumItems` of them. */
export function locateByNameRequest(
  name: string,
  maximumItems = 16,
  version: KmipVersion = '2.1',
): StructureItem {
  return requestMessage(version, Operation.Locate, [
    integer(Tag.MaximumItems, maximumItems),
    version.startsWith('2.') ? structure(Tag.Attributes, [nameAttribute(name)]) : nameAttribute1x(name),
  ]);
}

/** AES-CBC with PKCS#5 padding: the Cryptographic Parameters every KMIP server serves. */
export function cbcParameters(): StructureItem {
  return structure(Tag.CryptographicParameters, [
    enumeration(Tag.BlockCipherMode, BlockCipherMode.CBC),
    enumeration(Tag.PaddingMethod, PaddingMethod.PKCS5),
    // KMIP 1.2+; PyKMIP requires it.
    enumeration(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
  ]);
}

/** The Unique Identifiers of a Locate response payload. */
export function locatedIdentifiers(payload: StructureItem | undefined): string[] {
  return (payload?.value ?? []).flatMap((i) =>
    i.tag === Tag.UniqueIdentifier && i.type === 'TextString' ? [i.value] : [],
  );
}

/**
 * The Decrypt (2.x) that undoes an Encrypt answered with `encrypted`: its Data, and the IV and
 * Authenticated Encryption Tag the server generated (AES-GCM, the core's default mode).
 */
export function decryptRequestFor(uid: string, encrypted: StructureItem | undefined): StructureItem {
  const carried = (encrypted?.value ?? []).filter(
    (i) => i.tag === Tag.Data || i.tag === Tag.IVCounterNonce || i.tag === Tag.AuthenticatedEncryptionTag,
  );
  if (!carried.some((i) => i.tag === Tag.Data)) throw new Error('Encrypt: no Data in the response');
  return requestMessage('2.1', Operation.Decrypt, [textString(Tag.UniqueIdentifier, uid), ...carried]);
}
