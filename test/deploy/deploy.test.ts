/**
 * The deployable artifacts under deploy/: the production sample profiles validate against the
 * real profile schema, and what can be checked without Docker, Kubernetes or systemd is checked
 * here (YAML syntax through prettier's parser, security settings, ports matching the profiles).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { format } from 'prettier';
import { validateProfileObject } from '../../core/config/load.js';
import type { ProfileConfig } from '../../core/config/schema.js';
import { repoRoot } from '../support/shared.js';

const deploy = join(repoRoot, 'deploy');
const read = (p: string) => readFileSync(join(deploy, p), 'utf8');

function profile(file: string): ProfileConfig {
  const path = join(deploy, 'profiles', file);
  return validateProfileObject(JSON.parse(readFileSync(path, 'utf8')), path, { env: {}, cwd: '/' });
}

test('production-profiles-validate-against-the-profile-schema', () => {
  const files = readdirSync(join(deploy, 'profiles')).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), ['core-production.json', 'gateway-production.json']);
  for (const f of files) assert.doesNotThrow(() => profile(f), f);
});

test('core-production-profile-uses-postgres-and-pkcs11-with-secrets-in-files', () => {
  const core = profile('core-production.json');
  assert.equal(core.role, 'core');
  assert.equal(core.storage.adapter, 'postgres');
  assert.equal(core.storage.url, undefined, 'no connection URL (and password) inline');
  assert.match(core.storage.urlFile ?? '', /^\/etc\/krypton\/secrets\//);
  assert.equal(core.hsm.adapter, 'pkcs11');
  assert.equal(core.hsm.pinEnv, undefined);
  assert.match(core.hsm.pinFile ?? '', /^\/etc\/krypton\/secrets\//);
  assert.equal(core.tls.requireClientCert, true);
  assert.equal(core.audit.failClosed, true);
  assert.ok(
    Object.values(core.auth.principals).some((p) => p.gateway === true),
    'a gateway principal',
  );
});

test('gateway-production-profile-names-the-core-service-and-holds-no-storage-or-hsm-secret', () => {
  const gw = profile('gateway-production.json');
  assert.equal(gw.role, 'gateway');
  assert.equal(gw.upstream.core, 'krypton-core:5696', 'the Service of deploy/kubernetes/core.yaml');
  assert.equal(gw.storage.adapter, undefined);
  assert.equal(gw.hsm.pinFile, undefined);
});

test('kubernetes-manifests-parse-and-run-non-root-read-only-with-probes-on-the-admin-port', async () => {
  for (const role of ['core', 'gateway'] as const) {
    const text = read(`kubernetes/${role}.yaml`);
    await format(text, { parser: 'yaml' }); // throws on a YAML syntax error
    assert.match(text, /runAsNonRoot: true/);
    assert.match(text, /readOnlyRootFilesystem: true/);
    assert.match(text, /allowPrivilegeEscalation: false/);
    assert.match(text, /drop: \[['"]ALL['"]\]/);
    assert.match(text, /path: \/readyz\n\s+port: admin/);
    assert.match(text, /path: \/healthz\n\s+port: admin/);
    const p = profile(`${role}-production.json`);
    for (const [name, port] of [
      ['kmip', p.listeners.ttlv.port],
      ['kmip-https', p.listeners.https.port],
      ['admin', p.listeners.admin.port],
    ] as const) {
      assert.match(text, new RegExp(`- name: ${name}\\n\\s+containerPort: ${port}\\n`), `${role} ${name}`);
    }
    assert.match(text, new RegExp(`name: krypton-${role}-profile`));
  }
  const kustomization = read('kustomization.yaml');
  await format(kustomization, { parser: 'yaml' });
  for (const f of [
    'profiles/core-production.json',
    'profiles/gateway-production.json',
    'kubernetes/core.yaml',
  ])
    assert.ok(kustomization.includes(f), f);
});

test('dockerfile-is-multi-stage-and-runs-as-a-non-root-user', () => {
  const text = read('Dockerfile');
  const stages = text.match(/^FROM /gm) ?? [];
  assert.ok(stages.length >= 2, 'multi-stage');
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));
  const users = [...finalStage.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(users.length > 0, 'the final stage sets USER');
  assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
  assert.doesNotMatch(finalStage, /npm (ci|install)/, 'no install in the runtime stage');
  assert.match(finalStage, /ENTRYPOINT .*dist\/core\/cli\/main\.js/);
});

test('systemd-unit-runs-unprivileged-and-passes-secrets-as-credentials', () => {
  const text = read('systemd/krypton@.service');
  for (const line of [
    'User=krypton',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'CapabilityBoundingSet=',
  ])
    assert.ok(text.split('\n').includes(line), line);
  assert.match(text, /^ExecStart=.*serve --profile \/etc\/krypton\/%i\.json$/m);
  assert.match(text, /^Environment=KRYPTON_STORAGE_URL_FILE=%d\/postgres-url$/m);
  assert.doesNotMatch(text, /postgres:\/\//, 'no connection URL in the unit');
});
