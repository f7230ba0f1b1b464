/**
 * Request and Response Message model (KMIP 1.4 §6–7, KMIP 2.1 §8): typed headers and batch
 * items over payloads that stay TTLV trees (each operation plugin reads its own payload).
 */
import { KryptonError } from '../errors.js';
import { Tag, parseVersion, type KmipVersion } from '../spec/index.js';
import { boolean, byteString, dateTime, enumeration, integer, structure, textString } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { readFields } from './fields.js';

export interface ProtocolVersion {
  major: number;
  minor: number;
}

export interface RequestHeader {
  protocolVersion: ProtocolVersion;
  maximumResponseSize?: number | undefined;
  clientCorrelationValue?: string | undefined;
  serverCorrelationValue?: string | undefined;
  asynchronousIndicator?: boolean | undefined;
  attestationCapableIndicator?: boolean | undefined;
  attestationType?: number[] | undefined;
  authentication?: StructureItem[] | undefined;
  batchErrorContinuationOption?: number | undefined;
  batchOrderOption?: boolean | undefined;
  timeStamp?: bigint | undefined;
  batchCount: number;
}

export interface RequestBatchItem {
  operation: number;
  uniqueBatchItemId?: Uint8Array | undefined;
  payload: StructureItem;
  messageExtension?: StructureItem | undefined;
  ephemeral?: boolean | undefined;
}

export interface RequestMessage {
  header: RequestHeader;
  batchItems: RequestBatchItem[];
}

export interface ResponseHeader {
  protocolVersion: ProtocolVersion;
  timeStamp: bigint;
  batchCount: number;
  clientCorrelationValue?: string | undefined;
  serverCorrelationValue?: string | undefined;
  nonce?: StructureItem | undefined;
  attestationType?: number[] | undefined;
}

export interface ResponseBatchItem {
  operation?: number | undefined;
  uniqueBatchItemId?: Uint8Array | undefined;
  resultStatus: number;
  resultReason?: number | undefined;
  resultMessage?: string | undefined;
  asynchronousCorrelationValue?: Uint8Array | undefined;
  payload?: StructureItem | undefined;
  messageExtension?: StructureItem | undefined;
}

export interface ResponseMessage {
  header: ResponseHeader;
  batchItems: ResponseBatchItem[];
}

const PROTOCOL_VERSION = {
  major: { tag: Tag.ProtocolVersionMajor, type: 'Integer', required: true },
  minor: { tag: Tag.ProtocolVersionMinor, type: 'Integer', required: true },
} as const;

const REQUEST_MESSAGE = {
  header: { tag: Tag.RequestHeader, type: 'Structure', required: true },
  batchItems: { tag: Tag.BatchItem, type: 'Structure', multiple: true },
} as const;

const RESPONSE_MESSAGE = {
  header: { tag: Tag.ResponseHeader, type: 'Structure', required: true },
  batchItems: { tag: Tag.BatchItem, type: 'Structure', multiple: true },
} as const;

const REQUEST_HEADER = {
  protocolVersion: { tag: Tag.ProtocolVersion, type: 'Structure', required: true },
  maximumResponseSize: { tag: Tag.MaximumResponseSize, type: 'Integer' },
  clientCorrelationValue: { tag: Tag.ClientCorrelationValue, type: 'TextString' },
  serverCorrelationValue: { tag: Tag.ServerCorrelationValue, type: 'TextString' },
  asynchronousIndicator: { tag: Tag.AsynchronousIndicator, type: 'Boolean' },
  attestationCapableIndicator: { tag: Tag.AttestationCapableIndicator, type: 'Boolean' },
  attestationType: { tag: Tag.AttestationType, type: 'Enumeration', multiple: true },
  authentication: { tag: Tag.Authentication, type: 'Structure', multiple: true },
  batchErrorContinuationOption: { tag: Tag.BatchErrorContinuationOption, type: 'Enumeration' },
  batchOrderOption: { tag: Tag.BatchOrderOption, type: 'Boolean' },
  timeStamp: { tag: Tag.TimeStamp, type: 'DateTime' },
  batchCount: { tag: Tag.BatchCount, type: 'Integer', required: true },
} as const;

const REQUEST_BATCH_ITEM = {
  operation: { tag: Tag.Operation, type: 'Enumeration', required: true },
  uniqueBatchItemId: { tag: Tag.UniqueBatchItemID, type: 'ByteString' },
  payload: { tag: Tag.RequestPayload, type: 'Structure', required: true },
  messageExtension: { tag: Tag.MessageExtension, type: 'Structure' },
  ephemeral: { tag: Tag.Ephemeral, type: 'Boolean' },
} as const;

const RESPONSE_HEADER = {
  protocolVersion: { tag: Tag.ProtocolVersion, type: 'Structure', required: true },
  timeStamp: { tag: Tag.TimeStamp, type: 'DateTime', required: true },
  nonce: { tag: Tag.Nonce, type: 'Structure' },
  attestationType: { tag: Tag.AttestationType, type: 'Enumeration', multiple: true },
  clientCorrelationValue: { tag: Tag.ClientCorrelationValue, type: 'TextString' },
  serverCorrelationValue: { tag: Tag.ServerCorrelationValue, type: 'TextString' },
  batchCount: { tag: Tag.BatchCount, type: 'Integer', required: true },
} as const;

const RESPONSE_BATCH_ITEM = {
  operation: { tag: Tag.Operation, type: 'Enumeration' },
  uniqueBatchItemId: { tag: Tag.UniqueBatchItemID, type: 'ByteString' },
  resultStatus: { tag: Tag.ResultStatus, type: 'Enumeration', required: true },
  resultReason: { tag: Tag.ResultReason, type: 'Enumeration' },
  resultMessage: { tag: Tag.ResultMessage, type: 'TextString' },
  asynchronousCorrelationValue: { tag: Tag.AsynchronousCorrelationValue, type: 'ByteString' },
  payload: { tag: Tag.ResponsePayload, type: 'Structure' },
  messageExtension: { tag: Tag.MessageExtension, type: 'Structure' },
} as const;

function readVersion(item: StructureItem, path: string): ProtocolVersion {
  const v = readFields(item, PROTOCOL_VERSION, path);
  return { major: v.major, minor: v.minor };
}

function requireTag(item: TtlvItem, tag: number, name: string): void {
  if (item.tag !== tag) throw new KryptonError('KRY_MSG_INVALID', `expected a ${name}`, { field: name });
}

/** The header's protocol version as a supported KmipVersion, or undefined. */
export function versionOf(v: ProtocolVersion): KmipVersion | undefined {
  return parseVersion(v.major, v.minor);
}

/**
 * Reads a Request Message. Header fields are checked strictly; Batch Count must equal the
 * number of batch items (KMIP 1.4 §6.14).
 */
export function parseRequestMessage(item: TtlvItem): RequestMessage {
  requireTag(item, Tag.RequestMessage, 'RequestMessage');
  const m = readFields(item, REQUEST_MESSAGE, 'RequestMessage');
  const h = readFields(m.header, REQUEST_HEADER, 'RequestMessage/RequestHeader');
  // Field by field, absent fields left out: no spread then `delete`, which turns the header into a
  // slow dictionary-mode object for everything that reads it afterwards.
  const header: RequestHeader = {
    protocolVersion: readVersion(h.protocolVersion, 'RequestMessage/RequestHeader/ProtocolVersion'),
    batchCount: h.batchCount,
  };
  if (h.maximumResponseSize !== undefined) header.maximumResponseSize = h.maximumResponseSize;
  if (h.clientCorrelationValue !== undefined) header.clientCorrelationValue = h.clientCorrelationValue;
  if (h.serverCorrelationValue !== undefined) header.serverCorrelationValue = h.serverCorrelationValue;
  if (h.asynchronousIndicator !== undefined) header.asynchronousIndicator = h.asynchronousIndicator;
  if (h.attestationCapableIndicator !== undefined)
    header.attestationCapableIndicator = h.attestationCapableIndicator;
  if (h.attestationType.length > 0) header.attestationType = h.attestationType;
  if (h.authentication.length > 0) header.authentication = h.authentication;
  if (h.batchErrorContinuationOption !== undefined)
    header.batchErrorContinuationOption = h.batchErrorContinuationOption;
  if (h.batchOrderOption !== undefined) header.batchOrderOption = h.batchOrderOption;
  if (h.timeStamp !== undefined) header.timeStamp = h.timeStamp;
  const batchItems = m.batchItems.map((b, i) => {
    const f = readFields(b, REQUEST_BATCH_ITEM, `RequestMessage/BatchItem[${i}]`);
    return f as RequestBatchItem;
  });
  if (batchItems.length === 0)
    throw new KryptonError('KRY_MSG_MISSING_FIELD', 'RequestMessage/BatchItem', {
      field: 'RequestMessage/BatchItem',
    });
  if (header.batchCount !== batchItems.length) {
    throw new KryptonError(
      'KRY_MSG_INVALID',
      `Batch Count ${header.batchCount} but ${batchItems.length} batch items`,
      {
        field: 'RequestMessage/RequestHeader/BatchCount',
      },
    );
  }
  return { header, batchItems };
}

/** Reads a Response Message (client side). */
export function parseResponseMessage(item: TtlvItem): ResponseMessage {
  requireTag(item, Tag.ResponseMessage, 'ResponseMessage');
  const m = readFields(item, RESPONSE_MESSAGE, 'ResponseMessage');
  const h = readFields(m.header, RESPONSE_HEADER, 'ResponseMessage/ResponseHeader');
  const header: ResponseHeader = {
    protocolVersion: readVersion(h.protocolVersion, 'ResponseMessage/ResponseHeader/ProtocolVersion'),
    timeStamp: h.timeStamp,
    batchCount: h.batchCount,
  };
  if (h.nonce !== undefined) header.nonce = h.nonce;
  if (h.attestationType.length > 0) header.attestationType = h.attestationType;
  if (h.clientCorrelationValue !== undefined) header.clientCorrelationValue = h.clientCorrelationValue;
  if (h.serverCorrelationValue !== undefined) header.serverCorrelationValue = h.serverCorrelationValue;
  const batchItems = m.batchItems.map(
    (b, i) =>
      readFields(b, RESPONSE_BATCH_ITEM, `ResponseMessage/BatchItem[${i}]`, false) as ResponseBatchItem,
  );
  if (header.batchCount !== batchItems.length) {
    throw new KryptonError(
      'KRY_MSG_INVALID',
      `Batch Count ${header.batchCount} but ${batchItems.length} batch items`,
      {
        field: 'ResponseMessage/ResponseHeader/BatchCount',
      },
    );
  }
  return { header, batchItems };
}

function versionItem(v: ProtocolVersion): StructureItem {
  return structure(Tag.ProtocolVersion, [
    integer(Tag.ProtocolVersionMajor, v.major),
    integer(Tag.ProtocolVersionMinor, v.minor),
  ]);
}

/** Builds the TTLV tree of a Response Message, fields in the order of the specification. */
export function encodeResponseMessage(resp: ResponseMessage): StructureItem {
  const h = resp.header;
  const header: TtlvItem[] = [versionItem(h.protocolVersion), dateTime(Tag.TimeStamp, h.timeStamp)];
  if (h.nonce) header.push(h.nonce);
  for (const a of h.attestationType ?? []) header.push(enumeration(Tag.AttestationType, a));
  if (h.clientCorrelationValue !== undefined)
    header.push(textString(Tag.ClientCorrelationValue, h.clientCorrelationValue));
  if (h.serverCorrelationValue !== undefined)
    header.push(textString(Tag.ServerCorrelationValue, h.serverCorrelationValue));
  header.push(integer(Tag.BatchCount, h.batchCount));
  const items: TtlvItem[] = [structure(Tag.ResponseHeader, header)];
  for (const b of resp.batchItems) {
    const fields: TtlvItem[] = [];
    if (b.operation !== undefined) fields.push(enumeration(Tag.Operation, b.operation));
    if (b.uniqueBatchItemId !== undefined)
      fields.push(byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId));
    fields.push(enumeration(Tag.ResultStatus, b.resultStatus));
    if (b.resultReason !== undefined) fields.push(enumeration(Tag.ResultReason, b.resultReason));
    if (b.resultMessage !== undefined) fields.push(textString(Tag.ResultMessage, b.resultMessage));
    if (b.asynchronousCorrelationValue !== undefined) {
      fields.push(byteString(Tag.AsynchronousCorrelationValue, b.asynchronousCorrelationValue));
    }
    if (b.payload) fields.push(b.payload);
    if (b.messageExtension) fields.push(b.messageExtension);
    items.push(structure(Tag.BatchItem, fields));
  }
  return structure(Tag.ResponseMessage, items);
}

/** Builds the TTLV tree of a Request Message (client side). */
export function encodeRequestMessage(req: RequestMessage): StructureItem {
  const h = req.header;
  const header: TtlvItem[] = [versionItem(h.protocolVersion)];
  if (h.maximumResponseSize !== undefined)
    header.push(integer(Tag.MaximumResponseSize, h.maximumResponseSize));
  if (h.clientCorrelationValue !== undefined)
    header.push(textString(Tag.ClientCorrelationValue, h.clientCorrelationValue));
  if (h.serverCorrelationValue !== undefined)
    header.push(textString(Tag.ServerCorrelationValue, h.serverCorrelationValue));
  if (h.asynchronousIndicator !== undefined)
    header.push(boolean(Tag.AsynchronousIndicator, h.asynchronousIndicator));
  if (h.attestationCapableIndicator !== undefined) {
    header.push(boolean(Tag.AttestationCapableIndicator, h.attestationCapableIndicator));
  }
  for (const a of h.attestationType ?? []) header.push(enumeration(Tag.AttestationType, a));
  for (const a of h.authentication ?? []) header.push(a);
  if (h.batchErrorContinuationOption !== undefined) {
    header.push(enumeration(Tag.BatchErrorContinuationOption, h.batchErrorContinuationOption));
  }
  if (h.batchOrderOption !== undefined) header.push(boolean(Tag.BatchOrderOption, h.batchOrderOption));
  if (h.timeStamp !== undefined) header.push(dateTime(Tag.TimeStamp, h.timeStamp));
  header.push(integer(Tag.BatchCount, h.batchCount));
  const items: TtlvItem[] = [structure(Tag.RequestHeader, header)];
  for (const b of req.batchItems) {
    const fields: TtlvItem[] = [enumeration(Tag.Operation, b.operation)];
    if (b.ephemeral !== undefined) fields.push(boolean(Tag.Ephemeral, b.ephemeral));
    if (b.uniqueBatchItemId !== undefined)
      fields.push(byteString(Tag.UniqueBatchItemID, b.uniqueBatchItemId));
    fields.push(b.payload);
    if (b.messageExtension) fields.push(b.messageExtension);
    items.push(structure(Tag.BatchItem, fields));
  }
  return structure(Tag.RequestMessage, items);
}
