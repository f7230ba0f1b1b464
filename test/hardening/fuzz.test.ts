/**
 * Fuzzing in `npm test`: every target with a fixed seed (20,000 cases each in CI, 20,000
 * elsewhere unless KRYPTON_FUZZ_RUNS says otherwise), then every saved regression vector.
 * Long runs: `npm run fuzz` (test/hardening/fuzz-long.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/shared.js';
import { FUZZ_SEEDS, FUZZ_TARGETS, fuzzTarget } from './fuzz-targets.js';

const runs = Number(process.env.KRYPTON_FUZZ_RUNS ?? 20_000);
const seedOverride = process.env.KRYPTON_FUZZ_SEED ? Number(process.env.KRYPTON_FUZZ_SEED) : undefined;

for (const name of Object.keys(FUZZ_TARGETS)) {
  test(`fuzz-${name}-${runs}-cases-no-crash-or-uncoded-error`, { timeout: 600_000 }, async () => {
    const seed = seedOverride ?? (FUZZ_SEEDS[name] as number);
    const failure = await fuzzTarget(name, runs, seed);
    assert.equal(
      failure,
      undefined,
      failure && `seed ${seed}: ${failure.error}\ninput ${Buffer.from(failure.input.bytes).toString('hex')}`,
    );
  });
}

interface SavedVector {
  target: string;
  hex: string;
  cuts?: number[];
  note?: string;
}

const vectorDir = join(repoRoot, 'test', 'hardening', 'vectors');
const vectors = readdirSync(vectorDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

for (const file of vectors) {
  test(`regression-vector-${file.replace(/\.json$/, '')}`, async () => {
    const v = JSON.parse(readFileSync(join(vectorDir, file), 'utf8')) as SavedVector;
    const target = FUZZ_TARGETS[v.target];
    assert.ok(target, `vector names an unknown target ${v.target}`);
    await target.run({ bytes: Buffer.from(v.hex, 'hex'), ...(v.cuts && { cuts: v.cuts }) });
  });
}
