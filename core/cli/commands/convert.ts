/**
 * `krypton convert` — reads KMIP messages in TTLV (binary or hex), KMIP JSON or KMIP XML (one
 * message, or a sequence such as an OASIS test-case file) and writes them in another encoding,
 * or as an indented tree for people. Bad input gets one line naming the byte offset or the
 * element, and exit status 1.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  decodeKmipJson,
  decodeKmipXmlMessages,
  deterministicPlaceholders,
  encodeKmipJson,
  encodeKmipXml,
  formatTree,
  parseIsoTime,
  type PlaceholderResolver,
} from '../../encodings/index.js';
import { KryptonError } from '../../errors.js';
import { KMIP_VERSIONS, type KmipVersion } from '../../spec/index.js';
import { decodeTtlv, encodeTtlv, type TtlvItem } from '../../ttlv/index.js';
import type { CliCommand } from '../main.js';

const INPUTS = ['ttlv', 'hex', 'json', 'xml'] as const;
const OUTPUTS = ['ttlv', 'hex', 'json', 'xml', 'tree'] as const;
type InputFormat = (typeof INPUTS)[number];
type OutputFormat = (typeof OUTPUTS)[number];

const USAGE = `usage: krypton convert [--from ttlv|hex|json|xml] [--to ttlv|hex|json|xml|tree] [file ...]

Reads one KMIP message or a sequence of them from the files (or stdin) and writes them in
another encoding; several files make one sequence. --from is detected when omitted. Placeholders of the OASIS test cases
($NOW±N in Date-Times, $NAME in Byte Strings) are substituted deterministically
(--now sets the time, default 2020-09-13T12:26:40Z); --strict refuses them.

options:
  --from FORMAT      input encoding: ttlv (binary), hex, json, xml
  --to FORMAT        output encoding: ttlv, hex, json, xml, tree (default tree)
  --version X.Y      spell enumeration names as in this KMIP version (default: latest)
  --now ISO          time substituted for $NOW
  --strict           refuse placeholders
  -h, --help         this text
`;

/** Splits concatenated TTLV items (a capture of several messages) without decoding them. */
export function splitTtlvItems(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 8) {
      throw new KryptonError('KRY_TTLV_TRUNCATED', `item header needs 8 bytes at offset ${pos}`, {
        offset: pos,
      });
    }
    const length = bytes.readUInt32BE(pos + 4);
    const size = 8 + (bytes[pos + 3] === 0x01 ? length : (length + 7) & ~7);
    if (size > bytes.length - pos) {
      throw new KryptonError('KRY_TTLV_TRUNCATED', `item at offset ${pos} needs ${size} bytes`, {
        offset: pos,
      });
    }
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

export function detectFormat(data: Buffer): InputFormat {
  const head = data.subarray(0, 64).toString('latin1').trimStart();
  if (head.startsWith('<')) return 'xml';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  if (/^[0-9a-fA-F\s]+$/.test(data.toString('latin1'))) return 'hex';
  return 'ttlv';
}

function decodeTtlvSequence(bytes: Buffer, base = 0): TtlvItem[] {
  const items: TtlvItem[] = [];
  let offset = 0;
  for (const frame of splitTtlvItems(bytes)) {
    try {
      items.push(decodeTtlv(frame));
    } catch (err) {
      if (err instanceof KryptonError && err.offset !== undefined) {
        throw new KryptonError(err.code, `at byte offset ${base + offset + err.offset}`, {
          offset: base + offset + err.offset,
        });
      }
      throw err;
    }
    offset += frame.length;
  }
  return items;
}

export function readMessages(
  data: Buffer,
  from: InputFormat,
  placeholders?: PlaceholderResolver,
): TtlvItem[] {
  switch (from) {
    case 'ttlv':
      return decodeTtlvSequence(data);
    case 'hex': {
      const text = data.toString('latin1').replace(/\s+/g, '');
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(text))
        throw new KryptonError('KRY_ENC_MALFORMED', 'hex input has an odd length or a non-hex character');
      return decodeTtlvSequence(Buffer.from(text, 'hex'));
    }
    case 'json': {
      const text = data.toString('utf8');
      const trimmed = text.trimStart();
      if (trimmed.startsWith('[')) {
        let list: unknown;
        try {
          list = JSON.parse(text);
        } catch (err) {
          throw new KryptonError(
            'KRY_ENC_MALFORMED',
            `JSON: ${err instanceof Error ? err.message : 'parse error'}`,
          );
        }
        if (!Array.isArray(list))
          throw new KryptonError('KRY_ENC_MALFORMED', 'expected an array of messages');
        // re-validate each element through the guarded decoder (prototype keys, depth)
        return list.map((v) => decodeKmipJson(JSON.stringify(v), placeholders ? { placeholders } : {}));
      }
      return [decodeKmipJson(text, placeholders ? { placeholders } : {})];
    }
    case 'xml':
      return decodeKmipXmlMessages(data.toString('utf8'), placeholders ? { placeholders } : {});
  }
}

export function writeMessages(items: TtlvItem[], to: OutputFormat, version?: KmipVersion): Buffer {
  const opts = version ? { version } : {};
  switch (to) {
    case 'ttlv':
      return Buffer.concat(items.map((i) => encodeTtlv(i)));
    case 'hex':
      return Buffer.from(items.map((i) => encodeTtlv(i).toString('hex') + '\n').join(''));
    case 'json': {
      const parts = items.map((i) => encodeKmipJson(i, { ...opts, space: 2 }));
      return Buffer.from((items.length === 1 ? parts[0]! : `[\n${parts.join(',\n')}\n]`) + '\n');
    }
    case 'xml': {
      if (items.length === 1) return Buffer.from(encodeKmipXml(items[0]!, opts));
      const body = items
        .map((i) => encodeKmipXml(i, { ...opts, indent: '  ' }).replace(/^/gm, '  '))
        .join('\n');
      return Buffer.from(`<KMIP>\n${body.replace(/ +$/gm, '')}</KMIP>\n`);
    }
    case 'tree':
      return Buffer.from(items.map((i) => formatTree(i, opts)).join('\n'));
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function oneLine(err: unknown): string {
  if (err instanceof KryptonError) return err.message;
  if (err instanceof Error && 'code' in err && err.code === 'ENOENT')
    return `no such file: ${(err as { path?: string }).path ?? ''}`;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string', default: 'tree' },
        version: { type: 'string' },
        now: { type: 'string' },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`krypton convert: ${oneLine(err)}\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const fail = (message: string): number => {
    process.stderr.write(`krypton convert: ${message}\n`);
    return 1;
  };
  if (values.from && !(INPUTS as readonly string[]).includes(values.from))
    return fail(`unknown --from '${values.from}'`);
  if (!(OUTPUTS as readonly string[]).includes(values.to)) return fail(`unknown --to '${values.to}'`);
  if (values.version && !(KMIP_VERSIONS as readonly string[]).includes(values.version)) {
    return fail(`unknown --version '${values.version}' (one of ${KMIP_VERSIONS.join(', ')})`);
  }
  let placeholders: PlaceholderResolver | undefined;
  if (!values.strict) {
    const now = values.now ? parseIsoTime(values.now)?.seconds : 1_600_000_000n;
    if (now === undefined) return fail(`--now '${values.now}' is not an ISO 8601 time`);
    placeholders = deterministicPlaceholders(now);
  }
  try {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const items: TtlvItem[] = [];
    for (const input of inputs) {
      const data = input === '-' ? await readStdin() : readFileSync(input);
      if (data.length === 0) return fail(`empty input${input === '-' ? '' : ` in ${input}`}`);
      const from = (values.from as InputFormat | undefined) ?? detectFormat(data);
      try {
        items.push(...readMessages(data, from, placeholders));
      } catch (err) {
        if (inputs.length > 1) throw new Error(`${input}: ${oneLine(err)}`, { cause: err });
        throw err;
      }
    }
    const out = writeMessages(items, values.to as OutputFormat, values.version as KmipVersion | undefined);
    process.stdout.write(out);
    return 0;
  } catch (err) {
    return fail(oneLine(err));
  }
}

export const command: CliCommand = {
  summary: 'convert KMIP messages between TTLV, hex, JSON, XML and a readable tree',
  run,
};
