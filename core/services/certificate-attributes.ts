/**
 * The Certificate Attributes (KMIP 2.0/2.1 §4.x Certificate Attributes: Certificate Subject and
 * Issuer CN, O, OU, Email, C, ST, L, UID, Serial Number, Title, DC, DN Qualifier) and Certificate
 * Length (KMIP 1.1+), derived from a registered X.509 certificate rather than stored: they are
 * server-set, read-only and always agree with the certificate. The writer leaves out of an answer
 * whatever the request's version does not define.
 */
import { X509Certificate } from 'node:crypto';
import type { KmipAttribute } from '../attributes/index.js';

/** Distinguished name keys as node:crypto prints them → the KMIP attribute suffix. */
const DN_FIELDS: ReadonlyMap<string, string> = new Map([
  ['CN', 'CN'],
  ['O', 'O'],
  ['OU', 'OU'],
  ['emailAddress', 'Email'],
  ['C', 'C'],
  ['ST', 'ST'],
  ['L', 'L'],
  ['UID', 'UID'],
  ['serialNumber', 'SerialNumber'],
  ['title', 'Title'],
  ['DC', 'DC'],
  ['dnQualifier', 'DNQualifier'],
]);

function dnAttributes(prefix: 'CertificateSubject' | 'CertificateIssuer', dn: string): KmipAttribute[] {
  const out: KmipAttribute[] = [];
  const indexes = new Map<string, number>();
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const suffix = DN_FIELDS.get(line.slice(0, eq));
    if (suffix === undefined) continue;
    const name = prefix + suffix;
    const index = indexes.get(name) ?? 0;
    indexes.set(name, index + 1);
    out.push({ name, index, value: line.slice(eq + 1) });
  }
  return out;
}

/** The attributes a DER certificate defines; none when it does not parse. */
export function certificateAttributes(der: Uint8Array): KmipAttribute[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(der));
  } catch {
    return [];
  }
  return [
    { name: 'CertificateLength', value: der.length },
    ...dnAttributes('CertificateSubject', cert.subject),
    ...dnAttributes('CertificateIssuer', cert.issuer),
  ];
}
