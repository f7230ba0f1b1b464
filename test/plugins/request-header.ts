/**
 * Requests with header options the core-operation harness does not set: the Asynchronous
 * Indicator (1.x Boolean) and Batch Error Continuation Option Continue.
 */
import type { Identity } from '../../core/auth/identity.js';
import { parseResponseMessage } from '../../core/messages/index.js';
import {
  BatchErrorContinuationOption,
  Operation,
  Tag,
  enumForTag,
  type KmipVersion,
} from '../../core/spec/index.js';
import { boolean, enumeration, integer, structure } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import type { CallResult, CoreHarness } from './support.js';

export interface HeaderOptions {
  readonly asynchronous?: boolean;
  readonly continueOnError?: boolean;
}

export async function batchWith(
  h: CoreHarness,
  who: Identity,
  version: KmipVersion,
  entries: [keyof typeof Operation, TtlvItem[]][],
  options: HeaderOptions,
): Promise<CallResult[]> {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const request = structure(Tag.RequestMessage, [
    structure(Tag.RequestHeader, [
      structure(Tag.ProtocolVersion, [
        integer(Tag.ProtocolVersionMajor, major),
        integer(Tag.ProtocolVersionMinor, minor),
      ]),
      ...(options.asynchronous ? [boolean(Tag.AsynchronousIndicator, true)] : []),
      ...(options.continueOnError
        ? [enumeration(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Continue)]
        : []),
      integer(Tag.BatchCount, entries.length),
    ]),
    ...entries.map(([op, payload], i) =>
      structure(Tag.BatchItem, [
        enumeration(Tag.Operation, Operation[op]),
        ...(entries.length > 1
          ? [{ tag: Tag.UniqueBatchItemID, type: 'ByteString' as const, value: new Uint8Array([i]) }]
          : []),
        structure(Tag.RequestPayload, payload),
      ]),
    ),
  ]);
  const { response } = await h.dispatcher.dispatch(request, {
    transport: 'in-process',
    remoteAddress: '127.0.0.1',
    peerIdentity: who,
  });
  return parseResponseMessage(response).batchItems.map((item) => ({
    ...item,
    ...(item.resultReason !== undefined && {
      reasonName: enumForTag(Tag.ResultReason)?.name(item.resultReason, version) ?? String(item.resultReason),
    }),
  }));
}
