/**
 * A Krypton server in its own process for the slow-client attack (so the attackers' own TLS work
 * does not share the server's event loop). Reads limits as JSON from argv[2] and the state folder (PKI) from argv[3], prints its
 * addresses as one JSON line, stops on SIGTERM.
 */
import { startHardeningServer } from './support.js';

const limits = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
// The parent's PKI, so its clients are trusted.
const stateDir = process.argv[3];
const server = await startHardeningServer({
  limits,
  audit: { fsync: 'interval' },
  ...(stateDir !== undefined && { stateDir }),
});
process.stdout.write(
  JSON.stringify({ ttlv: server.addresses.ttlv?.port, https: server.addresses.https?.port }) + '\n',
);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
