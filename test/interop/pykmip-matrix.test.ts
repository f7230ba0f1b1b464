/**
 * PyKMIP interop matrix: the PyKMIP 0.10 client (Debian python3-pykmip, /usr/bin/python3) runs
 * every ProxyKmipClient operation Krypton implements (all but derive_key: create, locate, check,
 * get, get_attributes, get_attribute_list, activate, encrypt, decrypt, modify_attribute and
 * delete_attribute (1.x) or set_attribute (2.0), rekey, revoke, destroy, register of every object
 * type, mac, create_key_pair, sign, signature_verify) in KMIP 1.2, 1.4 and 2.0 against two
 * targets: `krypton serve --profile standalone`, and a gateway in front of a core (two
 * `krypton serve` processes). One server (pair) per target, every version run on it, over mutual
 * TLS 1.2 with the development PKI. Skipped visibly where PyKMIP is absent, never in CI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process.js';
import { inCI, repoRoot } from '../support/shared.js';
import { startSplit, type Split } from '../gateway/split-support.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const VERSIONS = ['1.2', '1.4', '2.0'] as const;

async function pykmipAvailable(): Promise<string | false> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    await run(PYTHON, ['-c', 'import kmip']);
    return false;
  } catch {
    return 'PyKMIP is not installed for /usr/bin/python3 (apt install python3-pykmip)';
  }
}

const missing = await pykmipAvailable();
if (missing && inCI) throw new Error(`PyKMIP interop test needs PyKMIP in CI: ${missing}`);

const compiledRoot = fileURLToPath(new URL('../../', import.meta.url));
const driver = join(repoRoot, 'test', 'interop', 'pykmip-matrix.py');

/** Every step the driver records; a version lacks the steps of the other versions' attribute calls. */
const COMMON_STEPS = [
  'create',
  'locate',
  'get_attributes',
  'get_attribute_list',
  'check',
  'activate',
  'get',
  'encrypt',
  'decrypt',
  'locate_service_key',
  'rekey',
  'decrypt_after_rekey',
  'revoke',
  'destroy',
  'register_symmetric',
  'register_private_key',
  'register_public_key',
  'register_certificate',
  'register_secret_data',
  'register_opaque_object',
  'register_hmac_key',
  'get_symmetric',
  'get_private',
  'get_public',
  'get_certificate',
  'get_secret',
  'get_opaque',
  'get_hmac',
  'activate_hmac_key',
  'mac',
  'create_key_pair',
  'activate_key_pair',
  'sign',
  'signature_verify',
  'signature_verify_tampered',
  'revoke_private_key',
  'destroy_private_key',
  'revoke_public_key',
  'destroy_public_key',
];
const V1_STEPS = ['modify_attribute', 'locate_renamed', 'delete_attribute', 'get_attributes_after_delete'];
const V2_STEPS = ['set_attribute', 'get_attributes_after_set'];

interface Endpoint {
  readonly port: number;
  /** The dev PKI: client.pem, client-key.pem, ca.pem. */
  readonly pki: string;
  close(): Promise<void>;
}

interface MatrixResult {
  readonly version: string;
  readonly steps: Record<string, string>;
  readonly values: Record<string, unknown>;
}

async function runMatrix(endpoint: Endpoint, version: string): Promise<MatrixResult> {
  const { stdout } = await run(
    PYTHON,
    [
      driver,
      '127.0.0.1',
      String(endpoint.port),
      join(endpoint.pki, 'client.pem'),
      join(endpoint.pki, 'client-key.pem'),
      join(endpoint.pki, 'ca.pem'),
      version,
      join(endpoint.pki, 'ca.pem'),
    ],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as MatrixResult;
}

function assertEveryStep(result: MatrixResult, version: string): void {
  const expected = [...COMMON_STEPS, ...(version === '2.0' ? V2_STEPS : V1_STEPS)].sort();
  const failures = Object.entries(result.steps).filter(([, outcome]) => outcome !== 'ok');
  assert.deepEqual(failures, [], `failed steps: ${JSON.stringify(result.values.tracebacks ?? {})}`);
  assert.deepEqual(Object.keys(result.steps).sort(), expected);
}

async function standalone(): Promise<Endpoint> {
  const stateDir = mkdtempSync(join(tmpdir(), 'krypton-pykmip-matrix-'));
  const server: ServerProcess = await startServerProcess({
    name: 'standalone',
    command: process.execPath,
    args: [
      join(compiledRoot, 'core', 'cli', 'main.js'),
      'serve',
      '--profile',
      'standalone',
      '--state-dir',
      stateDir,
      '--ttlv-port',
      '0',
      '--https-port',
      '0',
      '--admin-port',
      '0',
      '--log-level',
      'warn',
    ],
    readyPattern: /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/,
    timeoutMs: 60_000,
  });
  return {
    port: Number((server.match as RegExpExecArray)[1]),
    pki: join(stateDir, 'pki'),
    async close() {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function gatewayInFrontOfCore(): Promise<Endpoint> {
  const split: Split = await startSplit({ logLevel: 'warn' });
  return {
    port: split.gateway.ttlvPort,
    pki: join(split.dir, 'pki'),
    async close() {
      await split.close();
      rmSync(split.dir, { recursive: true, force: true });
    },
  };
}

const TARGETS = [
  { name: 'standalone', start: standalone },
  { name: 'gateway', start: gatewayInFrontOfCore },
] as const;

for (const target of TARGETS) {
  describe(`pykmip-matrix-against-${target.name}`, { skip: missing }, () => {
    let endpoint: Endpoint | undefined;
    before(async () => {
      endpoint = await target.start();
    });
    after(async () => {
      await endpoint?.close();
    });
    for (const version of VERSIONS) {
      test(`every-proxykmipclient-operation-krypton-implements-in-kmip-${version}`, async () => {
        const result = await runMatrix(endpoint!, version);
        assert.equal(result.version, version);
        assertEveryStep(result, version);
      });
    }
  });
}
