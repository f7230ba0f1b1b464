/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums self time per function, so the report can
 * name the hot path's top costs without opening a profiler.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  function: string;
  location: string;
  selfMs: number;
  percent: number;
}

/** V8's pseudo-frames for time not spent running code: left out of the shares. */
const NOT_WORK = new Set(['(idle)', '(program)']);

/** Top functions by self time; shares are of busy time (idle excluded). */
export function topSelfTime(file: string, root: string, limit = 15): { totalMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const totals = new Map<string, SelfTime>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || NOT_WORK.has(node.callFrame.functionName)) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url || 'native';
    const location = url ? `${where}:${lineNumber + 1}` : where;
    const name = functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const entry = totals.get(key) ?? { function: name, location, selfMs: 0, percent: 0 };
    entry.selfMs += us / 1000;
    totals.set(key, entry);
  }
  const top = [...totals.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, limit)
    .map((e) => ({
      ...e,
      selfMs: Math.round(e.selfMs),
      percent: totalUs ? (e.selfMs * 100_000) / totalUs : 0,
    }));
  return { totalMs: Math.round(totalUs / 1000), top };
}
