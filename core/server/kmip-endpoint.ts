/**
 * One KMIP message in any encoding → the dispatcher → the answer in the same encoding.
 * Shared by the TTLV/TLS listener and `POST /kmip`, so every transport answers alike.
 */
import { decodeKmipJson, decodeKmipXml, encodeKmipJson, encodeKmipXml } from '../encodings/index.js';
import { KryptonError } from '../errors.js';
import { decodeTtlv } from '../ttlv/decoder.js';
import type { TtlvItem } from '../ttlv/types.js';
import { structure } from '../ttlv/tree.js';
import { Tag } from '../spec/index.js';
import type { Dispatcher, DispatchResult, RequestOrigin } from '../dispatch/dispatcher.js';
import type { KmipEncoding } from './https-app.js';

export interface EndpointOptions {
  dispatcher: Dispatcher;
  maxDepth: number;
}

export function decodeMessage(body: Buffer | string, encoding: KmipEncoding, maxDepth: number): TtlvItem {
  switch (encoding) {
    case 'ttlv':
      return decodeTtlv(typeof body === 'string' ? Buffer.from(body, 'binary') : body, { maxDepth });
    case 'json':
      return decodeKmipJson(body.toString(), { maxDepth });
    case 'xml':
      return decodeKmipXml(body.toString(), { maxDepth });
  }
}

export function encodeAnswer(result: DispatchResult, encoding: KmipEncoding): Buffer | string {
  switch (encoding) {
    case 'ttlv':
      return result.ttlv;
    case 'json':
      return encodeKmipJson(result.response, { version: result.version });
    case 'xml':
      return encodeKmipXml(result.response, { version: result.version });
  }
}

/** Undecodable: the dispatcher still answers (Invalid Message) in a version the client reads. */
async function answerUndecodable(
  opts: EndpointOptions,
  err: unknown,
  encoding: KmipEncoding,
): Promise<Buffer | string> {
  const coded = err instanceof KryptonError ? err : new KryptonError('KRY_MSG_INVALID');
  return encodeAnswer(
    opts.dispatcher.dispatchUndecodable(structure(Tag.RequestMessage, []), coded),
    encoding,
  );
}

export function handleKmipMessage(
  opts: EndpointOptions,
  body: Buffer | string,
  encoding: KmipEncoding,
  origin: RequestOrigin,
): Promise<Buffer | string> {
  let request: TtlvItem;
  try {
    request = decodeMessage(body, encoding, opts.maxDepth);
  } catch (err) {
    return answerUndecodable(opts, err, encoding);
  }
  // A continuation, not an async function: the answer is one promise reaction after the
  // dispatcher's, with no suspended frame to resume.
  return opts.dispatcher.dispatch(request, origin).then((result) => encodeAnswer(result, encoding));
}
