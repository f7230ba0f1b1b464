/** The benchmark's own arithmetic and output: percentiles, rounding, targets, SVG, selection. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder, round3 } from '../../bench/load/histogram.js';
import { renderMarkdown } from '../../bench/report/markdown.js';
import type { BenchReport, ScenarioResult } from '../../bench/report/results.js';
import { renderLatencySvg } from '../../bench/report/svg.js';
import { scenarioMatches, SCENARIOS } from '../../bench/scenarios/scenarios.js';
import { evaluateTargets } from '../../bench/scenarios/targets.js';

function result(name: string, rate: number, p50Us: number, connections = 16): ScenarioResult {
  const recorder = new LatencyRecorder();
  recorder.recordNs(p50Us * 1000);
  return {
    name,
    title: `${name} <&>`,
    group: 'transport',
    server: name.startsWith('echo') ? 'echo' : 'krypton',
    transport: 'ttlv',
    connections,
    pipeline: 1,
    status: 'ok',
    iterations: 1,
    rate,
    latency: recorder.summary(),
    loadAverage: 0,
  };
}

test('histogram-percentiles-in-microseconds-from-nanosecond-samples', () => {
  const r = new LatencyRecorder();
  for (let i = 1; i <= 1000; i++) r.recordNs(i * 1000); // 1 µs … 1 ms
  const s = r.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50Us - 500) <= 1, `p50 ${s.p50Us}`);
  assert.ok(Math.abs(s.p99Us - 990) <= 1, `p99 ${s.p99Us}`);
  assert.ok(Math.abs(s.maxUs - 1000) <= 1, `max ${s.maxUs}`);
  assert.equal(s.spectrum.at(-1)?.[0], 100);
});

test('histogram-clamps-values-outside-its-range-instead-of-throwing', () => {
  const r = new LatencyRecorder();
  r.recordNs(0);
  r.recordNs(1e15);
  assert.equal(r.count, 2);
});

test('round3-keeps-three-significant-digits-and-whole-numbers-above-1000', () => {
  assert.equal(round3(123456.7), 123457);
  assert.equal(round3(85.4321), 85.4);
  assert.equal(round3(0.012345), 0.0123);
  assert.equal(round3(0), 0);
});

test('targets-compare-scenarios-and-name-what-did-not-run', () => {
  const results = new Map([
    ['krypton-ttlv/query/c16', result('krypton-ttlv/query/c16', 6000, 2000)],
    ['echo/query-size/c16', result('echo/query-size/c16', 10000, 1000)],
  ]);
  const outcomes = evaluateTargets(results);
  const query = outcomes.find((t) => t.id === 'query-rate-vs-echo-c16');
  assert.equal(query?.status, 'met');
  assert.match(query?.measured ?? '', /^60 %/);
  const encrypt = outcomes.find((t) => t.id === 'encrypt-rate-vs-echo-c16');
  assert.equal(encrypt?.status, 'not measured');
  assert.match(encrypt?.measured ?? '', /krypton-ttlv\/encrypt-dek\/c16 did not run/);
  results.set('krypton-ttlv/query/c16', result('krypton-ttlv/query/c16', 5000, 2000));
  assert.equal(evaluateTargets(results).find((t) => t.id === 'query-rate-vs-echo-c16')?.status, 'missed');
});

test('svg-escapes-titles-and-draws-one-line-per-measured-scenario', () => {
  const svg = renderLatencySvg(
    [
      result('echo/a/c1', 1, 50, 1),
      result('krypton/b/c1', 1, 80, 1),
      { ...result('x/c1', 1, 1, 1), status: 'skipped' },
    ],
    'plot',
  );
  assert.match(svg, /^<svg /);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.ok(svg.includes('&lt;&amp;&gt;') && !svg.includes('<&>'));
});

function reportOf(results: ScenarioResult[], underLoad: boolean): BenchReport {
  return {
    label: 't',
    startedAt: '2026-01-01T00:00:00Z',
    command: 'npm run bench',
    machine: { cpuModel: 'cpu', cores: 2, memoryGiB: 4, node: 'v20', os: 'linux' },
    settings: { durationS: 1, warmupS: 0, pipeline: 1, quick: true, profileServer: false },
    underLoad,
    loadAverage: underLoad ? { start: 3, max: 4 } : { start: 0, max: 0 },
    results,
    targets: [],
  };
}

test('markdown-marks-figures-taken-under-load', () => {
  const report = reportOf([result('echo/a/c1', 1234, 50, 1)], true);
  const md = renderMarkdown(report);
  assert.match(md, /taken under load/);
  assert.match(md, /\| 1,234\/s \| 50 µs \|/);
  assert.doesNotMatch(renderMarkdown({ ...report, underLoad: false }), /taken under load/);
});

test('markdown-sets-each-pykmip-scenario-beside-kryptons-1-4-twin', () => {
  const report = reportOf(
    [
      result('pykmip/locate/c16', 40, 20_000),
      result('krypton-ttlv/locate-1.4/c16', 500, 1_600),
      // No Krypton twin: no row.
      result('pykmip/query/c1', 300, 3_000, 1),
    ],
    false,
  );
  const md = renderMarkdown(report);
  assert.match(md, /## Against PyKMIP/);
  assert.match(md, /\| locate \| 16 \| 500\/s \| 40\/s \| \*\*12\.5×\*\* \| 1\.60 ms \| 20\.0 ms \|/);
  assert.doesNotMatch(md, /\| query \| 1 \|/);
  // Every PyKMIP scenario has its Krypton twin.
  const names = new Set(SCENARIOS.map((s) => s.name));
  for (const name of names) {
    const m = /^pykmip\/(.+)\/c(\d+)$/.exec(name);
    if (m) assert.ok(names.has(`krypton-ttlv/${m[1]}-1.4/c${m[2]}`), `${name} has no Krypton twin`);
  }
});

test('scenario-filters-match-whole-segments-when-they-contain-a-slash', () => {
  assert.ok(scenarioMatches('krypton-ttlv/query/c1', 'query/c1'));
  assert.ok(!scenarioMatches('krypton-ttlv/query/c16', 'query/c1'));
  assert.ok(scenarioMatches('pykmip/query/c16', 'pykmip/'));
  assert.ok(scenarioMatches('krypton-ttlv/idle-1000', 'idle'));
  assert.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length, 'scenario names are unique');
});
