/**
 * Servers under test run in their own process, so the load generator never shares an event
 * loop with them and their resident memory can be read alone. Each process is started here,
 * waited for, measured and stopped by its own pid (and its process group, for servers that
 * fork helpers, like PyKMIP's multiprocessing manager).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface ServerProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves once this matches the process output (stdout and stderr together)... */
  readyPattern?: RegExp;
  /** ...or once this loopback port accepts TCP connections. */
  readyPort?: number;
  timeoutMs?: number;
  cwd?: string;
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** The readyPattern match, when one was given. */
  readonly match: RegExpExecArray | undefined;
  /** Output so far (last 64 KiB), for error messages. */
  output(): string;
  /** Resident set size in bytes (Linux /proc), undefined where unavailable. */
  rssBytes(): number | undefined;
  /** CPU time (user + system) of the process and its live descendants, in seconds (Linux /proc). */
  cpuSeconds(): number | undefined;
  /** SIGTERM, then SIGKILL to the process group after graceMs. Resolves once it exited. */
  stop(graceMs?: number): Promise<number | null>;
}

const OUTPUT_KEEP = 64 * 1024;

function probePort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system) used so far by `pid` and every live process below it — a server
 * running `workers: N` is N + 1 processes. Linux /proc only; undefined elsewhere.
 */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command (which may hold spaces): state is 3rd, utime 14th, stime 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : [])
        ticks += (readCpuSeconds(Number(child)) ?? 0) * USER_HZ;
    }
    return ticks / USER_HZ;
  } catch {
    return undefined;
  }
}

export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(opts.command, opts.args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() can reach helpers it forked
  });
  let out = '';
  const append = (c: Buffer) => {
    out += c.toString();
    if (out.length > OUTPUT_KEEP) out = out.slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let match: RegExpExecArray | undefined;
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  try {
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(`${opts.name} exited with ${exitCode} before it was ready:\n${out}`);
      if (opts.readyPattern) {
        match = opts.readyPattern.exec(out) ?? undefined;
        if (match) break;
      } else if (opts.readyPort !== undefined && (await probePort(opts.readyPort))) break;
      if (Date.now() > deadline) throw new Error(`${opts.name} was not ready after ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    kill('SIGKILL');
    await exited;
    throw err;
  }

  const pid = child.pid as number;
  let stopping: Promise<number | null> | undefined;
  return {
    name: opts.name,
    pid,
    match,
    output: () => out,
    rssBytes: () => readRssBytes(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    stop(graceMs = 15_000) {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        kill('SIGTERM');
        const timer = setTimeout(() => kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
}
