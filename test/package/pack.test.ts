/**
 * The publishable package: `npm pack` holds the build, the shipped profiles and the type
 * declarations of every export (and nothing else), and the packed tarball, installed into a clean
 * folder, starts `krypton serve --profile standalone` and answers DiscoverVersions over TLS; the
 * example third-party plugin package installs beside it, passes its own test and is loaded by
 * name from its profile.
 *
 * Needs a build (dist/): `.ci/run` builds before `npm test`. KRYPTON_PACKAGE_ROOT points at a
 * staged copy (package.json, profiles/, docs/, dist/) to try it without touching dist/.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KmipClient } from '../../core/client/index.js';
import { textString, child } from '../../core/ttlv/tree.js';
import { inCI, repoRoot } from '../support/shared.js';

const packageRoot = process.env.KRYPTON_PACKAGE_ROOT ?? repoRoot;
const built = existsSync(join(packageRoot, 'dist', 'core', 'cli', 'main.js'));
if (!built && inCI) throw new Error(`no build in ${packageRoot}/dist: run npm run build first`);
const skip = built ? false : `needs a build in ${packageRoot}/dist (npm run build)`;

const STEP_TIMEOUT_MS = 60_000;

interface PackResult {
  filename: string;
  files: { path: string }[];
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.equal(r.status, 0, `npm ${args.join(' ')} in ${cwd}: ${r.stderr}`);
  return r.stdout;
}

function pack(dir: string, dest: string): PackResult {
  const [result] = JSON.parse(npm(['pack', '--json', '--pack-destination', dest], dir)) as PackResult[];
  assert.ok(result);
  return result;
}

let work = '';
let app = '';
let packed: PackResult | undefined;

before(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'krypton-pack-'));
  app = join(work, 'app');
  packed = pack(packageRoot, work);
  const plugin = pack(join(repoRoot, 'examples', 'krypton-plugin-vendor-hello'), work);
  cpSync(join(repoRoot, 'examples', 'krypton-plugin-vendor-hello'), join(app, 'plugin-src'), {
    recursive: true,
  });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'krypton-pack-check', private: true, type: 'module' }),
  );
  // Offline, from the npm cache this checkout was installed from. Install scripts are skipped:
  // compiling better-sqlite3 from source takes minutes; the native add-ons this checkout already
  // built for the same Node are copied instead.
  npm(
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      join(work, packed.filename),
      join(work, plugin.filename),
    ],
    app,
  );
  for (const native of ['better-sqlite3', 'pkcs11js']) {
    const from = join(repoRoot, 'node_modules', native, 'build');
    if (existsSync(from)) cpSync(from, join(app, 'node_modules', native, 'build'), { recursive: true });
  }
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm-pack-holds-the-build-profiles-and-typed-exports-and-no-sources-or-tests', { skip }, () => {
  const files = new Set(packed?.files.map((f) => f.path));
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    types: string;
    exports: Record<string, string | { types: string; default: string }>;
  };
  const strip = (p: string) => p.replace(/^\.\//, '');
  assert.ok(files.has(strip(manifest.bin.krypton as string)), 'the krypton bin');
  assert.ok(files.has(strip(manifest.types)), 'top-level types');
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string') continue;
    assert.ok(files.has(strip(target.default)), `${subpath} → ${target.default}`);
    assert.ok(files.has(strip(target.types)), `${subpath} types → ${target.types}`);
  }
  for (const p of [
    'profiles/standalone.json',
    'profiles/core.json',
    'profiles/gateway.json',
    'dist/plugins/query.js',
  ])
    assert.ok(files.has(p), p);
  const unwanted = [...files].filter(
    (p) =>
      /^dist\/(test|bench|examples)\//.test(p) ||
      p.endsWith('.map') ||
      p.endsWith('.tsbuildinfo') ||
      (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
      p.startsWith('.krypton/') ||
      p.startsWith('node_modules/'),
  );
  assert.deepEqual(unwanted, []);
});

/** Starts the installed `krypton serve` and resolves with its TTLV port from the banner. */
function serve(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const proc = spawn(
    join(app, 'node_modules', '.bin', 'krypton'),
    ['serve', ...args, '--ttlv-port', '0', '--https-port', '0', '--admin-port', '0', '--log-level', 'warn'],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`krypton serve did not start in time:\n${out}\n${err}`));
    }, STEP_TIMEOUT_MS);
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /KMIP TTLV over TLS\s+[\d.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child: proc, port: Number(m[1]) });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`krypton serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

function stop(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), STEP_TIMEOUT_MS);
    proc.removeAllListeners('exit');
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    proc.kill('SIGTERM');
  });
}

function clientOf(port: number): Promise<KmipClient> {
  const pki = join(app, '.krypton', 'pki');
  return KmipClient.connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(join(pki, 'ca.pem')),
    cert: readFileSync(join(pki, 'client.pem')),
    key: readFileSync(join(pki, 'client-key.pem')),
  });
}

test(
  'packed-package-serves-standalone-from-a-clean-folder-and-answers-discover-versions',
  { skip },
  async () => {
    const { child: proc, port } = await serve(['--profile', 'standalone']);
    try {
      assert.ok(
        existsSync(join(app, '.krypton', 'pki', 'client.pem')),
        'the development PKI is created in the cwd',
      );
      const client = await clientOf(port);
      try {
        const versions = await client.discoverVersions();
        assert.equal(versions[0], '2.1');
        assert.ok(versions.includes('1.0'));
      } finally {
        await client.close();
      }
    } finally {
      assert.equal(await stop(proc), 0, 'SIGTERM stops it cleanly');
    }
  },
);

test('example-plugin-package-passes-its-own-test-against-the-packed-krypton', { skip }, () => {
  // Without NODE_TEST_CONTEXT the child reports as a test run of its own, not as our subtest.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', join('plugin-src', 'test')], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass [1-9]/);
  assert.match(r.stdout, /# fail 0/);
});

test('installed-plugin-package-is-loaded-by-name-from-its-profile', { skip }, async () => {
  const { child: proc, port } = await serve([
    '--profile',
    'node_modules/krypton-plugin-vendor-hello/profile.json',
  ]);
  try {
    const client = await clientOf(port);
    try {
      const out = await client.call(0x80000e02, [textString(0x540e02, 'package')]);
      assert.equal(child(out, 0x540e03)?.value, 'hello package, from client of tenant default');
    } finally {
      await client.close();
    }
  } finally {
    assert.equal(await stop(proc), 0);
  }
});
