/**
 * `npm run fuzz` — long fuzz runs: every target (or those named) for `--runs` cases (default
 * 1,000,000) with a random seed (or `--seed`). A failure is saved as a named regression vector in
 * test/hardening/vectors/, which `npm test` then replays forever. Exit status 1 on any failure.
 *
 *   npm run fuzz -- --runs 1000000 [--seed N] [target ...]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../support/shared.js';
import { FUZZ_TARGETS, fuzzTarget } from './fuzz-targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '1000000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
const names = positionals.length > 0 ? positionals : Object.keys(FUZZ_TARGETS);
let failed = 0;
for (const name of names) {
  const seed = values.seed !== undefined ? Number(values.seed) : (Math.random() * 0x7fffffff) | 0;
  const started = Date.now();
  const failure = await fuzzTarget(name, runs, seed);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!failure) {
    process.stdout.write(`${name}: ${runs} cases, seed ${seed}, ${seconds} s, no failure\n`);
    continue;
  }
  failed++;
  const dir = join(repoRoot, 'test', 'hardening', 'vectors');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-seed-${seed}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        target: name,
        hex: Buffer.from(failure.input.bytes).toString('hex'),
        ...(failure.input.cuts && { cuts: failure.input.cuts }),
        note: failure.error.split('\n')[0],
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(
    `${name}: FAILED after ${seconds} s, seed ${seed}: ${failure.error.split('\n')[0]}\n  saved ${file}\n`,
  );
}
process.exitCode = failed > 0 ? 1 : 0;
