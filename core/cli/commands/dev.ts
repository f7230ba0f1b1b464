/**
 * `krypton dev --split` — a core and a gateway as two processes on localhost with a generated
 * development PKI: the profiles are written to the state folder (absolute paths, one state
 * directory each) and both run `krypton serve`; their output is prefixed; SIGINT/SIGTERM stop both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../main.js';

const USAGE = `usage: krypton dev --split [--state-dir DIR] [--core-port N] [--gateway-port N]

  --split            run a core and a gateway as two processes (the gateway in front)
  --state-dir DIR    PKI, profiles and state of both (default ./.krypton-dev)
  --core-port N      the core's TTLV port (default 5697; HTTPS and admin on 0 = any)
  --gateway-port N   the gateway's TTLV port (default 5696)
  --log-level LEVEL  both processes`;

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));

function run(name: string, profile: string): { child: ChildProcess; ready: Promise<number> } {
  const child = spawn(process.execPath, [mainScript, 'serve', '--profile', profile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<number>((resolveReady, reject) => {
    const onData = (c: Buffer) => {
      const text = c.toString();
      for (const line of text.split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
      out += text;
      const m = /KMIP TTLV over TLS\s+127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolveReady(Number(m[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, ready };
}

export const command: CliCommand = {
  summary: 'development deployments (--split: a core and a gateway as two processes)',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          split: { type: 'boolean', default: false },
          'state-dir': { type: 'string', default: './.krypton-dev' },
          'core-port': { type: 'string', default: '5697' },
          'gateway-port': { type: 'string', default: '5696' },
          'log-level': { type: 'string', default: 'info' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
    } catch (err) {
      process.stderr.write(`krypton dev: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (values.help || !values.split) {
      process.stdout.write(USAGE + '\n');
      return values.help ? 0 : 2;
    }
    const dir = resolve(values['state-dir'] ?? './.krypton-dev');
    const { splitPki, writeCoreProfile, writeGatewayProfile } = await import('../../gateway/split.js');
    const pki = await splitPki(dir);
    const logLevel = values['log-level'];
    const coreProfile = writeCoreProfile(dir, pki, {
      ports: { ttlv: Number(values['core-port']), https: 0, admin: 0 },
      logLevel,
    });
    const core = run('core', coreProfile);
    let gateway: ReturnType<typeof run> | undefined;
    const stopAll = () => {
      gateway?.child.kill('SIGTERM');
      core.child.kill('SIGTERM');
    };
    try {
      const corePort = await core.ready;
      const gatewayProfile = writeGatewayProfile(dir, pki, corePort, {
        ports: { ttlv: Number(values['gateway-port']), https: 0, admin: 0 },
        logLevel,
      });
      gateway = run('gateway', gatewayProfile);
      const gatewayPort = await gateway.ready;
      process.stdout.write(
        [
          `Krypton split deployment: clients → gateway 127.0.0.1:${gatewayPort} → core 127.0.0.1:${corePort}`,
          `  client certificate ${pki.client} and key ${pki.clientKey}, CA ${pki.ca}`,
          `  profiles ${coreProfile} and ${gatewayProfile}`,
        ].join('\n') + '\n',
      );
    } catch (err) {
      stopAll();
      process.stderr.write(`krypton dev: ${(err as Error).message}\n`);
      return 1;
    }
    return new Promise<number>((done) => {
      let exited = 0;
      const onExit = () => {
        exited++;
        if (exited === 1) stopAll(); // one stopped: stop the other too
        if (exited === 2) done(0);
      };
      core.child.once('exit', onExit);
      gateway?.child.once('exit', onExit);
      process.once('SIGINT', stopAll);
      process.once('SIGTERM', stopAll);
    });
  },
};
