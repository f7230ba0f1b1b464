/**
 * `krypton migrate --sqlite <file>` | `krypton migrate --postgres <url> [--schema <name>]`:
 * applies the storage schema migrations (forward-only) and exits.
 */
import type { CliCommand } from '../main.js';

const USAGE = 'usage: krypton migrate (--sqlite <file> | --postgres <url> [--schema <name>])';

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at === -1) return undefined;
  const value = argv[at + 1];
  return value === undefined || value.startsWith('--') ? '' : value;
}

export const command: CliCommand = {
  summary: 'apply the storage schema migrations (SQLite or PostgreSQL)',
  async run(argv: string[]): Promise<number> {
    const sqlite = option(argv, '--sqlite');
    const postgres = option(argv, '--postgres');
    const schema = option(argv, '--schema');
    if (
      (sqlite === undefined) === (postgres === undefined) ||
      sqlite === '' ||
      postgres === '' ||
      schema === ''
    ) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const { migrateStore } = await import('../../../storage-adapters/migrate.js');
    try {
      const report =
        sqlite !== undefined
          ? await migrateStore({ adapter: 'sqlite', filename: sqlite })
          : await migrateStore({
              adapter: 'postgres',
              url: postgres as string,
              ...(schema === undefined ? {} : { schema }),
            });
      process.stdout.write(
        report.applied.length === 0
          ? `schema up to date (${report.known.length} migrations)\n`
          : `applied: ${report.applied.join(', ')}\n`,
      );
      return 0;
    } catch (err) {
      // The operator's terminal: the driver's own words (in `cause`) help more than the code.
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      process.stderr.write(`krypton migrate: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
      return 1;
    }
  },
};
