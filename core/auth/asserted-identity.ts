/**
 * Identity assertion by a gateway (SECURITY-CHECKLIST 29). A gateway forwards a client's request
 * to the core over its own mutual-TLS connection and names the original client in the request
 * header: one Authentication structure whose Credential has the vendor Credential Type
 * `KryptonAssertedIdentity` (0x80000101, an extension value, KMIP 2.1 §11.1 / 1.4 §9.1.3.2) and a
 * Credential Value of vendor tags:
 *
 *   Credential
 *     Credential Type        Enumeration  0x80000101
 *     Credential Value       Structure
 *       KryptonAssertedPrincipal  0x540101  Text String   (absent: the gateway acts for itself)
 *       KryptonAssertedSource     0x540102  Text String   `certificate` | `credential`
 *       KryptonAssertedTenant     0x540103  Text String
 *
 * The core honours it only when the TLS peer is a gateway identity (`auth.principals.<cn>.gateway`)
 * and refuses it otherwise. The asserted client gets the core's own policy for that principal
 * (permissions, tenant — a tenant the policy names must match the asserted one) and never the
 * gateway's powers. Without a principal, the gateway acts for itself inside the asserted tenant
 * (fetching a wrapped L3, polling L3 state, registering its transport key).
 */
import type { AuthConfig } from '../config/schema.js';
import { KryptonError } from '../errors.js';
import { Tag, registerExtensionEnumValue, registerExtensionTag } from '../spec/index.js';
import { enumeration, structure, textString } from '../ttlv/tree.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import type { Identity } from './identity.js';

export const ASSERTED_IDENTITY_CREDENTIAL_TYPE = 0x80000101;

export const AssertionTag = Object.freeze({
  AssertedPrincipal: 0x540101,
  AssertedSource: 0x540102,
  AssertedTenant: 0x540103,
} as const);

// Process-wide registry: registering the same definitions again is a no-op.
registerExtensionEnumValue('CredentialType', 'KryptonAssertedIdentity', ASSERTED_IDENTITY_CREDENTIAL_TYPE);
registerExtensionTag({
  tag: AssertionTag.AssertedPrincipal,
  name: 'KryptonAssertedPrincipal',
  type: 'TextString',
});
registerExtensionTag({ tag: AssertionTag.AssertedSource, name: 'KryptonAssertedSource', type: 'TextString' });
registerExtensionTag({ tag: AssertionTag.AssertedTenant, name: 'KryptonAssertedTenant', type: 'TextString' });

export interface Assertion {
  /** Absent: the gateway acts for itself in `tenant`. */
  readonly principal?: string;
  readonly source?: Identity['source'];
  readonly tenant: string;
}

/** The Authentication structure a gateway puts in the request header. */
export function assertionAuthentication(a: Assertion): StructureItem {
  const value: TtlvItem[] = [];
  if (a.principal !== undefined) {
    value.push(textString(AssertionTag.AssertedPrincipal, a.principal));
    value.push(textString(AssertionTag.AssertedSource, a.source ?? 'certificate'));
  }
  value.push(textString(AssertionTag.AssertedTenant, a.tenant));
  return structure(Tag.Authentication, [
    structure(Tag.Credential, [
      enumeration(Tag.CredentialType, ASSERTED_IDENTITY_CREDENTIAL_TYPE),
      structure(Tag.CredentialValue, value),
    ]),
  ]);
}

function text(item: StructureItem, tag: number): string | undefined {
  const c = item.value.find((x) => x.tag === tag);
  if (c === undefined) return undefined;
  if (c.type !== 'TextString' || c.value.length === 0 || c.value.length > 256)
    throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL', 'asserted identity');
  return c.value;
}

/** The asserted-identity Credential among the header's Authentication structures, if any. */
export function findAssertion(
  authentication: readonly StructureItem[] | undefined,
): StructureItem | undefined {
  for (const auth of authentication ?? []) {
    for (const credential of auth.value) {
      if (credential.tag !== Tag.Credential || credential.type !== 'Structure') continue;
      const type = credential.value.find((c) => c.tag === Tag.CredentialType);
      if (type?.type === 'Enumeration' && type.value === ASSERTED_IDENTITY_CREDENTIAL_TYPE) return credential;
    }
  }
  return undefined;
}

/** Reads an assertion credential; malformed → Authentication Not Successful. */
export function readAssertion(credential: StructureItem): Assertion {
  const value = credential.value.find((c) => c.tag === Tag.CredentialValue);
  if (value?.type !== 'Structure') throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL', 'asserted identity');
  const tenant = text(value, AssertionTag.AssertedTenant);
  if (tenant === undefined) throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL', 'asserted identity');
  const principal = text(value, AssertionTag.AssertedPrincipal);
  const source = text(value, AssertionTag.AssertedSource);
  if (source !== undefined && source !== 'certificate' && source !== 'credential')
    throw new KryptonError('KRY_AUTH_BAD_CREDENTIAL', 'asserted identity source');
  return {
    tenant,
    ...(principal !== undefined && { principal, source: source ?? 'certificate' }),
  };
}

/**
 * The identity a request asserted by `peer` runs as, under the core's policy `auth`. Only a
 * gateway peer may assert (checklist 29); anyone else gets Permission Denied.
 */
export function assertedIdentity(
  credential: StructureItem,
  peer: Identity | undefined,
  auth: AuthConfig,
): Identity {
  if (!peer?.gateway) throw new KryptonError('KRY_AUTH_ASSERTION_REFUSED');
  const a = readAssertion(credential);
  if (a.principal === undefined) return Object.freeze({ ...peer, tenant: a.tenant });
  // Certificate principals and credential usernames are separate namespaces (core/auth/identity.ts).
  const policy =
    a.source === 'credential'
      ? Object.hasOwn(auth.credentials.users, a.principal)
        ? auth.credentials.users[a.principal]
        : undefined
      : Object.hasOwn(auth.principals, a.principal)
        ? auth.principals[a.principal]
        : undefined;
  if (policy?.tenant !== undefined && policy.tenant !== a.tenant)
    throw new KryptonError('KRY_AUTH_ASSERTION_REFUSED', 'the asserted tenant is not the principal’s');
  return Object.freeze({
    principal: a.principal,
    source: a.source ?? 'certificate',
    tenant: a.tenant,
    permissions: new Set(policy?.permissions ?? auth.defaultPermissions),
    // An asserted client never inherits the gateway's powers.
    gateway: false,
  });
}
