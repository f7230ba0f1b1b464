import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OVERRIDABLE_SETTINGS, envNameOf } from '../../core/config/load.js';
import {
  generateConfigurationReference,
  undescribedSettings,
} from '../../core/cli/docs/configuration-reference.js';
import {
  REGENERATE_COMMAND,
  describeStale,
  generateDocs,
  staleDocs,
} from '../../core/cli/docs/generated-docs.js';
import { generateOperationsMatrix } from '../../core/cli/docs/operations-matrix.js';
import { repoRoot } from '../support/shared.js';

test('committed-generated-docs-match-a-fresh-generation', async () => {
  const stale = staleDocs(await generateDocs(), repoRoot);
  assert.deepEqual(stale, [], describeStale(stale));
});

test('every-profile-setting-has-a-description', () => {
  assert.deepEqual(
    undescribedSettings(),
    [],
    'describe new settings in core/cli/docs/setting-descriptions.ts (or a schema `description`)',
  );
});

test('configuration-reference-lists-every-overridable-setting-with-its-environment-variable', () => {
  const text = generateConfigurationReference();
  for (const path of OVERRIDABLE_SETTINGS.keys()) {
    const line = text.split('\n').find((l) => l.startsWith(`| \`${path}\``));
    assert.ok(line, `${path} is missing`);
    assert.ok(line.includes(`\`${envNameOf(path)}\``), `${path}: environment variable missing`);
  }
  const frame = text.split('\n').find((l) => l.startsWith('| `limits.maxFrameBytes`'));
  assert.match(frame ?? '', /\| integer \| `1048576` \| 1024–67108864 \|/);
});

/** A root with two profiles and a plugins folder holding one standard and one vendor operation. */
function fixtureRoot(): { root: string; pluginsDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'krypton-docs-'));
  const pluginsDir = join(root, 'built-plugins');
  mkdirSync(join(root, 'profiles'));
  mkdirSync(pluginsDir);
  const mark = "[Symbol.for('krypton.operation')]: true";
  writeFileSync(
    join(pluginsDir, 'locate.js'),
    `export const locate = { operation: 'Locate', phase: 1, roles: ['core'], permission: 'locate', ${mark} };\n`,
  );
  writeFileSync(
    join(pluginsDir, 'vendor.js'),
    `export const v = { operation: { name: 'VendorThing', code: 0x80000E42 }, phase: 2, roles: ['gateway'],` +
      ` permission: 'thing', versions: ['2.1'], ${mark} };\n`,
  );
  // One operation, two descriptors: the gateway serves Get locally in phase 1, the core in phase 2.
  mkdirSync(join(pluginsDir, 'gateway'));
  writeFileSync(
    join(pluginsDir, 'gateway', 'get.js'),
    `export const get = { operation: 'Get', phase: 1, roles: ['gateway'], permission: 'get', ${mark} };\n`,
  );
  writeFileSync(
    join(pluginsDir, 'get.js'),
    `export const get = { operation: 'Get', phase: 2, roles: ['core'], permission: 'get', ${mark} };\n`,
  );
  const profile = (name: string, role: string, phases: number[], plugins: string[]) =>
    writeFileSync(join(root, 'profiles', `${name}.json`), JSON.stringify({ name, role, phases, plugins }));
  profile('a-core', 'core', [1, 2], ['builtin:locate', 'builtin:vendor', 'builtin:get']);
  profile('b-gateway-phase1', 'gateway', [1], ['builtin:locate', 'builtin:vendor', 'builtin:gateway/get']);
  return { root, pluginsDir };
}

function rowOf(text: string, name: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`| ${name} |`));
  assert.ok(line, `no row for ${name}`);
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

test('operations-matrix-marks-an-operation-loaded-only-where-role-phase-and-plugin-list-agree', async () => {
  const text = await generateOperationsMatrix(fixtureRoot());
  // Operation, Code, 7 versions, Phase, Roles, Permission, a-core, b-gateway-phase1
  const locate = rowOf(text, 'Locate');
  assert.deepEqual(locate.slice(9), ['1', 'core', '`locate`', '✓', '']);
  assert.deepEqual(locate.slice(2, 9), ['✓', '✓', '✓', '✓', '✓', '✓', '✓']);
  const rekey = rowOf(text, 'Re-key');
  assert.deepEqual(rekey.slice(9), ['—', 'not implemented', '—', '', '']);
  assert.deepEqual(rekey.slice(2, 9), ['○', '○', '○', '○', '○', '○', '○']);
  const ping = rowOf(text, 'Ping');
  assert.deepEqual(ping.slice(2, 9), ['', '', '', '', '', '', '○'], 'Ping exists in 2.1 only');
  // gateway-only, phase 2: the core profile does not serve it, the phase-1 gateway neither.
  const vendor = rowOf(text, 'VendorThing');
  assert.deepEqual(vendor.slice(1), [
    '0x80000E42',
    '○',
    '○',
    '○',
    '○',
    '○',
    '○',
    '✓',
    '2',
    'gateway',
    '`thing`',
    '',
    '',
  ]);
  assert.match(text, /\| `builtin:vendor` \| VendorThing \|/);
});

test('operations-matrix-combines-the-gateway-and-core-descriptors-of-one-operation', async () => {
  const text = await generateOperationsMatrix(fixtureRoot());
  assert.deepEqual(rowOf(text, 'Get').slice(9), [
    '1, 2',
    'gateway (phase 1); core (phase 2)',
    '`get`',
    '✓',
    '✓',
  ]);
  assert.match(text, /\| `builtin:gateway\/get` \| Get \|/);
});

test('stale-check-names-the-file-the-first-differing-line-and-the-regenerate-command', async () => {
  const { root, pluginsDir } = fixtureRoot();
  mkdirSync(join(root, 'docs'));
  const docs = await generateDocs({ root, pluginsDir });
  assert.equal(staleDocs(docs, root).length, docs.length, 'missing files are stale');
  for (const d of docs) writeFileSync(join(root, d.file), d.text);
  assert.deepEqual(staleDocs(docs, root), []);
  const matrix = join(root, 'docs/operations-matrix.md');
  const lines = readFileSync(matrix, 'utf8').split('\n');
  lines[2] = 'edited by hand';
  writeFileSync(matrix, lines.join('\n'));
  const stale = staleDocs(docs, root);
  assert.deepEqual(
    stale.map((s) => [s.file, s.line, s.actual]),
    [['docs/operations-matrix.md', 3, 'edited by hand']],
  );
  assert.ok(describeStale(stale).includes(REGENERATE_COMMAND));
});
