import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeKmipXmlMessages, deterministicPlaceholders } from '../../../core/encodings/index.js';
import { decodeTtlv, encodeTtlv, firstDifference, integer, structure } from '../../../core/ttlv/index.js';
import { sharedPath } from '../../support/shared.js';
import { listXmlFiles } from '../../support/vectors.js';

const cli = join(import.meta.dirname, '..', '..', '..', 'core', 'cli', 'main.js');

function krypton(
  args: string[],
  input?: Buffer | string,
): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const profiles = sharedPath('kmip-vectors/oasis-profiles');

test(
  'convert-round-trips-every-oasis-message-xml-to-ttlv-to-xml-as-a-subprocess',
  { skip: profiles.skip },
  () => {
    const files = listXmlFiles(profiles.path);
    const placeholders = deterministicPlaceholders();
    const direct = files.flatMap((f) => decodeKmipXmlMessages(readFileSync(f, 'utf8'), { placeholders }));
    // every file in one sequence: two processes instead of two per file
    const toTtlv = krypton(['convert', '--from', 'xml', '--to', 'ttlv', ...files]);
    assert.equal(toTtlv.status, 0, toTtlv.stderr);
    const back = krypton(['convert', '--from', 'ttlv', '--to', 'xml'], toTtlv.stdout);
    assert.equal(back.status, 0, back.stderr);
    const roundTripped = decodeKmipXmlMessages(back.stdout.toString('utf8'));
    assert.equal(roundTripped.length, direct.length);
    direct.forEach((tree, i) =>
      assert.equal(firstDifference(roundTripped[i]!, tree), undefined, `message ${i}`),
    );
    console.log(`# krypton convert: ${files.length} files, ${direct.length} messages XML → TTLV → XML`);
    assert.equal(files.length, 393);
  },
);

test('convert-prints-a-tree-and-json-and-hex', () => {
  const msg = encodeTtlv(structure(0x420078, [integer(0x42000d, 1)]));
  const tree = krypton(['convert', '--to', 'tree'], msg);
  assert.equal(tree.status, 0, tree.stderr);
  assert.equal(tree.stdout.toString(), 'RequestMessage\n  BatchCount: Integer = 1\n');
  const hex = krypton(['convert', '--to', 'hex'], msg);
  assert.equal(hex.stdout.toString().trim(), msg.toString('hex'));
  const json = krypton(['convert', '--from', 'hex', '--to', 'json'], hex.stdout);
  assert.deepEqual(JSON.parse(json.stdout.toString()), {
    tag: 'RequestMessage',
    value: [{ tag: 'BatchCount', type: 'Integer', value: 1 }],
  });
  const ttlv = krypton(['convert', '--to', 'ttlv'], json.stdout);
  assert.deepEqual(decodeTtlv(ttlv.stdout), decodeTtlv(msg));
});

test('convert-reports-bad-input-in-one-line-with-offset-or-element-and-exit-1', () => {
  const truncated = krypton(['convert', '--from', 'hex', '--to', 'json'], '42007801000000104200');
  assert.equal(truncated.status, 1);
  assert.match(truncated.stderr, /^krypton convert: .*offset \d+/);
  assert.equal(truncated.stderr.trim().split('\n').length, 1);

  const badEnum = krypton(['convert', '--to', 'hex'], '<ObjectType type="Enumeration" value="Bogus"/>');
  assert.equal(badEnum.status, 1);
  assert.match(badEnum.stderr, /ObjectType/);

  const padding = krypton(['convert', '--from', 'hex'], '42002002000000040000000800000001');
  assert.equal(padding.status, 1);
  assert.match(padding.stderr, /padding.*offset 15/);

  assert.equal(krypton(['convert', '--to', 'yaml'], 'x').status, 1);
  assert.equal(krypton(['convert', '/no/such/file']).status, 1);
  assert.equal(
    krypton(['convert', '--strict', '--to', 'hex'], '<ActivationDate type="DateTime" value="$NOW"/>').status,
    1,
  );
});
