/** The markdown report: machine, settings, one table of scenarios, the targets. */
import type { BenchReport, ScenarioResult } from './results.js';

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** Microseconds as the most readable unit: "85 µs", "1.42 ms", "2.1 s". */
export function formatLatency(us: number): string {
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(1)} s`;
}

function row(r: ScenarioResult): string {
  const cells =
    r.status === 'ok' && r.memory
      ? [
          `RSS ${(r.memory.rssWithConnectionsBytes / 1048576).toFixed(0)} MB with ${n(r.memory.connections)} idle connections ` +
            `(${(r.memory.rssIdleBytes / 1048576).toFixed(0)} MB before, ${(r.memory.perConnectionBytes / 1024).toFixed(1)} KiB each)`,
          '',
          '',
          '',
          '',
          '',
        ]
      : r.status === 'ok' && r.latency && r.rate !== undefined
        ? [
            `${n(r.rate)}/s`,
            formatLatency(r.latency.p50Us),
            formatLatency(r.latency.p99Us),
            formatLatency(r.latency.p999Us),
            formatLatency(r.latency.maxUs),
            `${n(r.iterations ?? 0)}${r.errors ? ` (${n(r.errors)} errors)` : ''}${r.truncated ? ' (cut short)' : ''}`,
          ]
        : [`${r.status}: ${r.reason ?? ''}`, '', '', '', '', ''];
  return `| ${r.title} | ${r.pipeline} | ${cells.join(' | ')} | ${r.loadAverage.toFixed(1)} |`;
}

/**
 * The PyKMIP comparison: each `pykmip/NAME/cN` beside Krypton's `krypton-ttlv/NAME-1.4/cN`
 * (the same KMIP 1.4 requests), where both ran.
 */
export function pykmipComparison(results: readonly ScenarioResult[]): string[] {
  const ok = new Map(
    results.filter((r) => r.status === 'ok' && r.rate !== undefined).map((r) => [r.name, r]),
  );
  const rows: string[] = [];
  for (const theirs of ok.values()) {
    const m = /^pykmip\/(.+)\/c(\d+)$/.exec(theirs.name);
    const ours = m ? ok.get(`krypton-ttlv/${m[1]}-1.4/c${m[2]}`) : undefined;
    if (!m || !ours || !theirs.rate || !ours.latency || !theirs.latency) continue;
    rows.push(
      `| ${m[1]} | ${m[2]} | ${n(ours.rate ?? 0)}/s | ${n(theirs.rate)}/s | **${((ours.rate ?? 0) / theirs.rate).toFixed(1)}×** | ` +
        `${formatLatency(ours.latency.p50Us)} | ${formatLatency(theirs.latency.p50Us)} |`,
    );
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## Against PyKMIP (the same KMIP 1.4 requests)',
    '',
    '| operation | conn | Krypton | PyKMIP | rate ratio | Krypton p50 | PyKMIP p50 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

export function renderMarkdown(report: BenchReport, svgName?: string): string {
  const m = report.machine;
  const s = report.settings;
  const lines = [
    `# Krypton benchmark: ${report.label}`,
    '',
    `- Command: \`${report.command}\``,
    `- When: ${report.startedAt}`,
    `- Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`,
    `- Each scenario: ${s.warmupS} s warm-up, then ${s.count !== undefined ? `${n(s.count)} iterations` : `${s.durationS} s`}; pipeline ${s.pipeline} unless the row says otherwise`,
    ...(s.kryptonSettings && Object.keys(s.kryptonSettings).length > 0
      ? [
          `- Krypton settings: ${Object.entries(s.kryptonSettings)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')}`,
        ]
      : []),
    `- Load average ${report.loadAverage.start.toFixed(2)} at start, up to ${report.loadAverage.max.toFixed(2)} during the run` +
      (report.underLoad
        ? ' — **taken under load**: other work shared the CPU, so rates are a floor and tails are wider than on a quiet machine'
        : ''),
    '',
    '| scenario | pipeline | rate | p50 | p99 | p99.9 | max | iterations | load avg |',
    '|---|---|---|---|---|---|---|---|---|',
    ...report.results.map(row),
    '',
    '## Targets (recorded, not asserted)',
    '',
    '| target | status | measured |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.description} | ${t.status} | ${t.measured} |`),
    ...pykmipComparison(report.results),
  ];
  if (report.profile) {
    lines.push(
      '',
      `## Server CPU profile (top self time of ${n(report.profile.totalMs)} ms busy, idle excluded; ${report.profile.file})`,
      '',
      '| function | where | self | share |',
      '|---|---|---|---|',
      ...report.profile.top.map(
        (f) => `| \`${f.function}\` | ${f.location} | ${n(f.selfMs)} ms | ${f.percent.toFixed(1)} % |`,
      ),
    );
  }
  if (svgName) lines.push('', `![latency by percentile](${svgName})`);
  return lines.join('\n') + '\n';
}
