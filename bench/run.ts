/**
 * `npm run bench` — the benchmark suite: every scenario in bench/scenarios/ against Krypton,
 * the bare TLS echo server and the PyKMIP server, each in its own process on loopback, with the
 * same load generator; results as markdown, JSON and an SVG latency plot in bench/results/.
 *
 *   npm run bench -- [--scenario TEXT]... [--duration S] [--warmup S] [--count N]
 *                    [--connections N] [--pipeline N] [--quick] [--label NAME] [--list]
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDevPki } from '../core/auth/pki.js';
import { encodeTtlv } from '../core/ttlv/encoder.js';
import { startEchoServer } from './baselines/echo-server.js';
import { coreStoreMissing, startCoreServer } from './baselines/core-server.js';
import type { CoreStore } from './baselines/core-server.js';
import { pykmipMissing, startPykmipServer } from './baselines/pykmip-server.js';
import type { PykmipServer } from './baselines/pykmip-server.js';
import { closeChannels, connectTtlv, openChannel, openChannels } from './load/channels.js';
import type { Endpoint, KmipChannel, TlsMaterial } from './load/channels.js';
import { ScenarioSkip, runLoad } from './load/generator.js';
import { startKryptonServer } from './load/krypton-server.js';
import type { KryptonServer } from './load/krypton-server.js';
import type { ServerProcess } from './load/server-process.js';
import { topSelfTime } from './report/cpu-profile.js';
import { renderMarkdown } from './report/markdown.js';
import { describeMachine, loadAverage1 } from './report/results.js';
import type { BenchReport, ScenarioResult } from './report/results.js';
import { renderLatencySvg } from './report/svg.js';
import { SCENARIOS, selectScenarios } from './scenarios/scenarios.js';
import type { EchoReply, IdleScenario, LoadScenario, Scenario } from './scenarios/scenarios.js';
import { evaluateTargets } from './scenarios/targets.js';

const USAGE = `usage: npm run bench -- [options]

  --scenario TEXT     run the scenarios whose name contains TEXT (repeatable; --list shows them)
  --duration S        measured seconds per scenario (default 10; --quick 2)
  --warmup S          unrecorded warm-up seconds (default 2; --quick 0.5)
  --count N           measure N iterations instead of a duration (bounded by a deadline)
  --connections N     override every scenario's connection count
  --pipeline N        requests in flight per connection (default 1; PyKMIP scenarios stay at 1)
  --quick             short runs, for a smoke test
  --label NAME        results file names: bench/results/NAME.{json,md,svg} (default latest)
  --out DIR           results folder (default bench/results)
  --profile-server    run the shared Krypton server under node --cpu-prof; top costs in the report
  --set PATH=VALUE    a Krypton setting for every Krypton server (repeatable), e.g. audit.fsync=interval
  --no-progress       no progress bar even on a terminal
  --list              list the scenarios and exit`;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/**
 * A state directory of its own for each Krypton process (it locks its audit log and database),
 * holding a copy of the benchmark's PKI so every server trusts the same client certificate.
 */
function kryptonStateDir(workDir: string, name: string): string {
  const dir = join(workDir, name);
  if (!existsSync(join(dir, 'pki'))) cpSync(join(workDir, 'pki'), join(dir, 'pki'), { recursive: true });
  return dir;
}

interface Flags {
  filters: string[];
  durationS: number;
  warmupS: number;
  count: number | undefined;
  connections: number | undefined;
  pipeline: number;
  quick: boolean;
  label: string;
  outDir: string;
  profileServer: boolean;
  /** `krypton serve --set` overrides for every Krypton process. */
  kryptonSettings: Record<string, string>;
  progress: boolean;
  list: boolean;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got '${value}'`);
  return n;
}

function parseFlags(argv: string[]): Flags | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      count: { type: 'string' },
      connections: { type: 'string' },
      pipeline: { type: 'string' },
      quick: { type: 'boolean', default: false },
      label: { type: 'string' },
      out: { type: 'string' },
      'profile-server': { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      'no-progress': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick ?? false;
  const label = values.label ?? 'latest';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(label)) throw new Error(`--label: letters, digits, . _ - only`);
  const kryptonSettings: Record<string, string> = {};
  for (const s of values.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`--set expects PATH=VALUE, got '${s}'`);
    kryptonSettings[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return {
    filters: values.scenario ?? [],
    durationS: positive('duration', values.duration, quick ? 2 : 10),
    warmupS: values.warmup === '0' ? 0 : positive('warmup', values.warmup, quick ? 0.5 : 2),
    count: values.count !== undefined ? Math.round(positive('count', values.count, 1)) : undefined,
    connections:
      values.connections !== undefined
        ? Math.round(positive('connections', values.connections, 1))
        : undefined,
    pipeline: Math.round(positive('pipeline', values.pipeline, 1)),
    quick,
    label,
    outDir: values.out ?? join(repoRoot(), 'bench', 'results'),
    profileServer: values['profile-server'] ?? false,
    kryptonSettings,
    progress: !(values['no-progress'] ?? false) && process.stderr.isTTY === true,
    list: values.list ?? false,
  };
}

/** Servers started on first use and stopped at the end (or when a scenario needs a fresh one). */
class ServerPool {
  private krypton: Promise<KryptonServer> | undefined;
  private pykmip: Promise<PykmipServer | string> | undefined;
  private readonly echo = new Map<EchoReply, Promise<{ process: ServerProcess; port: number }>>();
  private readonly core = new Map<CoreStore, Promise<KryptonServer | string>>();
  private readonly started: { stop(): Promise<unknown> }[] = [];

  constructor(
    private readonly workDir: string,
    private readonly pkiDir: string,
    private readonly tls: TlsMaterial,
    private readonly profileDir: string | undefined,
    private readonly kryptonSettings: Record<string, string>,
  ) {}

  kryptonServer(): Promise<KryptonServer> {
    this.krypton ??= startKryptonServer({
      stateDir: kryptonStateDir(this.workDir, 'krypton'),
      settings: { 'limits.maxConnectionsPerPeer': 256, ...this.kryptonSettings },
      ...(this.profileDir && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`] }),
    }).then((s) => {
      this.started.push(s);
      return s;
    });
    return this.krypton;
  }

  /** A core on SQLite or PostgreSQL, started on first use (or why it cannot run here). */
  coreServer(store: CoreStore): Promise<KryptonServer | string> {
    let server = this.core.get(store);
    if (!server) {
      const missing = coreStoreMissing(store);
      server = missing
        ? Promise.resolve(missing)
        : startCoreServer({
            stateDir: kryptonStateDir(this.workDir, `krypton-core-${store}`),
            store,
            settings: this.kryptonSettings,
            ...(this.profileDir && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`] }),
          }).then((s) => {
            this.started.push(s);
            return s;
          });
      this.core.set(store, server);
    }
    return server;
  }

  async endpoint(scenario: LoadScenario): Promise<Endpoint | string> {
    switch (scenario.server) {
      case 'krypton-core-sqlite':
      case 'krypton-core-postgres': {
        const k = await this.coreServer(scenario.server === 'krypton-core-sqlite' ? 'sqlite' : 'postgres');
        if (typeof k === 'string') return k;
        if (scenario.transport === 'https') {
          if (k.httpsPort === undefined) return 'the HTTPS listener is disabled in the core profile';
          return { host: '127.0.0.1', port: k.httpsPort, transport: 'https' };
        }
        return { host: '127.0.0.1', port: k.ttlvPort, transport: 'ttlv' };
      }
      case 'krypton': {
        const k = await this.kryptonServer();
        if (scenario.transport === 'https') {
          if (k.httpsPort === undefined) return 'the HTTPS listener is disabled in this profile';
          return { host: '127.0.0.1', port: k.httpsPort, transport: 'https' };
        }
        return { host: '127.0.0.1', port: k.ttlvPort, transport: 'ttlv' };
      }
      case 'pykmip': {
        this.pykmip ??= (async () => {
          const missing = await pykmipMissing();
          if (missing) return missing;
          const dir = join(this.workDir, 'pykmip');
          mkdirSync(dir, { recursive: true });
          const s = await startPykmipServer(dir, this.pkiDir);
          this.started.push(s);
          return s;
        })();
        const p = await this.pykmip;
        if (typeof p === 'string') return p;
        return { host: '127.0.0.1', port: p.port, transport: 'ttlv', maxTlsVersion: 'TLSv1.2' };
      }
      case 'echo': {
        const reply = scenario.echoReply;
        if (!reply) return 'echo scenario without an echoReply';
        let server = this.echo.get(reply);
        if (!server) {
          server = (async () => {
            const tree = await reply(async () => {
              const k = await this.kryptonServer();
              return openChannel({ host: '127.0.0.1', port: k.ttlvPort, transport: 'ttlv' }, this.tls);
            });
            const file = join(this.workDir, `echo-reply-${this.echo.size}.ttlv`);
            writeFileSync(file, encodeTtlv(tree));
            const s = await startEchoServer(this.pkiDir, file);
            this.started.push(s.process);
            return s;
          })();
          this.echo.set(reply, server);
        }
        return { host: '127.0.0.1', port: (await server).port, transport: 'ttlv' };
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.started.splice(0).map((s) => s.stop()));
  }
}

function baseResult(s: Scenario, connections: number, pipeline: number): ScenarioResult {
  return {
    name: s.name,
    title: s.title,
    group: s.group,
    server: s.server,
    transport: s.kind === 'load' ? s.transport : 'ttlv',
    connections,
    pipeline,
    status: 'ok',
    loadAverage: loadAverage1(),
  };
}

async function runLoadScenario(
  s: LoadScenario,
  flags: Flags,
  pool: ServerPool,
  tls: TlsMaterial,
): Promise<ScenarioResult> {
  const connections = flags.connections ?? s.connections;
  const pipeline = s.server === 'pykmip' ? 1 : (s.pipeline ?? flags.pipeline);
  const result = baseResult(s, connections, pipeline);
  const endpoint = await pool.endpoint(s);
  if (typeof endpoint === 'string') return { ...result, status: 'skipped', reason: endpoint };
  let channels: KmipChannel[] = [];
  try {
    channels = await openChannels(endpoint, tls, connections);
    const iteration = await s.operation({ channel: channels[0] as KmipChannel, server: s.server });
    const load = await runLoad({
      label: s.name,
      channels,
      pipeline,
      warmupMs: flags.warmupS * 1000,
      durationMs: flags.durationS * 1000,
      ...(flags.count !== undefined && { count: flags.count }),
      iteration,
      progress: flags.progress,
    });
    return {
      ...result,
      iterations: load.iterations,
      errors: load.errors,
      ...(load.firstError !== undefined && { firstError: load.firstError }),
      truncated: load.truncated,
      elapsedS: load.elapsedS,
      rate: load.rate,
      latency: load.latency,
      ...(load.iterations === 0 && {
        status: 'failed' as const,
        reason: load.firstError ?? 'no iteration completed',
      }),
    };
  } catch (err) {
    if (err instanceof ScenarioSkip)
      return {
        ...result,
        status: 'skipped',
        reason: `${s.server.startsWith('krypton') ? 'Krypton' : s.server} ${err.reason}`,
      };
    return {
      ...result,
      status: 'failed',
      reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
    };
  } finally {
    await closeChannels(channels);
  }
}

/** A fresh server (so earlier load does not inflate it), RSS before and with N idle connections. */
async function runIdleScenario(
  s: IdleScenario,
  flags: Flags,
  workDir: string,
  tls: TlsMaterial,
): Promise<ScenarioResult> {
  const connections = flags.connections ?? s.connections;
  const result = baseResult(s, connections, 0);
  const clients: KmipChannel[] = [];
  let server: KryptonServer | undefined;
  try {
    server = await startKryptonServer({
      stateDir: kryptonStateDir(workDir, 'krypton-idle'),
      settings: {
        'limits.maxConnections': connections + 64,
        'limits.maxConnectionsPerPeer': connections + 64,
        ...flags.kryptonSettings,
      },
    });
    await new Promise((r) => setTimeout(r, 1000));
    const rssIdleBytes = server.process.rssBytes();
    const endpoint: Endpoint = { host: '127.0.0.1', port: server.ttlvPort, transport: 'ttlv' };
    const started = Date.now();
    for (let i = 0; i < connections; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, connections - i) }, () => connectTtlv(endpoint, tls)),
      );
      clients.push(...batch);
      if (flags.progress)
        process.stderr.write(`\ropening idle connections: ${clients.length}/${connections}\x1b[K`);
      if (Date.now() - started > 120_000)
        throw new Error(`only ${clients.length} connections opened in 120 s`);
    }
    if (flags.progress) process.stderr.write('\r\x1b[K');
    await new Promise((r) => setTimeout(r, 2000)); // let the server settle (TLS buffers, GC)
    const rssWithConnectionsBytes = server.process.rssBytes();
    if (rssIdleBytes === undefined || rssWithConnectionsBytes === undefined)
      return { ...result, status: 'skipped', reason: 'no /proc on this system: RSS not readable' };
    return {
      ...result,
      memory: {
        connections,
        rssIdleBytes,
        rssWithConnectionsBytes,
        perConnectionBytes: Math.round((rssWithConnectionsBytes - rssIdleBytes) / connections),
      },
    };
  } catch (err) {
    return {
      ...result,
      status: 'failed',
      reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
    };
  } finally {
    await closeChannels(clients);
    await server?.stop();
  }
}

function summaryLine(r: ScenarioResult): string {
  if (r.status !== 'ok') return `${r.name}: ${r.status} — ${r.reason ?? ''}`;
  if (r.memory)
    return `${r.name}: RSS ${(r.memory.rssWithConnectionsBytes / 1048576).toFixed(0)} MB with ${r.memory.connections} idle connections`;
  const l = r.latency;
  return `${r.name}: ${Math.round(r.rate ?? 0).toLocaleString('en-US')}/s, p50 ${l?.p50Us} µs, p99 ${l?.p99Us} µs, p99.9 ${l?.p999Us} µs${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  let flags: Flags | undefined;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!flags) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (flags.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(44)} ${s.title}\n`);
    return 0;
  }
  let scenarios = selectScenarios(flags.filters);
  if (flags.connections !== undefined) {
    // One run per base scenario at the forced connection count.
    const seen = new Set<string>();
    scenarios = scenarios.flatMap((s) => {
      const name = s.kind === 'load' ? s.name.replace(/\/c\d+$/, `/c${flags.connections}`) : s.name;
      if (seen.has(name)) return [];
      seen.add(name);
      return [{ ...s, name, title: s.title.replace(/\d+ conn$/, `${flags.connections} conn`) }];
    });
  }
  if (scenarios.length === 0) {
    process.stderr.write(`bench: no scenario matches ${flags.filters.join(', ')} (see --list)\n`);
    return 2;
  }

  const startLoad = loadAverage1();
  let maxLoad = startLoad;
  const startedAt = new Date().toISOString();
  const workDir = mkdtempSync(join(tmpdir(), 'krypton-bench-'));
  const profileDir = flags.profileServer ? join(workDir, 'cpu-profiles') : undefined;
  const results: ScenarioResult[] = [];
  let pool: ServerPool | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('\nbench: interrupted; finishing the current scenario and stopping the servers\n');
  };
  process.once('SIGINT', onSignal);
  try {
    process.stderr.write(`bench: creating a development PKI in ${workDir}\n`);
    const files = await createDevPki(join(workDir, 'pki'));
    const tls: TlsMaterial = {
      ca: readFileSync(files.ca),
      cert: readFileSync(files.client),
      key: readFileSync(files.clientKey),
    };
    pool = new ServerPool(workDir, files.dir, tls, profileDir, flags.kryptonSettings);
    for (const s of scenarios) {
      if (interrupted) break;
      const r =
        s.kind === 'load'
          ? await runLoadScenario(s, flags, pool, tls)
          : await runIdleScenario(s, flags, workDir, tls);
      maxLoad = Math.max(maxLoad, loadAverage1());
      results.push(r);
      process.stdout.write(summaryLine(r) + '\n');
    }
  } catch (err) {
    await pool?.stopAll();
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  } finally {
    await pool?.stopAll();
    process.off('SIGINT', onSignal);
  }

  const byName = new Map(results.map((r) => [r.name, r]));
  const report: BenchReport = {
    label: flags.label,
    startedAt,
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    machine: describeMachine(),
    settings: {
      durationS: flags.durationS,
      warmupS: flags.warmupS,
      ...(flags.count !== undefined && { count: flags.count }),
      pipeline: flags.pipeline,
      quick: flags.quick,
      profileServer: flags.profileServer,
      kryptonSettings: flags.kryptonSettings,
    },
    // The benchmark itself adds little before it starts; a busy machine shows at the start.
    underLoad: startLoad > 0.5,
    loadAverage: { start: startLoad, max: maxLoad },
    results,
    targets: evaluateTargets(byName),
  };
  mkdirSync(flags.outDir, { recursive: true });
  if (profileDir && existsSync(profileDir)) {
    const newest = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profileDir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (newest) {
      const kept = join(flags.outDir, `${flags.label}.cpuprofile`);
      writeFileSync(kept, readFileSync(newest));
      report.profile = { file: `${flags.label}.cpuprofile`, ...topSelfTime(newest, repoRoot()) };
    }
  }
  const svgName = `${flags.label}.svg`;
  writeFileSync(join(flags.outDir, `${flags.label}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(
    join(flags.outDir, svgName),
    renderLatencySvg(results, `Krypton benchmark (${flags.label}): latency by percentile`),
  );
  const markdown = renderMarkdown(report, svgName);
  writeFileSync(join(flags.outDir, `${flags.label}.md`), markdown);
  process.stdout.write('\n' + markdown);
  process.stdout.write(`\nwritten: ${join(flags.outDir, flags.label)}.{md,json,svg}\n`);
  rmSync(workDir, { recursive: true, force: true });
  return 0;
}

function invokedDirectly(): boolean {
  return process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
