/**
 * `krypton client <operation> …` — one KMIP operation for people, answered as JSON on stdout.
 * Connects with mutual TLS (by default to the development server of `npm start`, with the
 * development PKI in ./.krypton/pki). A server error prints the Result Reason and exits 1.
 * Key material is printed only with --show-key-material.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AttributeInputValue } from '../../client/attribute-input.js';
import {
  KmipClient,
  KmipResultError,
  type BatchOptions,
  type KmipClientOptions,
} from '../../client/client.js';
import { symmetricKeyObject } from '../../client/requests.js';
import { decodeKmipXml, formatTree } from '../../encodings/index.js';
import { KryptonError } from '../../errors.js';
import { KMIP_VERSIONS, attributeByName, type KmipVersion } from '../../spec/index.js';
import type { TtlvItem } from '../../ttlv/types.js';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton client <operation> [arguments] [options]

operations:
  discover-versions                      query [--function QueryOperations ...]
  create --algorithm AES --length 256 [--usage Encrypt,Decrypt] [--name N] [--attr K=V ...]
  create-key-pair --algorithm RSA --length 2048 [--name N]
  register --algorithm AES --key-file FILE [--name N] [--attr K=V ...]
  get UID [--format Raw] [--show-key-material]
  get-attributes UID [--attribute NAME ...]    get-attribute-list UID
  add-attribute | modify-attribute | set-attribute UID --attr K=V
  delete-attribute UID --attribute NAME
  locate [--name N] [--object-type T] [--attr K=V ...] [--max N]
  activate | destroy | archive | recover | check UID
  revoke UID [--reason CessationOfOperation|KeyCompromise|...] [--message TEXT]
  rekey UID [--offset SECONDS]
  encrypt UID (--data TEXT | --data-hex HEX) [--iv-hex HEX] [--param BlockCipherMode=GCM ...]
  decrypt UID --data-hex HEX [--iv-hex HEX] [--tag-hex HEX] [--param K=V ...]
  sign | mac UID (--data TEXT | --data-hex HEX) [--param K=V ...]
  hash (--data TEXT | --data-hex HEX) --param HashingAlgorithm=SHA_256
  rng-retrieve LENGTH
  raw OPERATION --payload-xml '<RequestPayload>…</RequestPayload>'

options:
  --target HOST:PORT     default 127.0.0.1:5696
  --ca, --cert, --key    PEM files (default ./.krypton/pki/ca.pem, client.pem, client-key.pem)
  --servername NAME      TLS server name
  --https [ttlv|json|xml]  use HTTPS POST /kmip (then --target is the HTTPS port)
  --version X.Y          protocol version (default: negotiated with Discover Versions)
  -h, --help             this text
`;

const OPTIONS = {
  target: { type: 'string', default: '127.0.0.1:5696' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  servername: { type: 'string' },
  https: { type: 'string' },
  version: { type: 'string' },
  algorithm: { type: 'string' },
  length: { type: 'string' },
  usage: { type: 'string' },
  name: { type: 'string' },
  attr: { type: 'string', multiple: true },
  attribute: { type: 'string', multiple: true },
  'object-type': { type: 'string' },
  max: { type: 'string' },
  format: { type: 'string' },
  'show-key-material': { type: 'boolean', default: false },
  'key-file': { type: 'string' },
  reason: { type: 'string' },
  message: { type: 'string' },
  offset: { type: 'string' },
  data: { type: 'string' },
  'data-hex': { type: 'string' },
  'iv-hex': { type: 'string' },
  'tag-hex': { type: 'string' },
  param: { type: 'string', multiple: true },
  function: { type: 'string', multiple: true },
  'payload-xml': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function usageError(detail: string): never {
  throw new KryptonError('KRY_CLIENT_BAD_ARGUMENT', detail);
}

/** `K=V` from the command line → a value of the attribute's type. */
export function parseAttributeArg(arg: string): [string, AttributeInputValue] {
  const eq = arg.indexOf('=');
  if (eq <= 0) usageError(`attribute '${arg}' must be NAME=VALUE`);
  const name = arg.slice(0, eq);
  const text = arg.slice(eq + 1);
  const def = attributeByName(name);
  if (def?.maskDef) return [name, text.split(/[,|\s]+/).filter(Boolean)];
  switch (def?.type) {
    case 'Integer':
    case 'Interval':
      return [name, Number(text)];
    case 'LongInteger':
      return [name, BigInt(text)];
    case 'Boolean':
      return [name, text === 'true'];
    case 'DateTime':
      return [name, new Date(text)];
    case 'ByteString':
      return [name, new Uint8Array(Buffer.from(text, 'hex'))];
    default:
      return [name, text];
  }
}

function attributes(
  values: Values,
  extra: Record<string, AttributeInputValue> = {},
): Record<string, AttributeInputValue> {
  const out: Record<string, AttributeInputValue> = { ...extra };
  for (const a of values.attr ?? []) {
    const [k, v] = parseAttributeArg(a);
    out[k] = v;
  }
  return out;
}

function params(values: Values): Record<string, AttributeInputValue> | undefined {
  if (!values.param?.length) return undefined;
  const out: Record<string, AttributeInputValue> = {};
  for (const p of values.param) {
    const eq = p.indexOf('=');
    if (eq <= 0) usageError(`--param '${p}' must be NAME=VALUE`);
    const v = p.slice(eq + 1);
    out[p.slice(0, eq)] = /^\d+$/.test(v) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v;
  }
  return out;
}

function data(values: Values): Uint8Array {
  if (values['data-hex'] !== undefined) return new Uint8Array(Buffer.from(values['data-hex'], 'hex'));
  if (values.data !== undefined) return new Uint8Array(Buffer.from(values.data, 'utf8'));
  return usageError('--data or --data-hex is required');
}

const hexOpt = (v: string | undefined) =>
  v !== undefined ? new Uint8Array(Buffer.from(v, 'hex')) : undefined;

function uidArg(positionals: string[]): string {
  const uid = positionals[1];
  if (!uid) usageError('a unique identifier is required');
  return uid;
}

/** Result objects → JSON: bytes as hex, big integers as strings, raw payload trees left out. */
function toJson(value: unknown, showKeyMaterial: boolean, key = ''): unknown {
  if (value instanceof Uint8Array) {
    if (key === 'keyMaterial' && !showKeyMaterial)
      return `${value.length} bytes (--show-key-material prints them)`;
    return Buffer.from(value).toString('hex');
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => toJson(v, showKeyMaterial));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'payload' || k === 'object') continue;
      if (v === undefined) continue;
      out[k] = toJson(v, showKeyMaterial, k);
    }
    return out;
  }
  return value;
}

async function perform(
  client: KmipClient,
  op: string,
  positionals: string[],
  values: Values,
): Promise<unknown> {
  const o: BatchOptions = {};
  switch (op) {
    case 'discover-versions':
      return { versions: await client.discoverVersions([...KMIP_VERSIONS].reverse(), o) };
    case 'query':
      return client.queryServer(values.function?.length ? values.function : undefined, o);
    case 'create': {
      const extra: Record<string, AttributeInputValue> = {};
      if (values.algorithm) extra.CryptographicAlgorithm = values.algorithm;
      if (values.length) extra.CryptographicLength = Number(values.length);
      if (values.usage) extra.CryptographicUsageMask = values.usage.split(/[,|]/);
      if (values.name) extra.Name = values.name;
      return client.create({ objectType: 'SymmetricKey', attributes: attributes(values, extra) }, o);
    }
    case 'create-key-pair': {
      const common: Record<string, AttributeInputValue> = {};
      if (values.algorithm) common.CryptographicAlgorithm = values.algorithm;
      if (values.length) common.CryptographicLength = Number(values.length);
      return client.createKeyPair(
        {
          commonAttributes: attributes(values, common),
          ...(values.name && {
            privateKeyAttributes: { Name: `${values.name}-private`, CryptographicUsageMask: ['Sign'] },
            publicKeyAttributes: { Name: `${values.name}-public`, CryptographicUsageMask: ['Verify'] },
          }),
        },
        o,
      );
    }
    case 'register': {
      if (!values['key-file'] || !values.algorithm) usageError('--algorithm and --key-file are required');
      const material = new Uint8Array(readFileSync(values['key-file']));
      const extra: Record<string, AttributeInputValue> = {
        CryptographicAlgorithm: values.algorithm,
        CryptographicLength: material.length * 8,
        ...(values.usage && { CryptographicUsageMask: values.usage.split(/[,|]/) }),
        ...(values.name && { Name: values.name }),
      };
      const object = symmetricKeyObject(material, values.algorithm);
      material.fill(0);
      return client.register(
        { objectType: 'SymmetricKey', attributes: attributes(values, extra), object },
        o,
      );
    }
    case 'get':
      return client.get(
        {
          uniqueIdentifier: uidArg(positionals),
          ...(values.format !== undefined && { keyFormatType: values.format }),
        },
        o,
      );
    case 'get-attributes': {
      const r = await client.getAttributes(
        { uniqueIdentifier: uidArg(positionals), ...(values.attribute && { names: values.attribute }) },
        o,
      );
      return {
        uniqueIdentifier: r.uniqueIdentifier,
        attributes: Object.fromEntries(r.attributes.map((a) => [a.name, a.value])),
      };
    }
    case 'get-attribute-list':
      return client.getAttributeList(uidArg(positionals), o);
    case 'add-attribute':
    case 'modify-attribute':
    case 'set-attribute': {
      const [name, value] = parseAttributeArg(
        values.attr?.[0] ?? usageError('--attr NAME=VALUE is required'),
      );
      const args = { uniqueIdentifier: uidArg(positionals), name, value };
      if (op === 'add-attribute') return client.addAttribute(args, o);
      if (op === 'modify-attribute') return client.modifyAttribute(args, o);
      return client.setAttribute(args, o);
    }
    case 'delete-attribute':
      return client.deleteAttribute(
        {
          uniqueIdentifier: uidArg(positionals),
          name: values.attribute?.[0] ?? usageError('--attribute NAME is required'),
        },
        o,
      );
    case 'locate': {
      const extra: Record<string, AttributeInputValue> = {};
      if (values.name) extra.Name = values.name;
      if (values['object-type']) extra.ObjectType = values['object-type'];
      return client.locate(
        {
          attributes: attributes(values, extra),
          ...(values.max !== undefined && { maximumItems: Number(values.max) }),
        },
        o,
      );
    }
    case 'activate':
      return client.activate(uidArg(positionals), o);
    case 'destroy':
      return client.destroy(uidArg(positionals), o);
    case 'archive':
      return client.archive(uidArg(positionals), o);
    case 'recover':
      return client.recover(uidArg(positionals), o);
    case 'check':
      return client.check({ uniqueIdentifier: uidArg(positionals) }, o);
    case 'revoke':
      return client.revoke(
        {
          uniqueIdentifier: uidArg(positionals),
          ...(values.reason !== undefined && { reason: values.reason }),
          ...(values.message !== undefined && { message: values.message }),
        },
        o,
      );
    case 'rekey':
      return client.rekey(
        {
          uniqueIdentifier: uidArg(positionals),
          ...(values.offset !== undefined && { offset: Number(values.offset) }),
        },
        o,
      );
    case 'encrypt':
    case 'decrypt': {
      const p = params(values);
      const iv = hexOpt(values['iv-hex']);
      const tag = hexOpt(values['tag-hex']);
      const args = {
        uniqueIdentifier: uidArg(positionals),
        data: data(values),
        ...(p && { cryptographicParameters: p }),
        ...(iv && { ivCounterNonce: iv }),
      };
      return op === 'encrypt'
        ? client.encrypt(args, o)
        : client.decrypt({ ...args, ...(tag && { authenticatedEncryptionTag: tag }) }, o);
    }
    case 'sign':
    case 'mac': {
      const p = params(values);
      const args = {
        uniqueIdentifier: uidArg(positionals),
        data: data(values),
        ...(p && { cryptographicParameters: p }),
      };
      return op === 'sign' ? client.sign(args, o) : client.mac(args, o);
    }
    case 'hash':
      return client.hash(
        { cryptographicParameters: params(values) ?? { HashingAlgorithm: 'SHA_256' }, data: data(values) },
        o,
      );
    case 'rng-retrieve':
      return client.rngRetrieve(Number(positionals[1] ?? usageError('a length is required')), o);
    case 'raw': {
      const operation = positionals[1] ?? usageError('an operation name is required');
      const xml = values['payload-xml'];
      const payload: TtlvItem[] = xml ? ((decodeKmipXml(xml) as { value: TtlvItem[] }).value ?? []) : [];
      const out = await client.request(operation, payload, o);
      return { payload: out ? formatTree(out) : null };
    }
    default:
      return usageError(`unknown operation '${op}'`);
  }
}

function defaultPki(file: string): string {
  return join(process.cwd(), '.krypton', 'pki', file);
}

export const command: CliCommand = {
  summary: 'run one KMIP operation against a server and print the answer as JSON',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    } catch (err) {
      process.stderr.write(`krypton client: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help || positionals.length === 0) {
      process.stdout.write(USAGE);
      return values.help ? 0 : 2;
    }
    const target = /^(.+):(\d+)$/.exec(values.target);
    if (!target) {
      process.stderr.write(`krypton client: --target must be HOST:PORT\n`);
      return 2;
    }
    if (values.version !== undefined && !KMIP_VERSIONS.includes(values.version as KmipVersion)) {
      process.stderr.write(`krypton client: --version must be one of ${KMIP_VERSIONS.join(', ')}\n`);
      return 2;
    }
    let client: KmipClient | undefined;
    try {
      const options: KmipClientOptions = {
        host: target[1]!.replace(/^\[|\]$/g, ''),
        port: Number(target[2]),
        ca: readFileSync(values.ca ?? defaultPki('ca.pem')),
        cert: readFileSync(values.cert ?? defaultPki('client.pem')),
        key: readFileSync(values.key ?? defaultPki('client-key.pem')),
        ...(values.servername !== undefined && { servername: values.servername }),
        ...(values.https !== undefined && {
          transport: 'https' as const,
          encoding: (values.https || 'ttlv') as 'ttlv' | 'json' | 'xml',
        }),
        ...(values.version !== undefined ? { version: values.version as KmipVersion } : { negotiate: true }),
      };
      client = await KmipClient.connect(options);
      const result = await perform(client, positionals[0]!, positionals, values);
      process.stdout.write(JSON.stringify(toJson(result, values['show-key-material']), null, 2) + '\n');
      return 0;
    } catch (err) {
      if (err instanceof KmipResultError) {
        const error = {
          resultReason: err.resultReasonName ?? err.resultReason,
          resultMessage: err.resultMessage,
        };
        process.stderr.write(JSON.stringify({ error }, null, 2) + '\n');
        return 1;
      }
      process.stderr.write(`krypton client: ${(err as Error).message}\n`);
      return err instanceof KryptonError && err.code === 'KRY_CLIENT_BAD_ARGUMENT' ? 2 : 1;
    } finally {
      await client?.close();
    }
  },
};
