/**
 * The full crash-safety run: `node <build>/test/hardening/crash-full.js [cycles] [sqlite|postgres]...`
 * (default 10 cycles on SQLite and on PostgreSQL; PostgreSQL from KRYPTON_TEST_PG_URL). Prints a
 * line per cycle and a summary; exits 1 on the first violation.
 */
import { runCrashCycles, type CrashReport } from './crash.js';
import { PG_URL, type Adapter } from './tenants.js';

const args = process.argv.slice(2);
const cycles = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const asked = args.filter((a): a is Adapter => a === 'sqlite' || a === 'postgres');
const adapters: Adapter[] = asked.length > 0 ? asked : ['sqlite', 'postgres'];

const reports: CrashReport[] = [];
try {
  for (const adapter of adapters) {
    if (adapter === 'postgres' && !PG_URL) throw new Error('set KRYPTON_TEST_PG_URL for the PostgreSQL run');
    reports.push(await runCrashCycles({ adapter, cycles, log: (l) => process.stdout.write(`${l}\n`) }));
  }
} catch (err) {
  process.stderr.write(`crash safety FAILED: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
for (const r of reports) {
  const sum = (f: (c: CrashReport['cycles'][number]) => number) => r.cycles.reduce((n, c) => n + f(c), 0);
  process.stdout.write(
    `${r.adapter}: ${r.cycles.length} SIGKILL cycles passed; acknowledged ${sum((c) => c.acknowledgedCreates)} creates and ` +
      `${sum((c) => c.acknowledgedRekeys)} rekeys, all retrievable and intact; ${sum((c) => c.inFlight)} requests in flight at the kills; ` +
      `restart ${Math.min(...r.cycles.map((c) => c.restartMs))}-${Math.max(...r.cycles.map((c) => c.restartMs))} ms; ` +
      `${r.cycles.at(-1)?.objectsChecked ?? 0} objects whole at the end\n`,
  );
}
process.exit(0);
