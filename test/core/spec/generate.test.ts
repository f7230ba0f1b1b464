import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSpecSources, readSpecTables, writeSpecSources } from '../../../core/spec/generate.js';
import { repoRoot, sharedPath } from '../../support/shared.js';

const tables = sharedPath('kmip-spec/tables');
const committed = join(repoRoot, 'core', 'spec', 'generated');

test('regenerating-from-the-tables-leaves-no-diff', { skip: tables.skip }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'krypton-spec-'));
  try {
    await writeSpecSources(tables.path, out);
    const files = readdirSync(out).sort();
    assert.deepEqual(
      readdirSync(committed).sort(),
      files,
      'generated file set differs from core/spec/generated',
    );
    for (const file of files) {
      const fresh = readFileSync(join(out, file), 'utf8');
      const kept = readFileSync(join(committed, file), 'utf8');
      assert.ok(fresh === kept, `core/spec/generated/${file} is stale: run npm run gen:spec`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('generation-is-deterministic', { skip: tables.skip }, async () => {
  const a = await generateSpecSources(readSpecTables(tables.path));
  const b = await generateSpecSources(readSpecTables(tables.path));
  assert.deepEqual([...a], [...b]);
  for (const [file, text] of a)
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T/, `${file} carries a timestamp`);
});

test('generator-refuses-non-contiguous-versions', { skip: tables.skip }, async () => {
  const t = readSpecTables(tables.path);
  const tag = t.tags[0];
  assert.ok(tag !== undefined);
  tag.versions = ['1.0', '1.2'];
  await assert.rejects(generateSpecSources(t), /not contiguous/);
});

test('generator-refuses-unknown-item-type', { skip: tables.skip }, async () => {
  const t = readSpecTables(tables.path);
  const tag = t.tags[0];
  assert.ok(tag !== undefined);
  tag.type = 'Float';
  await assert.rejects(generateSpecSources(t), /unknown item type/);
});
