/**
 * `krypton docs --check|--write` — the generated references (docs/operations-matrix.md from the
 * registry and the loaded plugins, docs/configuration.md from the profile schema).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton docs --check | --write

  --check   exit 1 when a generated document differs from a fresh generation
  --write   regenerate docs/operations-matrix.md and docs/configuration.md`;

export const command: CliCommand = {
  summary: 'check or regenerate the generated documents',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          check: { type: 'boolean', default: false },
          write: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
    } catch (err) {
      process.stderr.write(`krypton docs: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (values.check === values.write) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const { generateDocs, staleDocs, describeStale, writeDocs } = await import('../docs/generated-docs.js');
    const { undescribedSettings } = await import('../docs/configuration-reference.js');
    const docs = await generateDocs();
    const undescribed = undescribedSettings();
    if (undescribed.length > 0) {
      process.stderr.write(
        `krypton docs: settings without a description (core/cli/docs/setting-descriptions.ts): ${undescribed.join(', ')}\n`,
      );
    }
    if (values.write) {
      writeDocs(docs);
      process.stdout.write(docs.map((d) => `wrote ${d.file}\n`).join(''));
      return undescribed.length > 0 ? 1 : 0;
    }
    const stale = staleDocs(docs);
    if (stale.length > 0) {
      process.stderr.write(describeStale(stale) + '\n');
      return 1;
    }
    process.stdout.write(`${docs.length} generated documents are up to date\n`);
    return undescribed.length > 0 ? 1 : 0;
  },
};
