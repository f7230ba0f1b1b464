/**
 * `krypton init <dir>` — a development PKI: ca.pem/ca-key.pem, server.pem (SAN localhost,
 * 127.0.0.1), client.pem and gateway.pem. `krypton init <dir> --client NAME` issues NAME.pem
 * from the CA kept in <dir>. Keys are written 0600.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton init <dir> [--force] [--key-algorithm ecdsa-p256|rsa-2048]
       krypton init <dir> --client NAME [--dns NAME]... [--uri URI]...

Creates a development PKI in <dir> (never use it in production):
  ca.pem ca-key.pem         the CA; its key stays so that further clients can be issued
  server.pem server-key.pem serverAuth, SAN DNS:localhost and IP:127.0.0.1
  client.pem client-key.pem clientAuth, CN=client
  gateway.pem gateway-key.pem clientAuth, CN=gateway (the gateway identity)
Keys are ECDSA P-256 (--key-algorithm rsa-2048 for clients that only speak RSA suites); a
client issued later gets the algorithm of the CA. An existing PKI is kept unless --force is given.`;

export const command: CliCommand = {
  summary: 'create a development PKI, or issue a further client certificate',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          client: { type: 'string' },
          dns: { type: 'string', multiple: true },
          uri: { type: 'string', multiple: true },
          force: { type: 'boolean', default: false },
          'key-algorithm': { type: 'string', default: 'ecdsa-p256' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (err) {
      process.stderr.write(`krypton init: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const dir = resolve(positionals[0] as string);
    const pki = await import('../../auth/pki.js');
    const keyAlgorithm = pki.DEV_PKI_KEY_ALGORITHMS.find((a) => a === values['key-algorithm']);
    if (keyAlgorithm === undefined) {
      process.stderr.write(
        `krypton init: --key-algorithm must be one of ${pki.DEV_PKI_KEY_ALGORITHMS.join(', ')}\n`,
      );
      return 2;
    }
    if (values.client !== undefined) {
      const files = await pki.issueClientCertificate(dir, values.client, {
        dns: values.dns ?? [],
        uris: values.uri ?? [],
      });
      process.stdout.write(`issued client certificate ${files.cert} and key ${files.key}\n`);
      return 0;
    }
    const existed = pki.hasDevPki(dir) && !values.force;
    const files = await pki.createDevPki(dir, { force: values.force, keyAlgorithm });
    process.stdout.write(
      existed
        ? `a development PKI already exists in ${dir} (use --force to replace it)\n`
        : `created a development PKI in ${dir}:\n  ${files.ca}\n  ${files.server}\n  ${files.client}\n  ${files.gateway}\n`,
    );
    return 0;
  },
};
