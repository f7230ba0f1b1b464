import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { test } from 'node:test';
import {
  hasPermission,
  identityFromCertificate,
  principalFromCertificate,
} from '../../../core/auth/identity.js';
import { createCredentialVerifier, hashPassword } from '../../../core/auth/credentials.js';
import { validateProfileObject } from '../../../core/config/load.js';
import { KryptonError } from '../../../core/errors.js';

const cert = (subject: Record<string, string | string[]>, san?: string): PeerCertificate =>
  ({ subject, subjectaltname: san, fingerprint256: 'AA:BB' }) as unknown as PeerCertificate;

const profile = (auth: unknown, tls: unknown = {}) =>
  validateProfileObject({ name: 't', role: 'core', auth, tls }, '/virtual/t.json', { env: {} });

test('principal-is-taken-from-cn-san-dns-or-san-uri-as-configured', () => {
  const c = cert({ CN: 'alice' }, 'DNS:alice.example, URI:spiffe://krypton/alice, IP Address:127.0.0.1');
  assert.equal(principalFromCertificate(c, 'CN'), 'alice');
  assert.equal(principalFromCertificate(c, 'SAN_DNS'), 'alice.example');
  assert.equal(principalFromCertificate(c, 'SAN_URI'), 'spiffe://krypton/alice');
  assert.equal(principalFromCertificate(cert({ CN: 'x' }), 'SAN_URI'), undefined);
});

test('certificate-with-several-cns-has-no-principal', () => {
  assert.equal(principalFromCertificate(cert({ CN: ['a', 'b'] }), 'CN'), undefined);
});

test('principal-maps-to-tenant-and-permissions', () => {
  const cfg = profile({
    defaultTenant: 'shared',
    principals: { alice: { tenant: 'acme', permissions: ['get'] } },
  });
  const alice = identityFromCertificate(cert({ CN: 'alice' }), cfg.auth);
  assert.equal(alice?.tenant, 'acme');
  assert.ok(alice && hasPermission(alice, 'get'));
  assert.ok(alice && !hasPermission(alice, 'destroy'));
  const bob = identityFromCertificate(cert({ CN: 'bob' }), cfg.auth);
  assert.equal(bob?.tenant, 'shared');
  assert.ok(bob && hasPermission(bob, 'query') && !hasPermission(bob, 'create'));
});

test('a-principal-named-like-an-object-prototype-key-gets-no-policy', () => {
  const cfg = profile({});
  const id = identityFromCertificate(cert({ CN: 'constructor' }), cfg.auth);
  assert.equal(id?.tenant, 'default');
  assert.equal(id?.gateway, false);
});

test('static-credential-verifier-accepts-the-right-password-only', async () => {
  const cfg = profile({
    credentials: {
      verifier: 'static',
      users: { svc: { password: await hashPassword('s3cret'), tenant: 'acme' } },
    },
  });
  const verifier = await createCredentialVerifier(cfg.auth, cfg.tls, '/');
  assert.ok(verifier);
  const ok = await verifier.verify(
    { type: 'UsernameAndPassword', username: 'svc', password: 's3cret' },
    undefined,
  );
  assert.equal(ok?.principal, 'svc');
  assert.equal(ok?.source, 'credential');
  assert.equal(ok?.tenant, 'acme');
  assert.equal(
    await verifier.verify({ type: 'UsernameAndPassword', username: 'svc', password: 'nope' }, undefined),
    undefined,
  );
  assert.equal(
    await verifier.verify({ type: 'UsernameAndPassword', username: 'who', password: 's3cret' }, undefined),
    undefined,
  );
});

test('auth-misconfiguration-refuses-to-start', async () => {
  const misconfigured = [
    profile({ credentials: { verifier: 'static' } }),
    profile({ credentials: { verifier: 'none', required: true } }),
    profile({}, { requireClientCert: false }),
    profile({ credentials: { verifier: './does-not-exist.js' } }),
  ];
  for (const cfg of misconfigured) {
    await assert.rejects(
      createCredentialVerifier(cfg.auth, cfg.tls, '/'),
      (err: unknown) => err instanceof KryptonError && err.code === 'KRY_AUTH_MISCONFIGURED',
    );
  }
});

test('password-hash-with-a-bad-format-is-refused-by-the-schema', () => {
  assert.throws(
    () => profile({ credentials: { verifier: 'static', users: { a: { password: 'plain' } } } }),
    /password/,
  );
});
