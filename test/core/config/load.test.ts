import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { envNameOf, loadProfile, validateProfileObject } from '../../../core/config/load.js';
import { KryptonError } from '../../../core/errors.js';

function tempProfile(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'krypton-cfg-'));
  const file = join(dir, 'p.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

test('shipped-profiles-validate-with-their-roles', () => {
  for (const [name, role] of [
    ['standalone', 'standalone'],
    ['core', 'core'],
    ['gateway', 'gateway'],
  ] as const) {
    const cfg = loadProfile(name, { env: {} });
    assert.equal(cfg.role, role);
    assert.ok(
      cfg.plugins.some((p) => p.module === 'builtin:query'),
      name,
    );
    assert.equal(cfg.tls.requireClientCert, true, `${name} must require client certificates`);
  }
});

test('standalone-profile-listens-on-loopback-5696-and-8443', () => {
  const cfg = loadProfile('standalone', { env: {} });
  assert.equal(cfg.listeners.ttlv.host, '127.0.0.1');
  assert.equal(cfg.listeners.ttlv.port, 5696);
  assert.equal(cfg.listeners.https.port, 8443);
  assert.match(cfg.tls.cert, /\.krypton[/\\]pki[/\\]server\.pem$/);
});

test('defaults-are-filled-for-omitted-sections', () => {
  const cfg = validateProfileObject({ name: 'x', role: 'core' }, '/virtual/x.json', { env: {} });
  assert.equal(cfg.limits.maxFrameBytes, 1048576);
  assert.equal(cfg.limits.maxDepth, 64);
  assert.equal(cfg.limits.handshakeTimeoutMs, 10000);
  assert.equal(cfg.listeners.https.bodyLimit, 1048576);
  assert.ok(cfg.listeners.https.requestTimeoutMs > 0, 'fastify requestTimeout must not stay 0');
  assert.deepEqual(cfg.phases, [1]);
  assert.equal(cfg.tls.minVersion, 'TLSv1.2');
});

test('invalid-field-error-names-the-field-and-the-file', () => {
  const file = tempProfile({ name: 'x', role: 'core', listeners: { ttlv: { port: 70000 } } });
  assert.throws(
    () => loadProfile(file, { env: {} }),
    (err: unknown) =>
      err instanceof KryptonError &&
      err.code === 'KRY_CFG_INVALID' &&
      err.message.includes(file) &&
      err.message.includes('/listeners/ttlv/port'),
  );
});

test('unknown-setting-is-refused-with-its-path', () => {
  const file = tempProfile({ name: 'x', role: 'core', limits: { maxFrameByte: 10 } });
  assert.throws(() => loadProfile(file, { env: {} }), /\/limits\/maxFrameByte is not a known setting/);
});

test('unparseable-json-names-the-file', () => {
  const file = tempProfile('{ "name": ');
  assert.throws(
    () => loadProfile(file, { env: {} }),
    (err: unknown) =>
      err instanceof KryptonError && err.code === 'KRY_CFG_UNREADABLE' && err.message.includes(file),
  );
});

test('environment-overrides-profile-and-cli-overrides-environment', () => {
  assert.equal(envNameOf('listeners.ttlv.port'), 'KRYPTON_LISTENERS_TTLV_PORT');
  assert.equal(envNameOf('limits.maxFrameBytes'), 'KRYPTON_LIMITS_MAX_FRAME_BYTES');
  const env = {
    KRYPTON_LISTENERS_TTLV_PORT: '0',
    KRYPTON_LISTENERS_HTTPS_PORT: '1234',
    KRYPTON_PHASES: '1,2',
  };
  const cfg = loadProfile('standalone', {
    env,
    overrides: [{ path: 'listeners.https.port', value: '4321', origin: '--set' }],
  });
  assert.equal(cfg.listeners.ttlv.port, 0);
  assert.equal(cfg.listeners.https.port, 4321);
  assert.deepEqual(cfg.phases, [1, 2]);
});

test('environment-override-with-a-bad-value-names-the-variable', () => {
  assert.throws(
    () => loadProfile('standalone', { env: { KRYPTON_LISTENERS_TTLV_PORT: 'abc' } }),
    /KRYPTON_LISTENERS_TTLV_PORT/,
  );
  assert.throws(
    () => loadProfile('standalone', { env: { KRYPTON_TLS_REQUIRE_CLIENT_CERT: 'yes' } }),
    /KRYPTON_TLS_REQUIRE_CLIENT_CERT/,
  );
});

test('override-of-an-unknown-setting-is-refused', () => {
  assert.throws(
    () =>
      loadProfile('standalone', { env: {}, overrides: [{ path: 'tls.nope', value: '1', origin: '--set' }] }),
    /unknown setting 'tls.nope'/,
  );
});

test('relative-plugin-paths-resolve-against-the-profile-file', () => {
  const file = tempProfile({ name: 'x', role: 'core', plugins: ['./vendor.js', 'some-package'] });
  const cfg = loadProfile(file, { env: {} });
  assert.equal(cfg.plugins[0]?.module, join(file, '..', 'vendor.js'));
  assert.equal(cfg.plugins[1]?.module, 'some-package');
});

test('profile-name-with-path-characters-is-not-a-name', () => {
  assert.throws(
    () => loadProfile('..', { env: {} }),
    (err: unknown) => err instanceof KryptonError,
  );
  assert.throws(() => loadProfile('missing-profile', { env: {} }), /profile not found/);
});
