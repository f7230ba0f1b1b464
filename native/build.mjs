// Builds Krypton's optional native AES key wrap (native/aes_kw.c, loaded by core/keys/native-kw.ts)
// with node-gyp. It never fails the build: without the addon (no C compiler, no Node headers, not
// x64, or KRYPTON_NATIVE_KEY_WRAP=off) Krypton wraps keys with OpenSSL, as it always could.
// Skips the compile when the addon is newer than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, 'build', 'Release', 'krypton_aes_kw.node');
const say = (text) => process.stderr.write(`native key wrap: ${text}\n`);

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return ['aes_kw.c', 'binding.gyp'].every((f) => statSync(join(here, f)).mtimeMs <= built);
}

/** node-gyp: the one npm runs scripts with, else the copy bundled with this npm, else on PATH. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  candidates.push(
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  return candidates.find((c) => c && existsSync(c));
}

function build() {
  if (process.env.KRYPTON_NATIVE_KEY_WRAP === 'off') return say('off (KRYPTON_NATIVE_KEY_WRAP=off)');
  if (process.arch !== 'x64') return say(`not built: AES-NI code is x64 only (this is ${process.arch})`);
  if (upToDate()) return;
  const gyp = nodeGyp();
  if (!gyp) return say('not built: node-gyp not found; key wrap uses OpenSSL');
  const args = [gyp, 'rebuild', '--silent'];
  // Headers of the running Node where it installed them (distribution packages): no download.
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const run = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', timeout: 300_000 });
  if (run.status === 0 && existsSync(addon)) return say('built native/build/Release/krypton_aes_kw.node');
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  say(`not built (key wrap uses OpenSSL):\n${output || run.error?.message || `exit ${run.status}`}`);
}

build();
