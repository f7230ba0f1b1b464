#!/usr/bin/env node
/**
 * `krypton` — the command-line entry point. Each command lives in core/cli/commands/<name>.ts,
 * exports `run(argv)` and is loaded only when named, so `krypton convert` never loads the server.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface CliCommand {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

type CommandLoader = () => Promise<CliCommand>;

/** Frozen name → loader map; a command module exports `command`. */
export const COMMANDS: Readonly<Record<string, CommandLoader>> = Object.freeze({
  convert: async () => (await import('./commands/convert.js')).command,
  migrate: async () => (await import('./commands/migrate.js')).command,
  init: async () => (await import('./commands/init.js')).command,
  serve: async () => (await import('./commands/serve.js')).command,
  dev: async () => (await import('./commands/dev.js')).command,
  client: async () => (await import('./commands/client.js')).command,
  conformance: async () => (await import('./commands/conformance.js')).command,
  docs: async () => (await import('./commands/docs.js')).command,
  audit: async () => (await import('./commands/audit.js')).command,
});

function usage(): string {
  return [
    'usage: krypton <command> [options]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((c) => `  ${c}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 1;
  }
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!loader) {
    process.stderr.write(`krypton: unknown command '${name}'\n${usage()}\n`);
    return 1;
  }
  const command = await loader();
  return command.run(rest);
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`krypton: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
