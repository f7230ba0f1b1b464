/** The shape of a benchmark run's results (the JSON written to bench/results/) and the machine. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { LatencySummary } from '../load/histogram.js';
import type { TargetOutcome } from '../scenarios/targets.js';

export interface MemoryFigures {
  connections: number;
  /** Server RSS once started, before any connection. */
  rssIdleBytes: number;
  /** Server RSS with all connections open and idle. */
  rssWithConnectionsBytes: number;
  perConnectionBytes: number;
}

export interface ScenarioResult {
  name: string;
  title: string;
  group: string;
  server: string;
  transport: string;
  connections: number;
  pipeline: number;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  iterations?: number;
  errors?: number;
  firstError?: string;
  truncated?: boolean;
  elapsedS?: number;
  /** Iterations per second. */
  rate?: number;
  latency?: LatencySummary;
  memory?: MemoryFigures;
  /** 1-minute load average when the scenario started: other work on the machine shows here. */
  loadAverage: number;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export interface BenchSettings {
  durationS: number;
  warmupS: number;
  count?: number;
  pipeline: number;
  quick: boolean;
  profileServer: boolean;
  /** `krypton serve --set` overrides the run used (empty: the profile's defaults). */
  kryptonSettings?: Record<string, string>;
}

export interface BenchReport {
  label: string;
  startedAt: string;
  command: string;
  machine: MachineInfo;
  settings: BenchSettings;
  /** True when the load average showed other work during the run: figures are a floor. */
  underLoad: boolean;
  loadAverage: { start: number; max: number };
  results: ScenarioResult[];
  targets: TargetOutcome[];
  /** Top self-time functions of the server's CPU profile, when --profile-server was given. */
  profile?: {
    file: string;
    totalMs: number;
    top: { function: string; location: string; selfMs: number; percent: number }[];
  };
}

function lscpuModel(): string | undefined {
  try {
    const out = execFileSync('lscpu', [], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    return /^Model name:\s+(.+)$/m.exec(out)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export function describeMachine(): MachineInfo {
  return {
    cpuModel: lscpuModel() ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
  };
}

export const loadAverage1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;
