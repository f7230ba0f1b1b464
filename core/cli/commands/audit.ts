/**
 * `krypton audit verify <file>` | `krypton audit verify --profile <name|path>`: checks the hash
 * chain of an audit log and reports the first broken record. Exit status 0 when intact, 1 when
 * broken, 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton audit verify (<file> | --profile <name|path> [--state-dir <dir>])

Checks that every record of the audit log parses, that seq counts up from 1 and that each
record's prev is the SHA-256 of the record before it. Prints the record count and the chain
head (keep it elsewhere: a log cut short at its end still verifies), or the first broken record.
`;

export const command: CliCommand = {
  summary: 'verify the hash chain of an audit log',
  async run(argv: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          profile: { type: 'string' },
          'state-dir': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      process.stderr.write(`krypton audit: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const [sub, file, ...extra] = parsed.positionals;
    if (parsed.values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (
      sub !== 'verify' ||
      extra.length > 0 ||
      (file === undefined) === (parsed.values.profile === undefined)
    ) {
      process.stderr.write(USAGE);
      return 2;
    }
    let paths: string[];
    if (file !== undefined) paths = [resolve(file)];
    else {
      const { loadProfile } = await import('../../config/load.js');
      const { workerProfile } = await import('../../server/cluster.js');
      const stateDir = parsed.values['state-dir'];
      const config = loadProfile(parsed.values.profile as string, {
        ...(stateDir !== undefined && {
          overrides: [{ path: 'stateDir', value: stateDir, origin: '--state-dir' }],
        }),
      });
      // With `workers` > 1 every worker keeps its own chain.
      paths =
        config.workers > 1
          ? Array.from({ length: config.workers }, (_, i) =>
              resolve(config.stateDir, workerProfile(config, i + 1).audit.path),
            )
          : [resolve(config.stateDir, config.audit.path)];
    }
    const { verifyAuditLog } = await import('../../audit/verify.js');
    let status = 0;
    for (const path of paths) {
      try {
        const result = await verifyAuditLog(path);
        if (result.ok) {
          process.stdout.write(`${path}: ${result.records} records, chain intact, head ${result.head}\n`);
          continue;
        }
        process.stdout.write(
          `${path}: chain broken at record ${result.line} (${result.problem}); ${result.records} records before it are intact\n`,
        );
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        process.stderr.write(`krypton audit: ${path}: ${code ?? (err as Error).message}\n`);
      }
      status = 1;
    }
    return status;
  },
};
