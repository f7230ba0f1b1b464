/**
 * `krypton conformance <file|dir>… --target host:port --ca … --cert … --key …` — replays OASIS
 * KMIP test-case files against any KMIP server over mutual TLS and prints one line per file
 * (pass; fail with the first differing step and field; skip with the reason) and a final line
 * `N passed, N failed, N skipped`. The files can live anywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KmipClient, type KmipClientOptions } from '../../client/client.js';
import {
  conformanceMarkdown,
  expectationsOf,
  findTestCases,
  runConformance,
  totals,
  totalsLine,
  type Expectations,
  type ReplayTarget,
  type SkipRule,
} from '../../client/conformance-run.js';
import { outcomeLine } from '../../client/oasis-replay.js';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton conformance <file|dir>... --target HOST:PORT --ca FILE [--cert FILE --key FILE]

Replays OASIS KMIP test-case files (<KMIP> / <KmipTestCase> XML, or folders of N-request.xml /
N-response.xml) against a KMIP server, one TLS connection per file, and compares every response
with the published one under the Profiles' permitted variations. Files that need an operation,
object type or protocol version the server does not offer are skipped with the reason. After
each file, the objects it created are revoked and destroyed (--no-cleanup keeps them).

options:
  --target HOST:PORT         the server (TTLV over TLS, or HTTPS with --transport https)
  --ca FILE                  CA certificate(s) to verify the server
  --cert FILE, --key FILE    client certificate and key (mutual TLS)
  --servername NAME          TLS server name (default: the host, none for an IP address)
  --transport ttlv|https     default ttlv; https posts to /kmip
  --encoding ttlv|json|xml   with --transport https (default ttlv)
  --skip-list FILE           JSON array of {match|operation|objectType|algorithm, reason}
  --expectations FILE        JSON {file: "pass" | "skip: …" | "fail: …"}: exit 1 only when an expected pass fails
  --write-expectations FILE  write the outcomes in that format
  --markdown FILE            write a report (table per version and profile family, skip list)
  --root DIR                 name files relative to DIR (default: the first argument when a folder)
  --no-cleanup               leave created objects on the server
  -q, --quiet                print only failures and the final line
  -h, --help                 this text
`;

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const command: CliCommand = {
  summary: 'replay OASIS KMIP test-case files against a server and report pass/fail/skip',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          target: { type: 'string' },
          ca: { type: 'string' },
          cert: { type: 'string' },
          key: { type: 'string' },
          servername: { type: 'string' },
          transport: { type: 'string', default: 'ttlv' },
          encoding: { type: 'string', default: 'ttlv' },
          'skip-list': { type: 'string' },
          expectations: { type: 'string' },
          'write-expectations': { type: 'string' },
          markdown: { type: 'string' },
          root: { type: 'string' },
          'no-cleanup': { type: 'boolean', default: false },
          quiet: { type: 'boolean', short: 'q', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (err) {
      process.stderr.write(`krypton conformance: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const target = /^(.+):(\d+)$/.exec(values.target ?? '');
    if (!target || !values.ca || positionals.length === 0) {
      process.stderr.write(`krypton conformance: files, --target HOST:PORT and --ca are required\n${USAGE}`);
      return 2;
    }
    if (!['ttlv', 'https'].includes(values.transport) || !['ttlv', 'json', 'xml'].includes(values.encoding)) {
      process.stderr.write(`krypton conformance: bad --transport or --encoding\n${USAGE}`);
      return 2;
    }
    const host = target[1]!.replace(/^\[|\]$/g, '');
    const options: KmipClientOptions = {
      host,
      port: Number(target[2]),
      ca: readFileSync(values.ca),
      ...(values.cert !== undefined && { cert: readFileSync(values.cert) }),
      ...(values.key !== undefined && { key: readFileSync(values.key) }),
      ...(values.servername !== undefined && { servername: values.servername }),
      transport: values.transport as 'ttlv' | 'https',
      encoding: values.encoding as 'ttlv' | 'json' | 'xml',
    };
    const rules = values['skip-list'] ? readJson<SkipRule[]>(values['skip-list']) : [];
    const expectations = values.expectations ? readJson<Expectations>(values.expectations) : undefined;
    const files = findTestCases(positionals);
    const root =
      values.root ?? (positionals.length === 1 && files[0] !== positionals[0] ? positionals[0] : undefined);
    const remote: ReplayTarget = {
      name: values.target!,
      async open() {
        const client = await KmipClient.connect(options);
        return { client, fresh: values['no-cleanup'], release: () => client.close() };
      },
    };
    const { outcomes } = await runConformance(files, remote, {
      rules,
      ...(root !== undefined && { root }),
      onOutcome: (o) => {
        if (!values.quiet || o.status === 'fail') process.stdout.write(outcomeLine(o) + '\n');
      },
    });
    const t = totals(outcomes);
    process.stdout.write(totalsLine(t) + '\n');
    if (values['write-expectations'])
      writeFileSync(values['write-expectations'], JSON.stringify(expectationsOf(outcomes), null, 2) + '\n');
    if (values.markdown) {
      writeFileSync(
        values.markdown,
        conformanceMarkdown(outcomes, `# Conformance of ${values.target}`) + '\n',
      );
    }
    if (expectations) {
      const broken = outcomes.filter((o) => expectations[o.file] === 'pass' && o.status !== 'pass');
      for (const o of broken) process.stderr.write(`expected to pass: ${o.file}\n`);
      return broken.length ? 1 : 0;
    }
    return t.failed ? 1 : 0;
  },
};
