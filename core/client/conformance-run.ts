/**
 * Runs a set of OASIS test-case files against a target: reads each file, decides skips (the
 * skip rules first, then what the server does not offer), gives each file a fresh state when
 * the target can (else cleans up what the file created), and collects outcomes. Shared by
 * `krypton conformance`, the conformance test and the expectation writer.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { KmipClient } from './client.js';
import {
  missingCapabilities,
  readTestCase,
  readTestCaseDir,
  replayTestCase,
  ruleMatches,
  serverCapabilities,
  type FileOutcome,
  type ServerCapabilities,
  type TestCase,
} from './oasis-replay.js';

export interface SkipRule {
  /** File name without `.xml` (`TL-M-2-21`) or a pattern with `*` (`PKCS11-*`). */
  match?: string;
  operation?: string;
  objectType?: string;
  algorithm?: string;
  /**
   * Only against these targets (ReplayTarget names): what one deployment refuses by design, e.g.
   * the core alone never returning an L3 in the clear, while the same file passes elsewhere.
   */
  targets?: readonly string[];
  reason: string;
}

export interface ReplayTarget {
  readonly name: string;
  /** A client for one file; `fresh` when it talks to a state nobody else touched. */
  open(): Promise<{ client: KmipClient; fresh: boolean; release(): Promise<void> }>;
}

/** Every test case under the paths: `.xml` files, and folders of `N-request.xml` / `N-response.xml`. */
export function findTestCases(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isFile()) {
      if (p.toLowerCase().endsWith('.xml')) out.push(p);
      return;
    }
    const entries = readdirSync(p).sort();
    if (entries.includes('0-request.xml')) {
      out.push(p);
      return;
    }
    for (const e of entries) visit(join(p, e));
  };
  for (const p of paths) visit(p);
  return out;
}

export function loadTestCase(path: string): TestCase {
  return statSync(path).isDirectory() ? readTestCaseDir(path, readdirSync(path)) : readTestCase(path);
}

/** The first skip rule that applies to a test case. */
export function ruleFor(tc: TestCase, rules: readonly SkipRule[], target?: string): SkipRule | undefined {
  return rules.find(
    (r) =>
      (r.targets === undefined || (target !== undefined && r.targets.includes(target))) &&
      (r.match === undefined || ruleMatches(r.match, tc.name)) &&
      (r.operation === undefined || tc.operations.includes(r.operation)) &&
      (r.objectType === undefined || tc.objectTypes.includes(r.objectType)) &&
      (r.algorithm === undefined || tc.algorithms.includes(r.algorithm)) &&
      (r.match !== undefined ||
        r.operation !== undefined ||
        r.objectType !== undefined ||
        r.algorithm !== undefined),
  );
}

/**
 * Cases that continue another: SASED-M-3 Locates the Secret Data that SASED-M-2 registered (its
 * Object Group `SASED-M-2-NN-group`), TL-M-3 the key TL-M-2 registered. On a fresh state the
 * earlier case is replayed first in the same session; its failure fails the later one.
 */
const CONTINUES: Readonly<Record<string, string>> = Object.freeze({
  'SASED-M-3': 'SASED-M-2',
  'TL-M-3': 'TL-M-2',
});

function predecessorOf(path: string): string | undefined {
  const m = /^(.*[\\/])?([A-Z-]+-M-\d+)(-\d+\.xml)$/i.exec(path);
  const earlier = m ? CONTINUES[m[2]!] : undefined;
  if (!m || earlier === undefined) return undefined;
  const candidate = `${m[1] ?? ''}${earlier}${m[3]}`;
  try {
    return statSync(candidate).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

export interface RunOptions {
  rules?: readonly SkipRule[];
  /** Called after each file (progress output). */
  onOutcome?: (outcome: FileOutcome) => void;
  /** Report file paths relative to this folder. */
  root?: string;
  /** Only decide skips; run nothing (for listing what a server would be asked). */
  dryRun?: boolean;
}

export async function runConformance(
  files: readonly string[],
  target: ReplayTarget,
  options: RunOptions = {},
): Promise<{ outcomes: FileOutcome[]; capabilities: ServerCapabilities }> {
  const probe = await target.open();
  let capabilities: ServerCapabilities;
  try {
    capabilities = await serverCapabilities(probe.client);
  } finally {
    await probe.release();
  }
  const outcomes: FileOutcome[] = [];
  for (const path of files) {
    const file = options.root ? relative(options.root, path).split(sep).join('/') : path;
    let outcome: FileOutcome;
    let tc: TestCase | undefined;
    try {
      tc = loadTestCase(path);
    } catch (err) {
      outcome = {
        file,
        name: path,
        family: '?',
        version: undefined,
        status: 'fail',
        reason: `cannot read: ${(err as Error).message}`,
      };
    }
    if (tc) {
      const base = { file, name: tc.name, family: tc.family, version: tc.version };
      const rule = ruleFor(tc, options.rules ?? [], target.name);
      const missing = rule ? rule.reason : missingCapabilities(tc, capabilities);
      if (missing) outcome = { ...base, status: 'skip', reason: missing };
      else if (options.dryRun) outcome = { ...base, status: 'skip', reason: 'dry run' };
      else {
        const session = await target.open();
        try {
          const before = session.fresh ? predecessorOf(path) : undefined;
          const generated = new Set<string>();
          const setUp = before
            ? await replayTestCase(session.client, loadTestCase(before), { generated })
            : undefined;
          outcome =
            setUp !== undefined && setUp.status !== 'pass'
              ? {
                  ...base,
                  status: 'fail' as const,
                  reason: `set-up by ${setUp.name} failed: ${setUp.reason ?? ''}`,
                }
              : {
                  ...(await replayTestCase(session.client, tc, { cleanup: !session.fresh, generated })),
                  file,
                };
        } finally {
          await session.release();
        }
      }
    }
    outcomes.push(outcome!);
    options.onOutcome?.(outcome!);
  }
  return { outcomes, capabilities };
}

// ---- expectations and the report --------------------------------------------------------------

/** Per file: `pass`, `skip: <reason>` (not run) or `fail: <reason>` (known failure, counted as failed). */
export type Expectations = Record<string, string>;

export function expectationsOf(outcomes: readonly FileOutcome[]): Expectations {
  const out: Expectations = {};
  for (const o of [...outcomes].sort((a, b) => a.file.localeCompare(b.file))) {
    out[o.file] = o.status === 'pass' ? 'pass' : `${o.status}: ${o.reason ?? ''}`;
  }
  return out;
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

export function totals(outcomes: readonly FileOutcome[]): Totals {
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes) {
    if (o.status === 'pass') t.passed++;
    else if (o.status === 'fail') t.failed++;
    else t.skipped++;
  }
  return t;
}

export function totalsLine(t: Totals): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}

const VERSION_ORDER = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1'];

/** docs/conformance.md body: counts per version and profile family, failures, skips by reason. */
export function conformanceMarkdown(outcomes: readonly FileOutcome[], heading: string): string {
  const lines: string[] = [heading, ''];
  const versions = [...new Set(outcomes.map((o) => o.version ?? '?'))].sort(
    (a, b) => VERSION_ORDER.indexOf(a) - VERSION_ORDER.indexOf(b),
  );
  lines.push('| protocol | passed | failed | skipped |', '|---|---:|---:|---:|');
  for (const v of versions) {
    const t = totals(outcomes.filter((o) => (o.version ?? '?') === v));
    lines.push(`| ${v} | ${t.passed} | ${t.failed} | ${t.skipped} |`);
  }
  const all = totals(outcomes);
  lines.push(`| **all** | **${all.passed}** | **${all.failed}** | **${all.skipped}** |`, '');
  for (const v of versions) {
    lines.push(`### KMIP ${v}`, '', '| profile family | passed | failed | skipped |', '|---|---:|---:|---:|');
    const inVersion = outcomes.filter((o) => (o.version ?? '?') === v);
    for (const family of [...new Set(inVersion.map((o) => o.family))].sort()) {
      const t = totals(inVersion.filter((o) => o.family === family));
      lines.push(`| ${family} | ${t.passed} | ${t.failed} | ${t.skipped} |`);
    }
    lines.push('');
  }
  const passed = outcomes.filter((o) => o.status === 'pass');
  if (passed.length) {
    lines.push('## Passing', '', ...passed.map((o) => `- \`${o.file}\``), '');
  }
  const failed = outcomes.filter((o) => o.status === 'fail');
  if (failed.length) {
    lines.push('## Known failures', '', '| file | first difference |', '|---|---|');
    for (const o of failed) lines.push(`| \`${o.file}\` | ${(o.reason ?? '').replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  const byReason = new Map<string, string[]>();
  for (const o of outcomes.filter((x) => x.status === 'skip')) {
    const list = byReason.get(o.reason ?? '') ?? [];
    list.push(o.name);
    byReason.set(o.reason ?? '', list);
  }
  if (byReason.size) {
    lines.push('## Skip list', '', '| reason | files |', '|---|---|');
    for (const [reason, names] of [...byReason].sort(
      (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]),
    )) {
      lines.push(`| ${reason.replace(/\|/g, '\\|')} | ${names.length}: ${names.sort().join(', ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
