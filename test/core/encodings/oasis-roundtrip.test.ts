import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import {
  decodeKmipJson,
  decodeKmipXml,
  decodeKmipXmlMessages,
  deterministicPlaceholders,
  encodeKmipJson,
  encodeKmipXml,
} from '../../../core/encodings/index.js';
import { decodeTtlv, encodeTtlv, firstDifference } from '../../../core/ttlv/index.js';
import { sharedPath } from '../../support/shared.js';
import { listXmlFiles } from '../../support/vectors.js';

const dir = sharedPath('kmip-vectors/oasis-profiles');

test('every-oasis-test-case-message-round-trips-xml-ttlv-json', { skip: dir.skip }, () => {
  const placeholders = deterministicPlaceholders();
  const files = listXmlFiles(dir.path);
  let messages = 0;
  const failures: string[] = [];
  for (const file of files) {
    const name = relative(dir.path, file);
    try {
      const items = decodeKmipXmlMessages(readFileSync(file, 'utf8'), { placeholders });
      assert.ok(items.length > 0, 'no messages');
      items.forEach((tree, i) => {
        const where = `${name} message ${i}`;
        assert.equal(firstDifference(decodeTtlv(encodeTtlv(tree)), tree), undefined, `${where}: TTLV`);
        assert.equal(firstDifference(decodeKmipXml(encodeKmipXml(tree)), tree), undefined, `${where}: XML`);
        assert.equal(
          firstDifference(decodeKmipJson(encodeKmipJson(tree)), tree),
          undefined,
          `${where}: JSON`,
        );
        messages++;
      });
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  console.log(`# OASIS test cases: ${files.length} files, ${messages} messages round-tripped`);
  assert.deepEqual(failures, []);
  assert.equal(files.length, 393);
});
