/**
 * Who is asking: a client certificate (mutual TLS) or a KMIP Credential becomes an `Identity`
 * — principal, tenant, permissions. Certificate principals and credential usernames live in
 * separate namespaces, so a certificate named like a user never inherits the user's rights.
 */
import type { PeerCertificate } from 'node:tls';
import type { AuthConfig, PrincipalSource } from '../config/schema.js';

export interface Identity {
  /** The name the policy knows the client by (certificate CN/SAN or credential username). */
  readonly principal: string;
  readonly source: 'certificate' | 'credential';
  readonly tenant: string;
  readonly permissions: ReadonlySet<string>;
  /** May fetch wrapped L3 keys and assert a forwarded client identity (SECURITY-CHECKLIST 29). */
  readonly gateway: boolean;
  /** SHA-256 fingerprint of the client certificate, when there was one. */
  readonly certificateFingerprint?: string;
}

/** `DNS:a, IP Address:1.2.3.4, URI:spiffe://x` → entries of one kind. */
function subjectAltNames(cert: PeerCertificate, kind: 'DNS' | 'URI'): string[] {
  const text = cert.subjectaltname;
  if (!text) return [];
  const out: string[] = [];
  for (const part of text.split(/,\s*/)) {
    const i = part.indexOf(':');
    if (i > 0 && part.slice(0, i) === kind) out.push(part.slice(i + 1));
  }
  return out;
}

/** The principal name a certificate carries under the configured rule, or undefined. */
export function principalFromCertificate(cert: PeerCertificate, from: PrincipalSource): string | undefined {
  if (!cert || !cert.subject) return undefined;
  let name: string | string[] | undefined;
  switch (from) {
    case 'CN':
      name = cert.subject.CN;
      break;
    case 'SAN_DNS':
      name = subjectAltNames(cert, 'DNS')[0];
      break;
    case 'SAN_URI':
      name = subjectAltNames(cert, 'URI')[0];
      break;
  }
  // A subject with several CNs is ambiguous: refuse rather than pick one.
  if (Array.isArray(name) || !name || name.length > 256) return undefined;
  return name;
}

export function identityFromCertificate(cert: PeerCertificate, auth: AuthConfig): Identity | undefined {
  const principal = principalFromCertificate(cert, auth.principalFrom);
  if (!principal) return undefined;
  const policy = Object.hasOwn(auth.principals, principal) ? auth.principals[principal] : undefined;
  return Object.freeze({
    principal,
    source: 'certificate' as const,
    tenant: policy?.tenant ?? auth.defaultTenant,
    permissions: new Set(policy?.permissions ?? auth.defaultPermissions),
    gateway: policy?.gateway ?? false,
    certificateFingerprint: cert.fingerprint256,
  });
}

/** Authorization: `*` grants everything; otherwise the permission named by the descriptor. */
export function hasPermission(identity: Identity, permission: string): boolean {
  return identity.permissions.has('*') || identity.permissions.has(permission);
}
