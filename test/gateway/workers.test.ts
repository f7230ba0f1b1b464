/**
 * `workers: 2` — a gateway served by two worker processes on shared ports, as real processes
 * behind a real core: connections spread over both workers (each audits into its own chain,
 * verified by `krypton audit verify --profile`), the primary's admin listener sums the workers'
 * metrics and reports readiness, a killed worker is replaced while the other keeps serving, and
 * SIGTERM stops everything. A profile whose core store is SQLite is refused.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KmipClient } from '../../core/client/client.js';
import { startSplit, type Split } from './split-support.js';

const cli = fileURLToPath(new URL('../../core/cli/main.js', import.meta.url));
const run = promisify(execFile);

async function admin(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function workerPids(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function encryptCount(metrics: string): number {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith('krypton_kmip_operations_total{') && l.includes('operation="Encrypt"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('gateway with workers: 2', () => {
  let split: Split;
  let l3: string;
  const clients: KmipClient[] = [];

  before(async () => {
    split = await startSplit({ gateway: { workers: 2 }, logLevel: 'warn' });
    const setup = await split.client();
    l3 = (
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
  });
  after(async () => {
    await split?.close();
  });

  test('the banner names the workers and the primary forked two', () => {
    assert.match(split.gateway.process.output(), /running in 2 worker processes/);
    assert.equal(workerPids(split.gateway.process.pid).length, 2);
  });

  test('connections are served by both workers, each with its own audit chain', async () => {
    for (let i = 0; i < 8; i++) clients.push(await split.client());
    const dek = Buffer.alloc(32, 0x5a);
    for (const c of clients) {
      const wrapped = await c.encrypt({
        uniqueIdentifier: l3,
        data: dek,
        cryptographicParameters: { BlockCipherMode: 'AESKeyWrapPadding' },
      });
      const back = await c.decrypt({
        uniqueIdentifier: l3,
        data: wrapped.data!,
        cryptographicParameters: { BlockCipherMode: 'AESKeyWrapPadding' },
      });
      assert.deepEqual(Buffer.from(back.data!), dek);
    }
    // An L4 created through one worker is served by every worker (one vault).
    const l4 = (
      await clients[0]!.create({
        attributes: {
          CryptographicAlgorithm: 'AES',
          CryptographicLength: 256,
          'x-krypton-wrapping-key': l3,
          ActivationDate: new Date(),
        },
      })
    ).uniqueIdentifier;
    const material = (await clients[0]!.get(l4)).keyMaterial;
    assert.equal(material?.length, 32);
    for (const c of clients) assert.deepEqual((await c.get(l4)).keyMaterial, material);
    const audit = join(split.dir, 'gateway', 'audit');
    const w1 = join(audit, 'audit.w1.jsonl');
    const w2 = join(audit, 'audit.w2.jsonl');
    assert.ok(existsSync(w1) && existsSync(w2), 'each worker writes its own audit file');
    const encrypts = (f: string) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"Encrypt"')).length;
    assert.ok(encrypts(w1) > 0 && encrypts(w2) > 0, 'round robin gave both workers connections');
    assert.ok(!existsSync(join(audit, 'audit.jsonl')), 'the primary writes no audit file');
    const { stdout } = await run(process.execPath, [
      cli,
      'audit',
      'verify',
      '--profile',
      join(split.dir, 'gateway.json'),
    ]);
    assert.match(stdout, /audit\.w1\.jsonl: \d+ records, chain intact/);
    assert.match(stdout, /audit\.w2\.jsonl: \d+ records, chain intact/);
  });

  test('the admin listener sums the workers and reports readiness', async () => {
    const port = split.gateway.adminPort;
    assert.equal((await admin(port, '/readyz')).status, 200);
    const metrics = await admin(port, '/metrics');
    assert.equal(metrics.status, 200);
    assert.ok(
      encryptCount(metrics.body) >= 8,
      `8 Encrypts summed over the workers:\n${metrics.body.slice(0, 400)}`,
    );
  });

  test('a killed worker is replaced; the other keeps serving meanwhile', async () => {
    const before = workerPids(split.gateway.process.pid);
    process.kill(before[0] as number, 'SIGKILL');
    // New connections land on a live worker while the replacement starts.
    const c = await split.client();
    await c.encrypt({
      uniqueIdentifier: l3,
      data: Buffer.alloc(32, 1),
      cryptographicParameters: { BlockCipherMode: 'AESKeyWrapPadding' },
    });
    const after = await until('a replacement worker', async () => {
      const pids = workerPids(split.gateway.process.pid);
      return pids.length === 2 && !pids.includes(before[0] as number) ? pids : undefined;
    });
    assert.ok(after.includes(before[1] as number));
    await until('readiness of both workers', async () =>
      (await admin(split.gateway.adminPort, '/readyz')).status === 200 ? true : undefined,
    );
  });

  test('SIGTERM stops the primary and its workers', async () => {
    const pids = workerPids(split.gateway.process.pid);
    for (const c of clients) await c.close().catch(() => undefined);
    const code = await split.gateway.process.stop();
    assert.equal(code, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'worker is gone');
  });
});

test('workers > 1 with a SQLite core store is refused at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-workers-'));
  const profile = join(dir, 'refused.json');
  writeFileSync(
    profile,
    JSON.stringify({
      name: 'x',
      role: 'standalone',
      stateDir: dir,
      workers: 2,
      storage: { adapter: 'sqlite' },
    }),
  );
  const failed = await run(process.execPath, [cli, 'serve', '--profile', profile]).then(
    () => undefined,
    (err: { code: number; stderr: string }) => err,
  );
  assert.ok(failed, 'serve must fail');
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /workers > 1 needs storage\.adapter postgres/);
  assert.ok(!existsSync(join(dir, 'pki')), 'refused before anything was created');
  rmSync(dir, { recursive: true, force: true });
});
