/**
 * `npm run bench:keys`: wrap/unwrap per second through SoftHSM2 and the software adapter, and
 * the hot path — wrapping a 32-byte DEK under a cached L3 in the key hierarchy (target ≥ 100,000/s
 * on one core). KRYPTON_BENCH_SECONDS sets the length of each run [3].
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyHierarchy } from '../core/keys/key-hierarchy.js';
import type { KeyRecord, KeyRecordStore, NewKeyRecord } from '../core/keys/key-records.js';
import type { Hsm } from '../hsm-adapters/hsm.js';
import { Pkcs11Hsm } from '../hsm-adapters/pkcs11.js';
import { provisionSoftHsmToken, softHsmAvailable } from '../hsm-adapters/softhsm-token.js';
import { SoftwareHsm } from '../hsm-adapters/software.js';

const SECONDS = Number(process.env.KRYPTON_BENCH_SECONDS ?? '3');
const BATCH = 64;

interface Result {
  readonly name: string;
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly meanMicros: number;
}

/** Runs `op` with `concurrency` callers in flight for SECONDS; returns throughput. */
async function measure(name: string, concurrency: number, op: () => Promise<unknown>): Promise<Result> {
  for (let i = 0; i < 200; i++) await op(); // warm-up
  const deadline = performance.now() + SECONDS * 1000;
  let ops = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // The clock is read once per batch so the harness costs little next to a ~6 µs operation.
      while (performance.now() < deadline) {
        for (let i = 0; i < BATCH; i++) await op();
        ops += BATCH;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const result = {
    name,
    ops,
    opsPerSecond: Math.round(ops / elapsed),
    meanMicros: (elapsed * 1e6 * concurrency) / ops,
  };
  console.log(
    `${name.padEnd(58)} ${String(result.opsPerSecond).padStart(9)} ops/s   mean ${result.meanMicros.toFixed(1)} µs`,
  );
  return result;
}

async function benchHsm(label: string, hsm: Hsm, concurrency: number[]): Promise<Result[]> {
  await hsm.open();
  const root = await hsm.findOrCreateRootKey(`bench-root-${Date.now()}`);
  const key = randomBytes(32);
  const wrapped = await hsm.wrapKey(root, key);
  const out: Result[] = [];
  for (const c of concurrency) {
    out.push(
      await measure(`${label}: wrap 32-byte key under L1 (concurrency ${c})`, c, () =>
        hsm.wrapKey(root, key),
      ),
    );
    out.push(
      await measure(`${label}: unwrap 32-byte key under L1 (concurrency ${c})`, c, async () =>
        (await hsm.unwrapKey(root, wrapped)).fill(0),
      ),
    );
  }
  return out;
}

class BenchRecords implements KeyRecordStore {
  readonly records = new Map<string, KeyRecord>();
  #next = 0;
  async getKeyRecord(id: string) {
    return this.records.get(id);
  }
  async findTenantKey(tenant: string) {
    return [...this.records.values()].find(
      (r) => r.level === 'L2' && r.tenant === tenant && !r.replacementId,
    );
  }
  async insertKey(r: NewKeyRecord) {
    const id = `k${++this.#next}`;
    this.records.set(id, { id, state: 'Active', ...r });
    return id;
  }
  async insertReplacement(): Promise<string> {
    throw new Error('not used');
  }
  async updateWrapping(): Promise<boolean> {
    return false;
  }
}

async function main(): Promise<void> {
  console.log(
    `# keys benchmark: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${SECONDS} s per run`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'krypton-bench-keys-'));
  const results: Result[] = [];
  try {
    if (await softHsmAvailable()) {
      const token = await provisionSoftHsmToken({
        tokenLabel: 'bench',
        userPin: 'bench-pin',
        soPin: 'bench-so',
      });
      process.env.KRYPTON_BENCH_PIN = token.userPin;
      const softhsm = new Pkcs11Hsm({
        modulePath: token.modulePath,
        tokenLabel: token.tokenLabel,
        pin: { env: 'KRYPTON_BENCH_PIN' },
        sessionPoolSize: 4,
      });
      results.push(...(await benchHsm('SoftHSM2 (pkcs11)', softhsm, [1, 4])));
      await softhsm.close();
      await token.remove();
    } else {
      console.log('SoftHSM2 not installed (apt-get install softhsm2): SoftHSM2 runs skipped');
    }

    const software = new SoftwareHsm({ path: join(dir, 'root.bin'), passphrase: { value: 'bench' } });
    results.push(...(await benchHsm('software adapter', software, [1])));

    const keys = new KeyHierarchy({
      hsm: software,
      rootKeyLabel: 'bench-l1',
      records: new BenchRecords(),
      rootCheckIntervalMs: 0,
      sweepIntervalMs: 0,
    });
    await keys.open();
    const l3 = await keys.createServiceKey('bench-tenant');
    const dek = randomBytes(32);
    const { wrapped } = await keys.wrapUnderL3(l3, dek);
    results.push(
      await measure('key service: wrap 32-byte DEK under cached L3', 1, () => keys.wrapUnderL3(l3, dek)),
    );
    results.push(
      await measure('key service: unwrap 32-byte DEK under cached L3', 1, async () =>
        (await keys.unwrapUnderL3(l3, wrapped)).key.fill(0),
      ),
    );
    keys.close();
    await software.close();
    const hot = results.find((r) => r.name.startsWith('key service: wrap'));
    if (hot)
      console.log(`# cached-L3 wrap target ≥ 100,000/s: ${hot.opsPerSecond >= 100_000 ? 'met' : 'NOT met'}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
