/**
 * The generated documents and their check: `krypton docs --write` regenerates them,
 * `krypton docs --check` (and the test guarding it) fails when a committed copy is stale.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { profilesDir } from '../../config/load.js';
import { generateConfigurationReference } from './configuration-reference.js';
import { BUILTIN_PLUGINS_DIR, generateOperationsMatrix } from './operations-matrix.js';
import type { MatrixSources } from './operations-matrix.js';

/** The command that brings every generated document up to date. */
export const REGENERATE_COMMAND = 'npm run build && node dist/core/cli/main.js docs --write';

export interface GeneratedDoc {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly text: string;
}

export type DocSources = MatrixSources;

/** The repository (or installed package) root: the folder holding profiles/. */
export const DOCS_ROOT = dirname(profilesDir);

export const DEFAULT_DOC_SOURCES: DocSources = Object.freeze({
  root: DOCS_ROOT,
  pluginsDir: BUILTIN_PLUGINS_DIR,
});

export async function generateDocs(sources: DocSources = DEFAULT_DOC_SOURCES): Promise<GeneratedDoc[]> {
  return [
    { file: 'docs/operations-matrix.md', text: await generateOperationsMatrix(sources) },
    { file: 'docs/configuration.md', text: generateConfigurationReference() },
  ];
}

export interface StaleDoc {
  readonly file: string;
  /** First differing line (1-based), or 0 when the file is missing. */
  readonly line: number;
  readonly expected: string;
  readonly actual: string;
}

/** Generated documents whose committed copy under `root` differs from a fresh generation. */
export function staleDocs(docs: readonly GeneratedDoc[], root: string = DOCS_ROOT): StaleDoc[] {
  const stale: StaleDoc[] = [];
  for (const doc of docs) {
    const path = join(root, doc.file);
    if (!existsSync(path)) {
      stale.push({ file: doc.file, line: 0, expected: '', actual: '' });
      continue;
    }
    const committed = readFileSync(path, 'utf8');
    if (committed === doc.text) continue;
    const a = committed.split('\n');
    const e = doc.text.split('\n');
    let i = 0;
    while (i < Math.max(a.length, e.length) && a[i] === e[i]) i++;
    stale.push({
      file: doc.file,
      line: i + 1,
      expected: e[i] ?? '<end of file>',
      actual: a[i] ?? '<end of file>',
    });
  }
  return stale;
}

export function describeStale(stale: readonly StaleDoc[]): string {
  return [
    ...stale.map((s) =>
      s.line === 0
        ? `${s.file} is missing`
        : `${s.file} is stale from line ${s.line}:\n  committed: ${s.actual}\n  generated: ${s.expected}`,
    ),
    `Regenerate with: ${REGENERATE_COMMAND}`,
  ].join('\n');
}

export function writeDocs(docs: readonly GeneratedDoc[], root: string = DOCS_ROOT): void {
  for (const doc of docs) writeFileSync(join(root, doc.file), doc.text);
}
