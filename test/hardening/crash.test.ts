/**
 * Crash safety in `npm test`: two SIGKILL cycles of a core child process under concurrent
 * Create/Rekey load, on SQLite and on PostgreSQL (crash.ts says what is checked). The full run —
 * 10 cycles per backend — is `node <build>/test/hardening/crash-full.js` (docs/security.md);
 * KRYPTON_CRASH_CYCLES changes the count here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCrashCycles } from './crash.js';
import { postgresSkip, type Adapter } from './tenants.js';

const CYCLES = Number(process.env.KRYPTON_CRASH_CYCLES ?? 2);

function suite(adapter: Adapter, skip: string | false): void {
  describe(`crash safety on ${adapter}`, { skip }, () => {
    it(`sigkill-under-create-and-rekey-load-loses-no-acknowledged-object-and-leaves-none-half-written-x${CYCLES}`, async (t) => {
      const report = await runCrashCycles({ adapter, cycles: CYCLES, log: (l) => t.diagnostic(l) });
      assert.equal(report.cycles.length, CYCLES);
      const acknowledged = report.cycles.reduce(
        (n, c) => n + c.acknowledgedCreates + c.acknowledgedRekeys,
        0,
      );
      assert.ok(acknowledged > 0, 'the load was acknowledged before the kills');
      assert.ok(
        report.cycles.some((c) => c.acknowledgedRekeys > 0),
        'rekeys were acknowledged in at least one cycle',
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
