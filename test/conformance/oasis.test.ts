/**
 * The OASIS replay harness in `npm test`: every test case of ../shared/kmip-vectors against each
 * target of ./targets.ts (a fresh in-process server per file). A file expected to pass
 * (expectations/<target>.json) must pass; a known failure is reported as a todo; a skip names
 * its reason. The run prints passed / failed / skipped per protocol version and profile family.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConformance, totals, totalsLine } from '../../core/client/conformance-run.js';
import { tally } from '../../core/client/oasis-replay.js';
import { corpusFiles, readExpectations, skipRules, vectors } from './corpus.js';
import { TARGETS } from './targets.js';

const UPDATE = 'run `npm run conformance:update` and review the diff';

for (const def of TARGETS) {
  const skip = def.create ? vectors.skip : def.pending;
  test(`oasis-test-cases-replay-on-${def.name}`, { skip }, async (t) => {
    const expectations = readExpectations(def.name);
    const { outcomes } = await runConformance(corpusFiles(), def.create!(), {
      rules: skipRules(),
      root: vectors.path,
    });
    assert.ok(outcomes.length > 400, `the corpus has every file (${outcomes.length})`);
    for (const [version, families] of tally(outcomes)) {
      const v = totals(outcomes.filter((o) => (o.version ?? '?') === version));
      t.diagnostic(`KMIP ${version}: ${totalsLine(v)}`);
      for (const [family, c] of families) {
        t.diagnostic(`  ${family}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
      }
    }
    t.diagnostic(`${def.name}: ${totalsLine(totals(outcomes))}`);
    for (const o of outcomes) {
      const expected = expectations[o.file];
      if (expected === undefined) {
        await t.test(o.file, () => assert.fail(`not in expectations/${def.name}.json: ${UPDATE}`));
      } else if (expected === 'pass') {
        await t.test(o.file, () => assert.equal(o.status, 'pass', o.reason));
      } else if (expected.startsWith('fail:')) {
        await t.test(o.file, { todo: `known failure: ${o.reason ?? expected.slice(5).trim()}` }, () => {
          assert.equal(o.status, 'pass', o.reason);
        });
      } else {
        if (o.status !== 'skip') t.diagnostic(`${o.file} now runs (${o.status}): ${UPDATE}`);
        await t.test(o.file, { skip: o.reason ?? expected.slice(5).trim() }, () => undefined);
      }
    }
  });
}
