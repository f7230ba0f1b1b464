/**
 * Replays OASIS KMIP test-case files (KMIP Profiles 1.0–2.1, "Test Cases" XML) against a live
 * server and compares each response with the published one, allowing exactly the "Permitted
 * Test Case Variations" of the Profiles documents (KMIP Profiles 2.1 §5.2, KMIP Additional
 * Message Encodings 1.0 §8.4):
 *
 * - server-chosen identifiers (`$UNIQUE_IDENTIFIER_n` bound at first appearance in a response
 *   and substituted into later requests; literal identifiers accepted as any text),
 * - TimeStamp and every date the server sets, `$NOW` in responses; `$NOW±N` in requests is the
 *   real time ± N seconds,
 * - key material, Digest and crypto output of server-generated keys or of inherently variable
 *   operations (a server-chosen IV), `$KEY_MATERIAL_n`, `$IV_COUNTER_NONCE` … bound like
 *   identifiers,
 * - extra attributes (attribute lists compared as a subset, in any order), an optional
 *   TemplateAttribute, Attribute Index 0, Result Message text, Vendor Identification,
 * - extra Query results (the listed operations and object types must be reported; other Query
 *   information is the server's own),
 * - extra protocol versions in a Discover Versions answer to an empty offer.
 *
 * It knows nothing about Krypton's server: it needs only a KmipClient, so `krypton conformance`
 * runs it against any KMIP server.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeKmipXmlMessages } from '../encodings/index.js';
import { KryptonError } from '../errors.js';
import {
  KMIP_VERSIONS,
  Tag,
  enumForTag,
  operationByCode,
  parseVersion,
  tagName,
  type KmipVersion,
} from '../spec/index.js';
import { encodeTtlv } from '../ttlv/encoder.js';
import { child, children } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import type { KmipClient } from './client.js';

// ---- reading a test-case file ---------------------------------------------------------------

/** DateTime placeholders decode to sentinels below this value (no real KMIP date is that early). */
const DATE_SENTINEL_BASE = -(1n << 62n);
/** Byte String placeholders decode to these bytes followed by the placeholder's name. */
const BYTES_SENTINEL = Buffer.from('\u0000krypton-placeholder:', 'utf8');

export interface TestCaseStep {
  request: StructureItem;
  response: StructureItem;
}

export interface TestCase {
  path: string;
  /** File name without `.xml`, e.g. `SKLC-M-1-21`. */
  name: string;
  /** Profile family: the name without its number and version (`SKLC-M`, `CS-BC-M-GCM`, `TL-M`). */
  family: string;
  /** Protocol version of the first request. */
  version: KmipVersion | undefined;
  steps: TestCaseStep[];
  /** Operations of the requests, in order of first use (CamelCase). */
  operations: string[];
  /** Object types named anywhere in the requests. */
  objectTypes: string[];
  /** Cryptographic algorithms named in the requests (2.x tags and 1.x Attribute values). */
  algorithms: string[];
  dateTokens: string[];
}

function familyOf(name: string): string {
  // SKLC-M-1-21 → SKLC-M; CS-BC-M-GCM-1-14 → CS-BC-M-GCM; AKLC-O-1-10 → AKLC-O
  return name.replace(/-\d+-\d+$/, '');
}

function walk(item: TtlvItem, visit: (item: TtlvItem) => void): void {
  visit(item);
  if (item.type === 'Structure') for (const c of item.value) walk(c, visit);
}

/** Reads an OASIS test-case file (`<KMIP>` or `<KmipTestCase>` holding Request/Response pairs). */
export function readTestCase(path: string, text: string = readFileSync(path, 'utf8')): TestCase {
  const dateTokens: string[] = [];
  const messages = decodeKmipXmlMessages(text, {
    placeholders: (token, type) => {
      if (type === 'DateTime' || type === 'DateTimeExtended') {
        dateTokens.push(token);
        return DATE_SENTINEL_BASE - BigInt(dateTokens.length - 1);
      }
      if (type === 'ByteString')
        return new Uint8Array(Buffer.concat([BYTES_SENTINEL, Buffer.from(token, 'utf8')]));
      return undefined;
    },
  });
  const steps: TestCaseStep[] = [];
  for (let i = 0; i < messages.length; i += 2) {
    const request = messages[i];
    const response = messages[i + 1];
    if (request?.tag !== Tag.RequestMessage || request.type !== 'Structure') {
      throw new KryptonError('KRY_CONFORMANCE_BAD_CASE', `message ${i} is not a RequestMessage`);
    }
    if (response?.tag !== Tag.ResponseMessage || response.type !== 'Structure') {
      throw new KryptonError('KRY_CONFORMANCE_BAD_CASE', `request ${i / 2} has no ResponseMessage`);
    }
    steps.push({ request, response });
  }
  if (steps.length === 0) throw new KryptonError('KRY_CONFORMANCE_BAD_CASE', 'no request messages');
  const operations: string[] = [];
  const objectTypes: string[] = [];
  const algorithms: string[] = [];
  const objectTypeEnum = enumForTag(Tag.ObjectType);
  const algorithmEnum = enumForTag(Tag.CryptographicAlgorithm);
  const addAlgorithm = (value: number) => {
    const name = algorithmEnum?.name(value) ?? String(value);
    if (!algorithms.includes(name)) algorithms.push(name);
  };
  for (const { request } of steps) {
    for (const bi of children(request, Tag.BatchItem)) {
      const op = child(bi, Tag.Operation);
      if (op?.type === 'Enumeration') {
        const name = operationByCode(op.value)?.camel ?? `0x${op.value.toString(16).padStart(8, '0')}`;
        if (!operations.includes(name)) operations.push(name);
      }
      walk(bi, (it) => {
        if (it.tag === Tag.ObjectType && it.type === 'Enumeration') {
          const name = objectTypeEnum?.name(it.value) ?? String(it.value);
          if (!objectTypes.includes(name)) objectTypes.push(name);
        }
        if (it.tag === Tag.CryptographicAlgorithm && it.type === 'Enumeration') addAlgorithm(it.value);
        if (it.tag === Tag.Attribute && it.type === 'Structure') {
          const n = child(it, Tag.AttributeName);
          const v = child(it, Tag.AttributeValue);
          if (n?.type === 'TextString' && v?.type === 'Enumeration') {
            if (n.value === 'Cryptographic Algorithm') addAlgorithm(v.value);
            if (n.value === 'Object Type') {
              const name = objectTypeEnum?.name(v.value) ?? String(v.value);
              if (!objectTypes.includes(name)) objectTypes.push(name);
            }
          }
        }
      });
    }
  }
  const pv = child(child(steps[0]!.request, Tag.RequestHeader), Tag.ProtocolVersion);
  const major = child(pv, Tag.ProtocolVersionMajor);
  const minor = child(pv, Tag.ProtocolVersionMinor);
  const version =
    major?.type === 'Integer' && minor?.type === 'Integer'
      ? parseVersion(major.value, minor.value)
      : undefined;
  const name = basename(path).replace(/\.xml$/i, '');
  return {
    path,
    name,
    family: familyOf(name),
    version,
    steps,
    operations,
    objectTypes,
    algorithms,
    dateTokens,
  };
}

/**
 * Reads a test case kept as one file per message (`0-request.xml`, `0-response.xml`, …), the
 * layout of the KMIP Additional Message Encodings cases.
 */
export function readTestCaseDir(dir: string, files: readonly string[]): TestCase {
  const steps = files
    .filter((f) => /^\d+-request\.xml$/.test(f))
    .map((f) => Number.parseInt(f, 10))
    .sort((a, b) => a - b);
  const strip = (t: string) => t.replace(/^\s*<\?xml[^>]*\?>/, '');
  const body = steps
    .map(
      (n) =>
        strip(readFileSync(join(dir, `${n}-request.xml`), 'utf8')) +
        strip(readFileSync(join(dir, `${n}-response.xml`), 'utf8')),
    )
    .join('\n');
  return readTestCase(dir, `<KMIP>${body}</KMIP>`);
}

// ---- what the server offers -----------------------------------------------------------------

export interface ServerCapabilities {
  versions: KmipVersion[];
  /** Per protocol version: operations and object types reported by Query in that version. */
  operations: Map<KmipVersion, Set<string>>;
  objectTypes: Map<KmipVersion, Set<string>>;
}

/** Asks the server what it speaks (Discover Versions) and offers in each version (Query). */
export async function serverCapabilities(client: KmipClient): Promise<ServerCapabilities> {
  let versions: KmipVersion[];
  try {
    versions = await client.discoverVersions([], { version: '1.1' });
  } catch {
    versions = ['1.0']; // KMIP 1.0 has no Discover Versions
  }
  const operations = new Map<KmipVersion, Set<string>>();
  const objectTypes = new Map<KmipVersion, Set<string>>();
  for (const version of versions) {
    try {
      const q = await client.queryServer(['QueryOperations', 'QueryObjects'], { version });
      operations.set(version, new Set(q.operations));
      objectTypes.set(version, new Set(q.objectTypes));
    } catch {
      operations.set(version, new Set());
      objectTypes.set(version, new Set());
    }
  }
  return { versions, operations, objectTypes };
}

/**
 * Families whose Query answers are examples rather than requirements: they list server-to-client
 * operations (Notify, Put: KMIP 1.4 §5) that no server reports, and their profiles require no
 * operation beyond Query (KMIP Additional Message Encodings §8.4.1, "Operation Types reported in
 * Query other than those noted as required in this profile").
 */
const QUERY_LISTS_ILLUSTRATIVE = /^(MSGENC-(HTTPS|JSON|XML)-M|SUITEB_(128|192)-M)$/;

function expectedQueryLists(tc: TestCase): { operations: Set<string>; objectTypes: Set<string> } {
  const operations = new Set<string>();
  const objectTypes = new Set<string>();
  if (QUERY_LISTS_ILLUSTRATIVE.test(tc.family)) return { operations, objectTypes };
  for (const { request, response } of tc.steps) {
    const reqItems = children(request, Tag.BatchItem);
    children(response, Tag.BatchItem).forEach((bi, i) => {
      const op = child(bi, Tag.Operation) ?? child(reqItems[i], Tag.Operation);
      if (op?.type !== 'Enumeration' || operationByCode(op.value)?.camel !== 'Query') return;
      const payload = child(bi, Tag.ResponsePayload);
      for (const o of children(payload, Tag.Operation))
        if (o.type === 'Enumeration') operations.add(operationByCode(o.value)?.camel ?? String(o.value));
      for (const o of children(payload, Tag.ObjectType))
        if (o.type === 'Enumeration')
          objectTypes.add(enumForTag(Tag.ObjectType)?.name(o.value) ?? String(o.value));
    });
  }
  return { operations, objectTypes };
}

/** Why a file cannot pass on this server before running it, or undefined. */
export function missingCapabilities(tc: TestCase, caps: ServerCapabilities): string | undefined {
  if (!tc.version) return 'unknown protocol version';
  if (!caps.versions.includes(tc.version)) return `server does not speak KMIP ${tc.version}`;
  const ops = caps.operations.get(tc.version) ?? new Set<string>();
  const objs = caps.objectTypes.get(tc.version) ?? new Set<string>();
  // Discover Versions and Query exist since 1.0/1.1 and some servers leave them out of Query.
  const needOps = tc.operations.filter((o) => !ops.has(o) && !(o === 'DiscoverVersions' && ops.has('Query')));
  if (needOps.length) return `needs operation ${needOps.join(', ')} (not offered by the server)`;
  const needObjs = tc.objectTypes.filter((o) => !objs.has(o));
  if (needObjs.length) return `needs object type ${needObjs.join(', ')} (not offered by the server)`;
  const listed = expectedQueryLists(tc);
  const unlistedOps = [...listed.operations].filter((o) => !ops.has(o));
  if (unlistedOps.length)
    return `Query must report operations the server does not offer: ${unlistedOps.join(', ')}`;
  const unlistedObjs = [...listed.objectTypes].filter((o) => !objs.has(o));
  if (unlistedObjs.length)
    return `Query must report object types the server does not offer: ${unlistedObjs.join(', ')}`;
  return undefined;
}

// ---- replay ---------------------------------------------------------------------------------

export interface FileOutcome {
  file: string;
  name: string;
  family: string;
  version: KmipVersion | undefined;
  status: 'pass' | 'fail' | 'skip';
  /** Skip reason, or the first difference of a failure. */
  reason?: string;
  /** Zero-based request number of the first difference. */
  step?: number;
}

interface ReplayState {
  /** `$UNIQUE_IDENTIFIER_0`, `$IV_COUNTER_NONCE` … → the value the server produced. */
  bindings: Map<string, TtlvItem['value']>;
  /** Identifiers of objects the server generated (Create, Create Key Pair, Re-key …). */
  generated: Set<string>;
  /** The ID placeholder's value as far as the harness can tell (KMIP 1.4 §4). */
  lastId: string | undefined;
  /** Keys whose registered or created attributes name a randomised scheme (PSS, ECDSA, DSA). */
  randomised: Set<string>;
  /**
   * The value of each field in the latest response, by tag: a request placeholder that no
   * response bound (the published response held the reference server's literal output, e.g.
   * `$DATA_0` after a literal ciphertext) takes what this server returned in that field.
   */
  lastReturned: Map<number, TtlvItem['value']>;
  now: bigint;
}

const GENERATING = new Set([
  'Create',
  'CreateKeyPair',
  'ReKey',
  'ReKeyKeyPair',
  'DeriveKey',
  'CreateSplitKey',
  'JoinSplitKey',
]);

/** Operations whose request attributes stay with the object they make. */
const KEEPS_PARAMETERS = new Set(['Register', 'Create', 'CreateKeyPair']);

function dateToken(value: bigint, tokens: string[]): string | undefined {
  if (value > DATE_SENTINEL_BASE) return undefined;
  return tokens[Number(DATE_SENTINEL_BASE - value)];
}

function bytesToken(value: Uint8Array): string | undefined {
  const b = Buffer.from(value);
  if (b.length <= BYTES_SENTINEL.length || !b.subarray(0, BYTES_SENTINEL.length).equals(BYTES_SENTINEL))
    return undefined;
  return b.subarray(BYTES_SENTINEL.length).toString('utf8');
}

const PLACEHOLDER_TEXT = /^\$[A-Z][A-Z0-9_]*$/;

class Unbound extends Error {}

/** An unbound placeholder bound to what the server last returned in the same field. */
function returnedEarlier(item: TtlvItem, token: string, state: ReplayState): TtlvItem['value'] | undefined {
  const value = state.lastReturned.get(item.tag);
  if (value === undefined || typeof value !== typeof item.value) return undefined;
  if (item.type === 'ByteString' && !(value instanceof Uint8Array)) return undefined;
  state.bindings.set(token, value);
  return value;
}

/** The request with placeholders replaced: bound values, and `$NOW±N` as real time. */
function substitute(item: TtlvItem, state: ReplayState, tokens: string[]): TtlvItem {
  switch (item.type) {
    case 'Structure':
      return { ...item, value: item.value.map((c) => substitute(c, state, tokens)) };
    case 'TextString': {
      if (!PLACEHOLDER_TEXT.test(item.value)) return item;
      const bound = state.bindings.get(item.value) ?? returnedEarlier(item, item.value, state);
      if (typeof bound !== 'string') throw new Unbound(item.value);
      return { ...item, value: bound };
    }
    case 'DateTime':
    case 'DateTimeExtended': {
      const token = dateToken(item.value, tokens);
      if (token === undefined) return item;
      const m = /^\$NOW(?:([+-])(\d+))?$/.exec(token);
      if (!m) throw new Unbound(token);
      const delta = m[2] ? BigInt(m[2]) * (m[1] === '-' ? -1n : 1n) : 0n;
      const seconds = state.now + delta;
      return { ...item, value: item.type === 'DateTime' ? seconds : seconds * 1_000_000n };
    }
    case 'ByteString': {
      const token = bytesToken(item.value);
      if (token === undefined) return item;
      const bound = state.bindings.get(token) ?? returnedEarlier(item, token, state);
      if (!(bound instanceof Uint8Array)) throw new Unbound(token);
      return { ...item, value: bound };
    }
    default:
      return item;
  }
}

/** Dates a server sets itself (Permitted Test Case Variations, "DateTime attributes"). */
const SERVER_DATES = new Set<number>([
  Tag.TimeStamp,
  Tag.ActivationDate,
  Tag.ArchiveDate,
  Tag.CompromiseDate,
  Tag.CompromiseOccurrenceDate,
  Tag.DeactivationDate,
  Tag.DestroyDate,
  Tag.InitialDate,
  Tag.LastChangeDate,
  Tag.ProtectStopDate,
  Tag.ProcessStartDate,
  Tag.ValidityDate,
  Tag.OriginalCreationDate,
]);
const SERVER_DATE_NAMES = new Set(
  [...SERVER_DATES].map((t) => (tagName(t) ?? '').replace(/([a-z])([A-Z])/g, '$1 $2')),
);

const IDENTIFIERS = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.PrivateKeyUniqueIdentifier,
  Tag.PublicKeyUniqueIdentifier,
  Tag.LinkedObjectIdentifier,
  Tag.AsynchronousCorrelationValue,
]);
const CRYPTO_OUTPUT = new Set<number>([
  Tag.Data,
  Tag.SignatureData,
  Tag.MACData,
  Tag.IVCounterNonce,
  Tag.AuthenticatedEncryptionTag,
]);

interface CompareContext {
  tokens: string[];
  operation: string | undefined;
  /** Key material and crypto output may vary (server-generated key or variable operation). */
  variableOutput: boolean;
  /** Discover Versions with an empty offer may list more versions. */
  openVersionList: boolean;
  family: string;
  /** Name of the 1.x Attribute whose AttributeValue is being compared. */
  attributeName?: string;
  /** A Get without Key Format Type: the server picks the format of generated keys. */
  serverFormat: boolean;
}

function nameOf(tag: number): string {
  return tagName(tag) ?? `0x${tag.toString(16)}`;
}

function show(item: TtlvItem): string {
  switch (item.type) {
    case 'Structure':
      return `${nameOf(item.tag)}{…}`;
    case 'Enumeration':
      return enumForTag(item.tag)?.name(item.value) ?? `0x${item.value.toString(16)}`;
    case 'ByteString':
      // Never print key bytes: a length and a short prefix-free fingerprint is enough to compare.
      return `${item.value.length} bytes`;
    case 'TextString':
      return JSON.stringify(item.value.length > 60 ? item.value.slice(0, 60) + '…' : item.value);
    default:
      return String(item.value);
  }
}

type Bindings = Map<string, TtlvItem['value']>;

function bindOrCompare(
  token: string,
  actual: TtlvItem,
  bindings: Bindings,
  path: string,
): string | undefined {
  if (!bindings.has(token)) {
    bindings.set(token, actual.value);
    return undefined;
  }
  const bound = bindings.get(token);
  const same =
    bound instanceof Uint8Array && actual.value instanceof Uint8Array
      ? Buffer.from(bound).equals(Buffer.from(actual.value))
      : bound === actual.value;
  return same
    ? undefined
    : `${path}: ${token} was ${show({ ...actual, value: bound } as TtlvItem)}, now ${show(actual)}`;
}

function compareLeaf(
  e: TtlvItem,
  a: TtlvItem,
  ctx: CompareContext,
  bindings: Bindings,
  path: string,
): string | undefined {
  if (e.type === 'TextString' && PLACEHOLDER_TEXT.test(e.value))
    return bindOrCompare(e.value, a, bindings, path);
  if (
    (e.type === 'DateTime' || e.type === 'DateTimeExtended') &&
    dateToken(e.value, ctx.tokens) !== undefined
  )
    return undefined;
  if (e.type === 'ByteString') {
    const token = bytesToken(e.value);
    if (token !== undefined) return bindOrCompare(token, a, bindings, path);
  }
  if (e.type === 'DateTime' && (SERVER_DATES.has(e.tag) || SERVER_DATE_NAMES.has(ctx.attributeName ?? '')))
    return undefined;
  if (e.type === 'TextString' && IDENTIFIERS.has(e.tag)) return undefined;
  if (e.type === 'TextString' && ctx.attributeName === 'Unique Identifier') return undefined;
  if (e.tag === Tag.AsynchronousCorrelationValue || e.tag === Tag.VendorIdentification) return undefined;
  if (e.tag === Tag.DigestValue || e.tag === Tag.HashingAlgorithm) return undefined;
  if (ctx.variableOutput && (e.tag === Tag.KeyMaterial || CRYPTO_OUTPUT.has(e.tag))) return undefined;
  if (ctx.serverFormat && e.tag === Tag.KeyFormatType) return undefined;
  const equal =
    e.type === 'ByteString' && a.type === 'ByteString'
      ? Buffer.from(e.value).equals(Buffer.from(a.value))
      : e.value === a.value;
  return equal ? undefined : `${path}: expected ${show(e)}, got ${show(a)}`;
}

/** Children that a comparison ignores on either side. */
function relevant(items: TtlvItem[], parent: number, otherHasExtension: boolean): TtlvItem[] {
  return items.filter((c) => {
    if (c.tag === Tag.ResultMessage) return false;
    if (
      parent === Tag.ResponseHeader &&
      (c.tag === Tag.ClientCorrelationValue || c.tag === Tag.ServerCorrelationValue)
    )
      return false;
    if (c.tag === Tag.AttributeIndex && c.type === 'Integer' && c.value === 0) return false;
    if (parent === Tag.ResponsePayload && c.tag === Tag.TemplateAttribute) return false;
    if (c.tag === Tag.MessageExtension && !otherHasExtension) return false;
    return true;
  });
}

/** Each expected child matches a distinct actual child, in any order; extra actual children are fine. */
function compareSubset(
  es: TtlvItem[],
  as: TtlvItem[],
  ctx: CompareContext,
  bindings: Bindings,
  path: string,
): string | undefined {
  const used = new Set<number>();
  for (const e of es) {
    let found = false;
    let firstMiss: string | undefined;
    for (let i = 0; i < as.length; i++) {
      if (used.has(i)) continue;
      const trial = new Map(bindings);
      const d = compare(e, as[i]!, ctx, trial, `${path}/${nameOf(e.tag)}`);
      if (d === undefined) {
        used.add(i);
        for (const [k, v] of trial) bindings.set(k, v);
        found = true;
        break;
      }
      if (as[i]!.tag === e.tag) firstMiss ??= d;
    }
    if (!found)
      return (
        firstMiss ??
        `${path}: missing ${e.type === 'Structure' ? nameOf(e.tag) : `${nameOf(e.tag)} ${show(e)}`}`
      );
  }
  return undefined;
}

function compare(
  e: TtlvItem,
  a: TtlvItem,
  ctx: CompareContext,
  bindings: Bindings,
  path: string,
): string | undefined {
  if (e.tag !== a.tag) return `${path}: expected ${nameOf(e.tag)}, got ${nameOf(a.tag)}`;
  if (e.type !== a.type) return `${path}: expected type ${e.type}, got ${a.type}`;
  if (e.type !== 'Structure' || a.type !== 'Structure') return compareLeaf(e, a, ctx, bindings, path);
  if (ctx.variableOutput && e.tag === Tag.KeyValue) return undefined; // transparent keys: the whole value varies
  if (e.tag === Tag.Digest || e.tag === Tag.ServerInformation) return undefined;
  // Random Number Generator describes the server's own generator (KMIP 2.1 §4.48, 1.4 §3.44:
  // "the random number generator used during the creation of the managed cryptographic object"):
  // server-specific like Server Information; it must be reported, its content is the server's.
  if (e.tag === Tag.RandomNumberGenerator) return undefined;
  if (e.tag === Tag.AttributeValue && ctx.attributeName === 'Random Number Generator') return undefined;
  const ehasExt = e.value.some((c) => c.tag === Tag.MessageExtension);
  const ahasExt = a.value.some((c) => c.tag === Tag.MessageExtension);
  const es = relevant(e.value, e.tag, ahasExt);
  const as = relevant(a.value, a.tag, ehasExt);
  let inner = ctx;
  if (e.tag === Tag.Attribute) {
    const n = child(e, Tag.AttributeName);
    if (n?.type === 'TextString') inner = { ...ctx, attributeName: n.value };
  }
  if (e.tag === Tag.ResponsePayload && ctx.operation === 'Query') {
    // Extra Query results are permitted; the listed operations and object types must be there.
    const listed = QUERY_LISTS_ILLUSTRATIVE.test(ctx.family)
      ? []
      : es.filter((c) => c.tag === Tag.Operation || c.tag === Tag.ObjectType);
    return compareSubset(listed, as, inner, bindings, path);
  }
  if (e.tag === Tag.ResponsePayload && ctx.operation === 'DiscoverVersions' && ctx.openVersionList) {
    return compareSubset(es, as, inner, bindings, path);
  }
  const attributeList =
    e.tag === Tag.Attributes ||
    (e.tag === Tag.ResponsePayload &&
      (ctx.operation === 'GetAttributes' || ctx.operation === 'GetAttributeList'));
  if (attributeList) return compareSubset(es, as, inner, bindings, path);
  for (let i = 0; i < Math.min(es.length, as.length); i++) {
    const d = compare(es[i]!, as[i]!, inner, bindings, `${path}/${nameOf(es[i]!.tag)}`);
    if (d) return d;
  }
  if (es.length > as.length) return `${path}: missing ${nameOf(es[as.length]!.tag)}`;
  if (as.length > es.length)
    return `${path}: unexpected ${nameOf(as[es.length]!.tag)} ${show(as[es.length]!)}`;
  return undefined;
}

function textChild(item: TtlvItem | undefined, tag: number): string | undefined {
  const c = child(item, tag);
  return c?.type === 'TextString' ? c.value : undefined;
}

function mentionsVariableSignature(payload: TtlvItem | undefined): boolean {
  let variable = false;
  walk(payload ?? { tag: 0, type: 'Structure', value: [] }, (it) => {
    if (it.type !== 'Enumeration') return;
    const name = enumForTag(it.tag)?.name(it.value) ?? '';
    if (/PSS|ECDSA|DSA|EC$|^EC/.test(name)) variable = true;
  });
  return variable;
}

/**
 * Response Too Large is the answer of a server whose response exceeds the request's Maximum
 * Response Size (KMIP 1.4 §6.3); how large a response is depends on the server (the published
 * cases list the reference server's long Query answer). A server whose whole answer fits under
 * the limit rightly answers Success: accepted when the encoded response really fits.
 */
function fitsUnderMaximum(
  expected: TtlvItem,
  actualItem: TtlvItem,
  actual: TtlvItem,
  request: StructureItem,
): boolean {
  const reason = child(expected, Tag.ResultReason);
  if (
    reason?.type !== 'Enumeration' ||
    enumForTag(Tag.ResultReason)?.name(reason.value) !== 'ResponseTooLarge'
  )
    return false;
  const status = child(actualItem, Tag.ResultStatus);
  if (status?.type !== 'Enumeration' || status.value !== 0) return false;
  const max = child(child(request, Tag.RequestHeader), Tag.MaximumResponseSize);
  return max?.type === 'Integer' && encodeTtlv(actual).length <= max.value;
}

/** Compares one response message; binds placeholders in `state` on success. */
function compareResponse(
  expected: StructureItem,
  actual: TtlvItem,
  request: StructureItem,
  state: ReplayState,
  tc: TestCase,
): string | undefined {
  const reqItems = children(request, Tag.BatchItem);
  const expItems = children(expected, Tag.BatchItem);
  const bindings = new Map(state.bindings);
  const head = compare(
    child(expected, Tag.ResponseHeader)!,
    child(actual, Tag.ResponseHeader) ?? { tag: Tag.ResponseHeader, type: 'Structure', value: [] },
    {
      tokens: tc.dateTokens,
      operation: undefined,
      variableOutput: false,
      openVersionList: false,
      family: tc.family,
      serverFormat: false,
    },
    bindings,
    'ResponseHeader',
  );
  if (head) return head;
  const actItems = children(actual, Tag.BatchItem);
  if (actItems.length !== expItems.length)
    return `BatchItem: expected ${expItems.length} items, got ${actItems.length}`;
  for (let i = 0; i < expItems.length; i++) {
    const e = expItems[i]!;
    const r = reqItems[i];
    const opItem = child(e, Tag.Operation) ?? child(r, Tag.Operation);
    const operation = opItem?.type === 'Enumeration' ? operationByCode(opItem.value)?.camel : undefined;
    const reqPayload = child(r, Tag.RequestPayload);
    const target = textChild(reqPayload, Tag.UniqueIdentifier);
    const resolvedTarget =
      target !== undefined
        ? PLACEHOLDER_TEXT.test(target)
          ? (bindings.get(target) as string)
          : target
        : state.lastId;
    const generatedKey = resolvedTarget !== undefined && state.generated.has(resolvedTarget);
    const variableOutput =
      GENERATING.has(operation ?? '') ||
      generatedKey ||
      (operation === 'Encrypt' && !child(reqPayload, Tag.IVCounterNonce)) ||
      (operation === 'Sign' &&
        (mentionsVariableSignature(reqPayload) ||
          (resolvedTarget !== undefined && state.randomised.has(resolvedTarget)))) ||
      operation === 'RNGRetrieve';
    const ctx: CompareContext = {
      tokens: tc.dateTokens,
      operation,
      variableOutput,
      openVersionList:
        operation === 'DiscoverVersions' &&
        (reqPayload?.type !== 'Structure' || reqPayload.value.length === 0),
      family: tc.family,
      serverFormat: operation === 'Get' && !child(reqPayload, Tag.KeyFormatType),
    };
    if (fitsUnderMaximum(e, actItems[i]!, actual, request)) continue;
    const d = compare(e, actItems[i]!, ctx, bindings, `BatchItem[${i}]${operation ? `(${operation})` : ''}`);
    if (d) {
      const a = actItems[i]!;
      const reason = child(a, Tag.ResultReason);
      const message = textChild(a, Tag.ResultMessage);
      const why = reason ? ` [server: ${show(reason)}${message ? `: ${message}` : ''}]` : '';
      return d + why;
    }
    // Track what the server generated and the ID placeholder (KMIP 1.4 §4).
    const payload = child(actItems[i], Tag.ResponsePayload);
    const ids = [Tag.UniqueIdentifier, Tag.PrivateKeyUniqueIdentifier, Tag.PublicKeyUniqueIdentifier]
      .map((t) => textChild(payload, t))
      .filter((x): x is string => x !== undefined);
    if (GENERATING.has(operation ?? '')) for (const id of ids) state.generated.add(id);
    // A signature scheme named in the key's attributes makes its signatures random output too.
    if (KEEPS_PARAMETERS.has(operation ?? '') && mentionsVariableSignature(reqPayload))
      for (const id of ids) state.randomised.add(id);
    if (ids[0] !== undefined) state.lastId = textChild(payload, Tag.PrivateKeyUniqueIdentifier) ?? ids[0];
  }
  state.bindings = bindings;
  walk(actual, (it) => {
    if (it.type === 'ByteString' || it.type === 'TextString') state.lastReturned.set(it.tag, it.value);
  });
  return undefined;
}

export interface ReplayOptions {
  /** Revoke and Destroy what the file created after it ran (for servers whose state persists). */
  cleanup?: boolean;
  /**
   * Identifiers of objects the server generated, shared between a set-up case and the case that
   * continues it (TL-M-3 reads the key TL-M-2 created): their key material stays variable.
   */
  generated?: Set<string>;
}

/** Replays one test case on a client; the caller gives a fresh server state (or asks for cleanup). */
export async function replayTestCase(
  client: KmipClient,
  tc: TestCase,
  options: ReplayOptions = {},
): Promise<FileOutcome> {
  const base = { file: tc.path, name: tc.name, family: tc.family, version: tc.version };
  const state: ReplayState = {
    bindings: new Map(),
    generated: options.generated ?? new Set(),
    lastId: undefined,
    randomised: new Set(),
    lastReturned: new Map(),
    now: 0n,
  };
  try {
    for (let step = 0; step < tc.steps.length; step++) {
      const { request, response } = tc.steps[step]!;
      state.now = BigInt(Math.floor(Date.now() / 1000));
      let sent: TtlvItem;
      try {
        sent = substitute(request, state, tc.dateTokens);
      } catch (err) {
        if (err instanceof Unbound) {
          return {
            ...base,
            status: 'fail',
            step,
            reason: `request ${step}: placeholder ${err.message} was never bound`,
          };
        }
        throw err;
      }
      let actual: TtlvItem;
      try {
        actual = await client.send(sent, tc.version);
      } catch (err) {
        return { ...base, status: 'fail', step, reason: `request ${step}: ${(err as Error).message}` };
      }
      const diff = compareResponse(response, actual, request, state, tc);
      if (diff) return { ...base, status: 'fail', step, reason: `step ${step}: ${diff}` };
    }
    return { ...base, status: 'pass' };
  } finally {
    if (options.cleanup) await cleanupObjects(client, state, tc.version ?? '2.1');
  }
}

async function cleanupObjects(client: KmipClient, state: ReplayState, version: KmipVersion): Promise<void> {
  for (const [token, value] of state.bindings) {
    if (!token.startsWith('$UNIQUE_IDENTIFIER') || typeof value !== 'string') continue;
    await client.revoke({ uniqueIdentifier: value }, { version }).catch(() => undefined);
    await client.destroy(value, { version }).catch(() => undefined);
  }
}

// ---- expectations and summaries -------------------------------------------------------------

/** `*` matches any run of characters; everything else is literal. */
export function ruleMatches(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(name);
}

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts per protocol version and profile family. */
export function tally(outcomes: readonly FileOutcome[]): Map<string, Map<string, Tally>> {
  const out = new Map<string, Map<string, Tally>>();
  for (const o of outcomes) {
    const v = o.version ?? '?';
    const family = o.family;
    const byFamily = out.get(v) ?? new Map<string, Tally>();
    out.set(v, byFamily);
    const t = byFamily.get(family) ?? { passed: 0, failed: 0, skipped: 0 };
    byFamily.set(family, t);
    if (o.status === 'pass') t.passed++;
    else if (o.status === 'fail') t.failed++;
    else t.skipped++;
  }
  return new Map([...out].sort(([a], [b]) => versionOrder(a) - versionOrder(b)));
}

function versionOrder(v: string): number {
  const i = KMIP_VERSIONS.indexOf(v as KmipVersion);
  return i < 0 ? 99 : i;
}

/** One line per file: `pass`, `fail <step and field>`, `skip <reason>`. */
export function outcomeLine(o: FileOutcome): string {
  return o.status === 'pass' ? `pass  ${o.file}` : `${o.status}  ${o.file}: ${o.reason ?? ''}`;
}
