/**
 * `npm run bench:gateway` — the gateway's hot path: Encrypt and Decrypt of a 32-byte DEK under a
 * cached L3 (AES key wrap with padding), TTLV over mutual TLS, at 1 and 16 connections, against
 * a core and a gateway running as two processes on loopback; and a bare Node TLS echo server
 * answering frames of the same size, measured in the same run. Targets: at 16 connections the
 * gateway's request rate ≥ 60 % of the echo server's; at 1 connection p50 ≤ 0.2 ms, p99 ≤ 1 ms,
 * p99.9 ≤ 5 ms. Each row also shows the CPU time per request of the server (all its processes,
 * from /proc) and of this load generator over the measured phase: steadier than the rates on a
 * shared machine. Results in bench/results/gateway.{json,md}.
 *
 *   npm run bench:gateway -- [--duration S] [--warmup S] [--profile-server DIR] [--echo-work-us N]
 *                            [--gateway-workers N] [--gateway-set key=value ...]
 *
 * `--profile-server DIR` runs the gateway under `node --cpu-prof` and leaves its profile in DIR.
 * `--echo-work-us N` adds, at 1 connection, an echo server that spends N µs of CPU on each frame
 * before answering: what a server doing that much work per request gets on this machine.
 * `--gateway-set key=value` (repeatable) overrides a setting of the gateway's profile, as
 * `krypton serve --set` does (e.g. `audit.fsync=always`, `workers=2`).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KmipClient } from '../core/client/client.js';
import { splitPki, writeCoreProfile, writeGatewayProfile } from '../core/gateway/split.js';
import { BlockCipherMode, Operation, Tag } from '../core/spec/index.js';
import { encodeTtlv } from '../core/ttlv/encoder.js';
import { byteString, child, enumeration, structure, textString } from '../core/ttlv/tree.js';
import type { StructureItem } from '../core/ttlv/types.js';
import { startEchoServer } from './baselines/echo-server.js';
import { closeChannels, openChannels, type KmipChannel, type TlsMaterial } from './load/channels.js';
import { runLoad, type LoadResult } from './load/generator.js';
import { startServerProcess, type ServerProcess } from './load/server-process.js';
import { describeMachine } from './report/results.js';
import { expectSuccess, requestMessage } from './scenarios/requests.js';

const compiledRoot = fileURLToPath(new URL('../', import.meta.url));
const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  return process.cwd();
})();

async function serve(
  name: string,
  profile: string,
  nodeArgs: string[] = [],
  serveArgs: string[] = [],
): Promise<{ process: ServerProcess; port: number }> {
  const proc = await startServerProcess({
    name,
    command: process.execPath,
    args: [
      ...nodeArgs,
      join(compiledRoot, 'core', 'cli', 'main.js'),
      'serve',
      '--profile',
      profile,
      ...serveArgs,
    ],
    readyPattern: /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/,
    timeoutMs: 60_000,
  });
  return { process: proc, port: Number(proc.match?.[1]) };
}

interface Row {
  readonly target: string;
  readonly operation: string;
  readonly connections: number;
  readonly result: LoadResult;
  /** CPU time per request over the measured phase: the server's (all its processes) and this client's. */
  readonly serverCpuUs: number | undefined;
  readonly clientCpuUs: number;
}

const ms = (us: number) => (us / 1000).toFixed(3);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      out: { type: 'string', default: join(repoRoot, 'bench', 'results') },
      'profile-server': { type: 'string' },
      'gateway-workers': { type: 'string', default: '1' },
      'echo-work-us': { type: 'string', default: '0' },
      'gateway-set': { type: 'string', multiple: true, default: [] },
    },
  });
  const durationMs = Number(values.duration) * 1000;
  const warmupMs = Number(values.warmup) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'krypton-bench-gateway-'));
  const running: ServerProcess[] = [];
  try {
    const pki = await splitPki(dir);
    const core = await serve(
      'core',
      writeCoreProfile(dir, pki, { ports: { ttlv: 0, https: 0, admin: 0 }, logLevel: 'warn' }),
    );
    running.push(core.process);
    const gateway = await serve(
      'gateway',
      writeGatewayProfile(dir, pki, core.port, { ports: { ttlv: 0, https: 0, admin: 0 }, logLevel: 'warn' }),
      values['profile-server'] ? ['--cpu-prof', '--cpu-prof-dir', values['profile-server']] : [],
      [
        '--set',
        `workers=${Number(values['gateway-workers'])}`,
        ...(values['gateway-set'] ?? []).flatMap((s) => ['--set', s]),
      ],
    );
    running.push(gateway.process);
    const tls: TlsMaterial = {
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.client),
      key: readFileSync(pki.clientKey),
    };
    const setup = await KmipClient.connect({ host: '127.0.0.1', port: gateway.port, ...tls });
    const l3 = (
      await setup.create({
        attributes: {
          CryptographicAlgorithm: 'AES',
          CryptographicLength: 256,
          CryptographicUsageMask: ['Encrypt', 'Decrypt', 'WrapKey', 'UnwrapKey'],
          'x-krypton-level': 'L3',
          ActivationDate: new Date(),
        },
      })
    ).uniqueIdentifier;
    await setup.close();
    const dek = randomBytes(32);
    const params = structure(Tag.CryptographicParameters, [
      enumeration(Tag.BlockCipherMode, BlockCipherMode.AESKeyWrapPadding),
    ]);
    const encryptRequest = requestMessage('2.1', Operation.Encrypt, [
      textString(Tag.UniqueIdentifier, l3),
      params,
      byteString(Tag.Data, dek),
    ]);
    const probe = (
      await openChannels({ host: '127.0.0.1', port: gateway.port, transport: 'ttlv' }, tls, 1)
    )[0]!;
    const encrypted = await probe.send(encryptRequest);
    const wrapped = child(expectSuccess(encrypted, 'Encrypt'), Tag.Data);
    if (wrapped?.type !== 'ByteString') throw new Error('Encrypt answered no Data');
    const decryptRequest = requestMessage('2.1', Operation.Decrypt, [
      textString(Tag.UniqueIdentifier, l3),
      params,
      byteString(Tag.Data, wrapped.value),
    ]);
    await probe.close();
    // The echo baseline answers each frame with the gateway's own Encrypt answer (same size).
    const replyFile = join(dir, 'reply.ttlv');
    writeFileSync(replyFile, encodeTtlv(encrypted));
    const echo = await startEchoServer(pki.dir, replyFile);
    running.push(echo.process);
    const workUs = Number(values['echo-work-us']);
    const busyEcho = workUs > 0 ? await startEchoServer(pki.dir, replyFile, workUs) : undefined;
    if (busyEcho) running.push(busyEcho.process);

    const rows: Row[] = [];
    const measure = async (
      target: string,
      server: ServerProcess,
      port: number,
      operation: string,
      request: StructureItem,
      connections: number,
    ) => {
      const channels: KmipChannel[] = await openChannels(
        { host: '127.0.0.1', port, transport: 'ttlv' },
        tls,
        connections,
      );
      try {
        let serverCpu0: number | undefined;
        let clientCpu0 = process.cpuUsage();
        const result = await runLoad({
          label: `${target} ${operation} ×${connections}`,
          channels,
          pipeline: 1,
          warmupMs,
          durationMs,
          onMeasureStart: () => {
            serverCpu0 = server.cpuSeconds();
            clientCpu0 = process.cpuUsage();
          },
          iteration: async (ch) => {
            const answer = await ch.send(request);
            if (target !== 'echo') expectSuccess(answer, operation);
          },
        });
        const serverCpu1 = server.cpuSeconds();
        const client = process.cpuUsage(clientCpu0);
        const perRequest = (seconds: number) => (seconds * 1e6) / Math.max(result.iterations, 1);
        rows.push({
          target,
          operation,
          connections,
          result,
          serverCpuUs:
            serverCpu0 !== undefined && serverCpu1 !== undefined
              ? perRequest(serverCpu1 - serverCpu0)
              : undefined,
          clientCpuUs: perRequest((client.user + client.system) / 1e6),
        });
      } finally {
        await closeChannels(channels);
      }
    };
    for (const connections of [1, 16]) {
      await measure('gateway', gateway.process, gateway.port, 'Encrypt', encryptRequest, connections);
      await measure('gateway', gateway.process, gateway.port, 'Decrypt', decryptRequest, connections);
      await measure('echo', echo.process, echo.port, 'Encrypt-sized echo', encryptRequest, connections);
      if (busyEcho && connections === 1) {
        await measure(
          'echo+work',
          busyEcho.process,
          busyEcho.port,
          `echo after ${workUs} µs of work`,
          encryptRequest,
          1,
        );
      }
    }

    const find = (t: string, op: string, c: number) =>
      rows.find((r) => r.target === t && r.operation.startsWith(op) && r.connections === c)!.result;
    const echo16 = find('echo', 'Encrypt', 16).rate;
    const echo1p50 = find('echo', 'Encrypt', 1).latency.p50Us;
    const targets = [
      ...['Encrypt', 'Decrypt'].map((op) => {
        const share = find('gateway', op, 16).rate / echo16;
        return {
          what: `${op} ×16 rate vs echo ×16`,
          value: `${(share * 100).toFixed(0)} %`,
          ok: share >= 0.6,
        };
      }),
      ...['Encrypt', 'Decrypt'].flatMap((op) => {
        const l = find('gateway', op, 1).latency;
        return [
          { what: `${op} ×1 p50`, value: `${ms(l.p50Us)} ms`, ok: l.p50Us <= 200 },
          {
            what: `${op} ×1 p50 vs echo ×1 p50`,
            value: `${(l.p50Us / echo1p50).toFixed(2)}×`,
            ok: l.p50Us <= 1.5 * echo1p50,
          },
          { what: `${op} ×1 p99`, value: `${ms(l.p99Us)} ms`, ok: l.p99Us <= 1000 },
          { what: `${op} ×1 p99.9`, value: `${ms(l.p999Us)} ms`, ok: l.p999Us <= 5000 },
        ];
      }),
    ];
    const machine = describeMachine();
    const md = [
      `Gateway hot path — ${new Date().toISOString()} — ${JSON.stringify(machine)}`,
      '',
      '| target | operation | connections | requests/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | client CPU µs/req |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.target} | ${r.operation} | ${r.connections} | ${Math.round(r.result.rate)} | ${ms(r.result.latency.p50Us)} | ${ms(r.result.latency.p99Us)} | ${ms(r.result.latency.p999Us)} | ${r.result.errors} | ${r.serverCpuUs === undefined ? '–' : r.serverCpuUs.toFixed(1)} | ${r.clientCpuUs.toFixed(1)} |`,
      ),
      '',
      '| target | measured | met |',
      '|---|---:|:---:|',
      ...targets.map((t) => `| ${t.what} | ${t.value} | ${t.ok ? 'yes' : 'NO'} |`),
      '',
    ].join('\n');
    process.stdout.write(md + '\n');
    mkdirSync(values.out!, { recursive: true });
    writeFileSync(join(values.out!, 'gateway.md'), md);
    writeFileSync(
      join(values.out!, 'gateway.json'),
      JSON.stringify({ machine, durationMs, warmupMs, rows, targets }, null, 2) + '\n',
    );
    return rows.some((r) => r.result.errors > 0) ? 1 : 0;
  } finally {
    for (const p of running.reverse()) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:gateway: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
