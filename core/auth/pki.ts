/**
 * Development PKI for `krypton init` and the first `npm start`: a CA, a server certificate
 * (SAN localhost and 127.0.0.1, serverAuth) and client certificates (clientAuth), with
 * @peculiar/x509 over node:crypto's WebCrypto. Keys are written 0600.
 *
 * ECDSA P-256 by default: the server signs every TLS handshake, and a P-256 signature costs a
 * tenth of an RSA-2048 one (`openssl speed`: ~0.02 ms against ~0.3 ms), which matters when
 * thousands of connections arrive at once (docs/security.md). PyKMIP 0.10 and TLS 1.2 clients
 * negotiate ECDHE-ECDSA-AES-GCM suites (test/interop). `rsa-2048` remains for clients that only
 * speak RSA suites (`krypton init --key-algorithm rsa-2048`).
 */
import './reflect-metadata-shim.js';
import { createPrivateKey, webcrypto, randomBytes } from 'node:crypto';

import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { KryptonError } from '../errors.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type DevPkiKeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';
export const DEV_PKI_KEY_ALGORITHMS: readonly DevPkiKeyAlgorithm[] = ['ecdsa-p256', 'rsa-2048'];

/** WebCrypto parameters per algorithm: key generation and import, and certificate signing. */
const ALGORITHMS = {
  'ecdsa-p256': {
    key: { name: 'ECDSA', namedCurve: 'P-256' },
    signing: { name: 'ECDSA', hash: 'SHA-256' },
    // ECDHE-ECDSA suites need only digitalSignature (RFC 8422 §5.10).
    leafUsage: x509.KeyUsageFlags.digitalSignature,
  },
  'rsa-2048': {
    key: {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    },
    signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    leafUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
  },
} as const;

const DAY_MS = 86_400_000;

export interface DevPkiFiles {
  dir: string;
  ca: string;
  caKey: string;
  server: string;
  serverKey: string;
  client: string;
  clientKey: string;
  gateway: string;
  gatewayKey: string;
}

export function devPkiFiles(dir: string): DevPkiFiles {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    server: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    client: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
    gateway: join(dir, 'gateway.pem'),
    gatewayKey: join(dir, 'gateway-key.pem'),
  };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

async function generateKeys(alg: DevPkiKeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHMS[alg].key, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** The CA key of an existing PKI, and the algorithm it tells. */
async function importPrivateKeyPem(pem: string): Promise<{ key: CryptoKey; alg: DevPkiKeyAlgorithm }> {
  const type = createPrivateKey(pem).asymmetricKeyType;
  const alg: DevPkiKeyAlgorithm = type === 'ec' ? 'ecdsa-p256' : 'rsa-2048';
  const der = x509.PemConverter.decodeFirst(pem);
  return { key: await webcrypto.subtle.importKey('pkcs8', der, ALGORITHMS[alg].key, true, ['sign']), alg };
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its old mode on overwrite
}

interface Issuer {
  cert: x509.X509Certificate;
  key: CryptoKey;
  /** The CA's algorithm, used for the leaves it issues too. */
  alg: DevPkiKeyAlgorithm;
}

async function createCa(
  validDays: number,
  alg: DevPkiKeyAlgorithm,
): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await generateKeys(alg);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Krypton Development CA, O=Krypton',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHMS[alg].signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

export interface LeafOptions {
  commonName: string;
  usage: 'server' | 'client';
  dns?: string[];
  ips?: string[];
  uris?: string[];
  validDays?: number;
}

async function issueLeaf(issuer: Issuer, opts: LeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeys(issuer.alg);
  const now = Date.now();
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(opts.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(ALGORITHMS[issuer.alg].leafUsage, true),
    new x509.ExtendedKeyUsageExtension(
      [opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${opts.commonName.replace(/[,+="\\<>;#]/g, '')}, O=Krypton`,
    issuer: issuer.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (opts.validDays ?? 825) * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: ALGORITHMS[issuer.alg].signing,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: (await privateKeyPem(keys.privateKey)) + '\n' };
}

export interface CreateDevPkiOptions {
  /** Replace an existing PKI in `dir`. Without it an existing CA is kept (idempotent). */
  force?: boolean;
  validDays?: number;
  /** Key algorithm of the CA and every certificate; default `ecdsa-p256` (see above). */
  keyAlgorithm?: DevPkiKeyAlgorithm;
}

/** Create ca, server, client and gateway certificates in `dir`; returns the file paths. */
export async function createDevPki(dir: string, opts: CreateDevPkiOptions = {}): Promise<DevPkiFiles> {
  const files = devPkiFiles(dir);
  if (!opts.force && existsSync(files.ca) && existsSync(files.caKey)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const validDays = opts.validDays ?? 3650;
  const alg = opts.keyAlgorithm ?? 'ecdsa-p256';
  const ca = await createCa(validDays, alg);
  const issuer: Issuer = { cert: ca.cert, key: ca.keys.privateKey, alg };
  writeFileSync(files.ca, ca.cert.toString('pem') + '\n', { mode: 0o644 });
  writeSecret(files.caKey, (await privateKeyPem(ca.keys.privateKey)) + '\n');
  const leaves: [string, string, LeafOptions][] = [
    [
      files.server,
      files.serverKey,
      { commonName: 'localhost', usage: 'server', dns: ['localhost'], ips: ['127.0.0.1'] },
    ],
    [files.client, files.clientKey, { commonName: 'client', usage: 'client' }],
    [files.gateway, files.gatewayKey, { commonName: 'gateway', usage: 'client' }],
  ];
  for (const [certPath, keyPath, leaf] of leaves) {
    const { certPem, keyPem } = await issueLeaf(issuer, leaf);
    writeFileSync(certPath, certPem, { mode: 0o644 });
    writeSecret(keyPath, keyPem);
  }
  return files;
}

/** True when `dir` already holds a development PKI. */
export function hasDevPki(dir: string): boolean {
  const f = devPkiFiles(dir);
  return [f.ca, f.caKey, f.server, f.serverKey].every((p) => existsSync(p));
}

export interface ClientCertificateFiles {
  cert: string;
  key: string;
}

/** Issue `NAME.pem`/`NAME-key.pem` in `dir` from its `ca.pem`/`ca-key.pem`. */
export async function issueClientCertificate(
  dir: string,
  name: string,
  extra: { dns?: string[]; uris?: string[]; validDays?: number } = {},
): Promise<ClientCertificateFiles> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name === 'ca' || name === 'server') {
    throw new KryptonError('KRY_AUTH_PKI', `client name '${name}' is not allowed (letters, digits, . _ -)`);
  }
  const files = devPkiFiles(dir);
  let issuer: Issuer;
  try {
    issuer = {
      cert: new x509.X509Certificate(readFileSync(files.ca, 'utf8')),
      ...(await importPrivateKeyPem(readFileSync(files.caKey, 'utf8'))),
    };
  } catch {
    throw new KryptonError('KRY_AUTH_PKI', `no CA in ${dir}: run krypton init ${dir} first`);
  }
  const out = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  const { certPem, keyPem } = await issueLeaf(issuer, { commonName: name, usage: 'client', ...extra });
  writeFileSync(out.cert, certPem, { mode: 0o644 });
  writeSecret(out.key, keyPem);
  return out;
}
