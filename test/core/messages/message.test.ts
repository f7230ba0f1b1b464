import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KryptonError } from '../../../core/errors.js';
import {
  encodeRequestMessage,
  encodeResponseMessage,
  parseRequestMessage,
  parseResponseMessage,
  versionOf,
  type RequestMessage,
} from '../../../core/messages/index.js';
import { Operation, QueryFunction, ResultReason, ResultStatus, Tag } from '../../../core/spec/index.js';
import {
  decodeTtlv,
  encodeTtlv,
  enumeration,
  integer,
  structure,
  textString,
  type StructureItem,
} from '../../../core/ttlv/index.js';

const query: RequestMessage = {
  header: { protocolVersion: { major: 2, minor: 1 }, maximumResponseSize: 4096, batchCount: 2 },
  batchItems: [
    {
      operation: Operation.Query,
      uniqueBatchItemId: new Uint8Array([1]),
      payload: structure(Tag.RequestPayload, [enumeration(Tag.QueryFunction, QueryFunction.QueryOperations)]),
    },
    {
      operation: Operation.DiscoverVersions,
      uniqueBatchItemId: new Uint8Array([2]),
      payload: structure(Tag.RequestPayload, []),
    },
  ],
};

function rejects(item: StructureItem, code: string, field?: RegExp): void {
  assert.throws(
    () => parseRequestMessage(item),
    (e: unknown) => e instanceof KryptonError && e.code === code && (!field || field.test(e.field ?? '')),
    `expected ${code}`,
  );
}

test('request-message-survives-encode-ttlv-and-parse', () => {
  const parsed = parseRequestMessage(decodeTtlv(encodeTtlv(encodeRequestMessage(query))));
  assert.deepEqual(parsed.header, query.header);
  assert.equal(parsed.batchItems.length, 2);
  assert.equal(parsed.batchItems[0]!.operation, Operation.Query);
  assert.deepEqual(parsed.batchItems[1]!.uniqueBatchItemId, new Uint8Array([2]));
  assert.equal(versionOf(parsed.header.protocolVersion), '2.1');
  assert.equal(versionOf({ major: 3, minor: 0 }), undefined);
});

test('batch-count-must-match-the-batch-items', () => {
  const tree = encodeRequestMessage({ ...query, header: { ...query.header, batchCount: 3 } });
  rejects(tree, 'KRY_MSG_INVALID', /BatchCount/);
});

test('header-errors-name-the-offending-field', () => {
  const good = encodeRequestMessage(query);
  const header = good.value[0] as StructureItem;
  const withHeader = (fields: StructureItem['value']): StructureItem =>
    structure(Tag.RequestMessage, [structure(Tag.RequestHeader, fields), ...good.value.slice(1)]);
  // missing Batch Count
  rejects(
    withHeader(header.value.filter((i) => i.tag !== Tag.BatchCount)),
    'KRY_MSG_MISSING_FIELD',
    /RequestHeader\/BatchCount$/,
  );
  // Batch Count repeated
  rejects(withHeader([...header.value, integer(Tag.BatchCount, 2)]), 'KRY_MSG_REPEATED_FIELD', /BatchCount/);
  // wrong type for a known tag
  rejects(
    withHeader(header.value.map((i) => (i.tag === Tag.BatchCount ? textString(Tag.BatchCount, '2') : i))),
    'KRY_MSG_WRONG_TYPE',
    /BatchCount/,
  );
  // unexpected tag in the header
  rejects(
    withHeader([...header.value, integer(Tag.CryptographicLength, 1)]),
    'KRY_MSG_UNEXPECTED_FIELD',
    /CryptographicLength/,
  );
  // no batch items at all
  rejects(structure(Tag.RequestMessage, [header]), 'KRY_MSG_MISSING_FIELD', /BatchItem/);
  // not a Request Message
  rejects(structure(Tag.ResponseMessage, []), 'KRY_MSG_INVALID');
});

test('batch-item-without-operation-or-payload-is-refused', () => {
  const good = encodeRequestMessage({
    ...query,
    header: { ...query.header, batchCount: 1 },
    batchItems: [query.batchItems[0]!],
  });
  const item = good.value[1] as StructureItem;
  const noOp = structure(
    Tag.BatchItem,
    item.value.filter((i) => i.tag !== Tag.Operation),
  );
  rejects(
    structure(Tag.RequestMessage, [good.value[0]!, noOp]),
    'KRY_MSG_MISSING_FIELD',
    /BatchItem\[0\]\/Operation/,
  );
});

test('response-message-encodes-fields-in-spec-order-and-parses-back', () => {
  const tree = encodeResponseMessage({
    header: { protocolVersion: { major: 1, minor: 4 }, timeStamp: 1_700_000_000n, batchCount: 1 },
    batchItems: [
      {
        operation: Operation.Get,
        resultStatus: ResultStatus.OperationFailed,
        resultReason: ResultReason.ItemNotFound,
        resultMessage: 'object not found',
      },
    ],
  });
  const batchItem = tree.value[1] as StructureItem;
  assert.deepEqual(
    batchItem.value.map((i) => i.tag),
    [Tag.Operation, Tag.ResultStatus, Tag.ResultReason, Tag.ResultMessage],
  );
  const parsed = parseResponseMessage(decodeTtlv(encodeTtlv(tree)));
  assert.equal(parsed.batchItems[0]!.resultReason, ResultReason.ItemNotFound);
  assert.equal(parsed.header.timeStamp, 1_700_000_000n);
});
