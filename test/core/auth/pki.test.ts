import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDevPki, issueClientCertificate } from '../../../core/auth/pki.js';

const dir = join(mkdtempSync(join(tmpdir(), 'krypton-pki-')), 'pki');
const files = await createDevPki(dir);
const load = (p: string): X509Certificate => new X509Certificate(readFileSync(p));

test('dev-pki-server-certificate-has-localhost-and-loopback-sans-and-server-auth', () => {
  const ca = load(files.ca);
  const server = load(files.server);
  assert.ok(server.verify(ca.publicKey), 'server certificate is signed by the CA');
  assert.match(server.subjectAltName ?? '', /DNS:localhost/);
  assert.match(server.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(ca.ca, true);
});

test('dev-pki-client-and-gateway-certificates-are-client-auth', () => {
  const ca = load(files.ca);
  for (const [path, cn] of [
    [files.client, 'client'],
    [files.gateway, 'gateway'],
  ] as const) {
    const cert = load(path);
    assert.ok(cert.verify(ca.publicKey));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.match(cert.subject, new RegExp(`CN=${cn}`));
  }
});

test('dev-pki-private-keys-are-written-0600', () => {
  for (const key of [files.caKey, files.serverKey, files.clientKey, files.gatewayKey]) {
    assert.equal(statSync(key).mode & 0o777, 0o600, key);
  }
});

test('dev-pki-is-kept-when-it-exists', async () => {
  const before = readFileSync(files.ca, 'utf8');
  await createDevPki(dir);
  assert.equal(readFileSync(files.ca, 'utf8'), before);
});

test('issue-client-certificate-uses-the-kept-ca-key', async () => {
  const out = await issueClientCertificate(dir, 'alice', { uris: ['spiffe://krypton/alice'] });
  assert.equal(out.cert, join(dir, 'alice.pem'));
  assert.equal(statSync(out.key).mode & 0o777, 0o600);
  const cert = load(out.cert);
  assert.ok(cert.verify(load(files.ca).publicKey));
  assert.match(cert.subject, /CN=alice/);
  assert.match(cert.subjectAltName ?? '', /URI:spiffe:\/\/krypton\/alice/);
});

test('issue-client-certificate-refuses-path-like-names', async () => {
  await assert.rejects(issueClientCertificate(dir, '../evil'), /not allowed/);
  await assert.rejects(issueClientCertificate(dir, 'server'), /not allowed/);
});

test('dev-pki-keys-are-ecdsa-p256-by-default', () => {
  for (const path of [files.ca, files.server, files.client, files.gateway]) {
    const key = load(path).publicKey;
    assert.equal(key.asymmetricKeyType, 'ec', path);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1', path);
  }
});

test('dev-pki-rsa-2048-stays-available-and-later-clients-follow-the-ca-algorithm', async () => {
  const rsaDir = join(mkdtempSync(join(tmpdir(), 'krypton-pki-rsa-')), 'pki');
  const rsa = await createDevPki(rsaDir, { keyAlgorithm: 'rsa-2048' });
  const ca = load(rsa.ca);
  for (const path of [rsa.ca, rsa.server, rsa.client]) {
    const key = load(path).publicKey;
    assert.equal(key.asymmetricKeyType, 'rsa', path);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048, path);
  }
  const bob = await issueClientCertificate(rsaDir, 'bob');
  assert.equal(load(bob.cert).publicKey.asymmetricKeyType, 'rsa');
  assert.ok(load(bob.cert).verify(ca.publicKey));
  const carol = await issueClientCertificate(dir, 'carol');
  assert.equal(load(carol.cert).publicKey.asymmetricKeyType, 'ec');
});
