/**
 * A latency plot by hand, no plotting dependency: latency (log scale) against percentile on
 * the usual "nines" axis (x = -log10(1 - p)), one panel per connection count, one line per
 * scenario. Opens in any browser and renders on GitHub.
 */
import type { ScenarioResult } from './results.js';
import { formatLatency } from './markdown.js';

const PANEL_W = 560;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 420, top: 36, bottom: 44 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
/** The rightmost tick: 99.999 %, where "max" is drawn. */
const MAX_NINES = 5;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function nines(percentile: number): number {
  if (percentile >= 100) return MAX_NINES;
  return Math.min(MAX_NINES, -Math.log10(1 - percentile / 100));
}

/** Round values on the latency axis: "500 µs", "2 ms", "1 s". */
function axisLabel(us: number): string {
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${us / 1000} ms`;
  return `${us / 1_000_000} s`;
}

export function renderLatencySvg(results: readonly ScenarioResult[], title: string): string {
  const plotted = results.filter((r) => r.status === 'ok' && r.latency && r.latency.count > 0);
  const panels = [...new Set(plotted.map((r) => r.connections))].sort((a, b) => a - b);
  const width = MARGIN.left + PANEL_W + MARGIN.right;
  const panelTotal = MARGIN.top + PANEL_H + MARGIN.bottom;
  const height = 40 + Math.max(1, panels.length) * panelTotal;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  if (panels.length === 0)
    out.push(`<text x="${width / 2}" y="70" text-anchor="middle">no latency measured</text>`);

  panels.forEach((connections, pi) => {
    const rows = plotted.filter((r) => r.connections === connections);
    const values = rows.flatMap((r) => r.latency!.spectrum.map(([, v]) => Math.max(v, 1)));
    const lo = Math.floor(Math.log10(Math.min(...values)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
    const top = 40 + pi * panelTotal + MARGIN.top;
    const x = (p: number) => MARGIN.left + (nines(p) / MAX_NINES) * PANEL_W;
    const y = (us: number) => top + PANEL_H - ((Math.log10(Math.max(us, 1)) - lo) / (hi - lo)) * PANEL_H;

    out.push(
      `<text x="${MARGIN.left}" y="${top - 10}" font-weight="bold">${connections} connection${connections === 1 ? '' : 's'}</text>`,
      `<rect x="${MARGIN.left}" y="${top}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#888"/>`,
    );
    for (let d = lo; d <= hi; d++) {
      for (const k of d < hi ? [1, 2, 5] : [1]) {
        const us = k * 10 ** d;
        const yy = y(us).toFixed(1);
        out.push(
          `<line x1="${MARGIN.left}" x2="${MARGIN.left + PANEL_W}" y1="${yy}" y2="${yy}" stroke="${k === 1 ? '#ddd' : '#f0f0f0'}"/>`,
        );
        if (k === 1 || hi - lo <= 2)
          out.push(
            `<text x="${MARGIN.left - 6}" y="${Number(yy) + 4}" text-anchor="end">${axisLabel(us)}</text>`,
          );
      }
    }
    const ticks: [number, string][] = [
      [0, '0'],
      [90, '90%'],
      [99, '99%'],
      [99.9, '99.9%'],
      [99.99, '99.99%'],
      [100, 'max'],
    ];
    for (const [p, label] of ticks) {
      const xx = x(p).toFixed(1);
      out.push(
        `<line x1="${xx}" x2="${xx}" y1="${top}" y2="${top + PANEL_H}" stroke="#eee"/>`,
        `<text x="${xx}" y="${top + PANEL_H + 16}" text-anchor="middle">${label}</text>`,
      );
    }
    out.push(
      `<text x="${MARGIN.left + PANEL_W / 2}" y="${top + PANEL_H + 34}" text-anchor="middle">percentile</text>`,
    );

    rows.forEach((r, i) => {
      const color = COLORS[i % COLORS.length];
      const dash =
        r.server === 'echo'
          ? ' stroke-dasharray="6 3"'
          : r.server === 'pykmip'
            ? ' stroke-dasharray="2 3"'
            : '';
      const points = r.latency!.spectrum.map(([p, v]) => `${x(p).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      const ly = top + 10 + i * 18;
      const lx = MARGIN.left + PANEL_W + 14;
      out.push(
        `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
        `<text x="${lx + 30}" y="${ly + 4}">${esc(r.title.replace(/, \d+ conn$/, ''))} (p50 ${formatLatency(r.latency!.p50Us)})</text>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
