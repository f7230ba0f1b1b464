/**
 * SECURITY-CHECKLIST 34 at the server level: two core servers in one process on one SoftHSM2
 * token initialise the PKCS#11 library once, and while they serve, every key operation reaches
 * the HSM through the asynchronous PKCS#11 calls (libuv worker threads), never a synchronous one
 * that would hold the event loop. The adapter-level proofs (the event loop turns during 50
 * unwraps; one library shared by adapters) are in test/hsm-adapters/softhsm.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { KmipClient } from '../../core/client/client.js';
import {
  acquirePkcs11Module,
  pkcs11js,
  releasePkcs11Module,
} from '../../hsm-adapters/pkcs11-module-registry.js';
import {
  SOFTHSM2_MODULE,
  provisionSoftHsmToken,
  softHsmAvailable,
  type SoftHsmToken,
} from '../../hsm-adapters/softhsm-token.js';
import { inCI } from '../support/shared.js';
import { startCore, tenantPki, type CoreServer } from './tenants.js';

const available = await softHsmAvailable();
if (!available && inCI)
  throw new Error('CI must install softhsm2: the server-level HSM test may not be skipped');
const skip = available ? false : 'SoftHSM2 is not installed: apt-get install softhsm2';

/** Heavy PKCS#11 calls that have an asynchronous twin: the server must use the twin. */
const HEAVY = [
  'C_WrapKey',
  'C_UnwrapKey',
  'C_Encrypt',
  'C_Decrypt',
  'C_GenerateKey',
  'C_EncryptFinal',
] as const;

describe('pkcs11 hsm under a serving core', { skip }, () => {
  let token: SoftHsmToken;
  const servers: CoreServer[] = [];
  let initialisations = 0;
  const calls = new Map<string, number>();

  before(async () => {
    token = await provisionSoftHsmToken({
      tokenLabel: 'krypton-hard',
      userPin: '4711-hard',
      soPin: 'so-8472',
    });
    process.env.KRYPTON_TEST_HARD_PIN = '4711-hard';
    // Count C_Initialize on every library instance of this process.
    const proto = pkcs11js().PKCS11.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const init = proto.C_Initialize!;
    proto.C_Initialize = function (this: unknown, ...args: unknown[]) {
      initialisations += 1;
      return init.apply(this, args);
    };
    const hsm = {
      adapter: 'pkcs11',
      module: token.modulePath,
      tokenLabel: 'krypton-hard',
      pinEnv: 'KRYPTON_TEST_HARD_PIN',
    };
    // cacheTtlMs 1: every use reloads its keys, so each request reaches the HSM (L1 unwraps the L2).
    for (let i = 0; i < 2; i++)
      servers.push(await startCore('sqlite', { hsm, keys: { cacheTtlMs: 1, rootCheckIntervalMs: 0 } }));
    // Count the heavy calls on the one shared library from here on.
    const module = acquirePkcs11Module(SOFTHSM2_MODULE);
    const lib = module.library as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of HEAVY) {
      for (const variant of [name, `${name}Async`]) {
        const original = lib[variant];
        if (typeof original !== 'function') continue;
        lib[variant] = function (this: unknown, ...args: unknown[]) {
          calls.set(variant, (calls.get(variant) ?? 0) + 1);
          return original.apply(module.library, args);
        };
      }
    }
    releasePkcs11Module(module);
  });
  after(async () => {
    for (const s of servers) await s.close();
    await token?.remove();
  });

  it('two-servers-in-one-process-initialise-the-pkcs11-library-once', () => {
    assert.equal(servers.length, 2);
    assert.equal(initialisations, 1, 'C_Initialize calls in this process');
  });

  it('serving-key-operations-reach-the-hsm-only-through-asynchronous-pkcs11-calls', async () => {
    const p = await tenantPki();
    calls.clear();
    const clients = await Promise.all(
      servers.map((s) =>
        KmipClient.connect({
          host: '127.0.0.1',
          port: s.port,
          ca: readFileSync(p.ca),
          cert: readFileSync(p.certs.alice.cert),
          key: readFileSync(p.certs.alice.key),
        }),
      ),
    );
    try {
      const attrs = {
        CryptographicAlgorithm: 'AES',
        CryptographicLength: 256,
        CryptographicUsageMask: ['Encrypt', 'Decrypt'],
        ActivationDate: new Date(Date.now() - 1000),
      };
      let ticks = 0;
      let spinning = true;
      const spin = (): void => {
        if (!spinning) return;
        ticks += 1;
        setImmediate(spin);
      };
      setImmediate(spin);
      await Promise.all(
        clients.map(async (c) => {
          const id = (await c.create({ attributes: attrs })).uniqueIdentifier; // a new L2 for the tenant
          for (let i = 0; i < 20; i++) {
            await new Promise((r) => setTimeout(r, 2)); // past the 1 ms cache TTL
            await c.encrypt({ uniqueIdentifier: id, data: Buffer.alloc(32, i) });
          }
        }),
      );
      spinning = false;
      const sync = HEAVY.filter((n) => (calls.get(n) ?? 0) > 0).map((n) => `${n} x${calls.get(n)}`);
      const asyncCalls = HEAVY.reduce((n, name) => n + (calls.get(`${name}Async`) ?? 0), 0);
      assert.deepEqual(sync, [], 'synchronous PKCS#11 calls while serving');
      assert.ok(asyncCalls >= 20, `asynchronous PKCS#11 calls while serving: ${asyncCalls}`);
      assert.ok(ticks > 0, 'the event loop turned while the HSM worked');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
