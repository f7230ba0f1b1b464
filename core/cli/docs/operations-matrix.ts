/**
 * docs/operations-matrix.md, generated: every operation of the protocol registry (core/spec
 * OPERATIONS) and every vendor operation a plugin declares, with the KMIP versions it exists in,
 * the phase and roles its descriptor declares, and whether each shipped profile loads it.
 *
 * Derived from the loaded descriptors, never from a hand-kept list, so the matrix grows as
 * operation plugins land; `krypton docs --check` fails when the committed file is stale.
 */
import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadProfile } from '../../config/load.js';
import type { ProfileConfig } from '../../config/schema.js';
import { isOperationDescriptor } from '../../dispatch/operation.js';
import type { DefinedOperation, OperationRole } from '../../dispatch/operation.js';
import { rolesOf } from '../../server/plugin-loader.js';
import { KMIP_VERSIONS, OPERATIONS } from '../../spec/index.js';
import type { KmipVersion } from '../../spec/index.js';

export interface MatrixSources {
  /** Repository (or package) root: profiles/ and deploy/profiles/ are read from here. */
  readonly root: string;
  /** Folder of the compiled built-in operation plugins (`builtin:<name>` → <dir>/<name>.js). */
  readonly pluginsDir: string;
}

/** Where the compiled built-in plugins sit beside core/ in a build (see core/server/plugin-loader.ts). */
export const BUILTIN_PLUGINS_DIR = fileURLToPath(new URL('../../../plugins/', import.meta.url));

/** The profile folders the matrix reports on, in column order. */
export const MATRIX_PROFILE_DIRS = ['profiles', 'deploy/profiles'] as const;

interface CatalogEntry {
  readonly descriptor: DefinedOperation;
  /** As a resolved profile lists it: `builtin:create`, an npm name, or an absolute path. */
  readonly module: string;
  /** For the reader: paths relative to the root. */
  readonly display: string;
}

interface MatrixProfile {
  readonly label: string;
  readonly file: string;
  readonly config: ProfileConfig;
}

function nameOf(d: DefinedOperation): string {
  return typeof d.operation === 'string' ? d.operation : d.operation.name;
}

function specifierOf(module: string, pluginsDir: string): string {
  if (module.startsWith('builtin:')) return pathToFileURL(join(pluginsDir, `${module.slice(8)}.js`)).href;
  return module.startsWith('/') ? pathToFileURL(module).href : module;
}

async function descriptorsOf(specifier: string): Promise<DefinedOperation[]> {
  const mod = (await import(specifier)) as Record<string, unknown>;
  return Object.values(mod).filter(isOperationDescriptor) as DefinedOperation[];
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function loadsOperation(profile: ProfileConfig, entry: CatalogEntry): boolean {
  const roles: readonly OperationRole[] = rolesOf(profile.role);
  const d = entry.descriptor;
  if (!profile.phases.includes(d.phase) || !d.roles.some((r) => roles.includes(r))) return false;
  return profile.plugins.some((p) => p.module === entry.module);
}

/** Built-in plugin modules: plugins/<name>.js and one folder level, plugins/<folder>/<name>.js. */
function builtinModules(pluginsDir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(pluginsDir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) out.push(`builtin:${basename(entry.name, '.js')}`);
    if (entry.isDirectory()) {
      for (const f of readdirSync(join(pluginsDir, entry.name)))
        if (f.endsWith('.js')) out.push(`builtin:${entry.name}/${basename(f, '.js')}`);
    }
  }
  return out.sort();
}

/**
 * Loads every built-in plugin and every plugin the profiles name, keyed by operation name. An
 * operation may have several descriptors (e.g. a gateway one serving L4 locally and a core one).
 */
async function collect(sources: MatrixSources): Promise<{
  catalog: Map<string, CatalogEntry[]>;
  profiles: MatrixProfile[];
}> {
  const catalog = new Map<string, CatalogEntry[]>();
  const add = (entry: CatalogEntry): void => {
    const name = nameOf(entry.descriptor);
    const list = catalog.get(name) ?? [];
    if (!list.some((e) => e.module === entry.module && e.descriptor === entry.descriptor)) list.push(entry);
    catalog.set(name, list);
  };
  for (const module of builtinModules(sources.pluginsDir)) {
    for (const descriptor of await descriptorsOf(specifierOf(module, sources.pluginsDir))) {
      add({ descriptor, module, display: module });
    }
  }
  const profiles: MatrixProfile[] = [];
  for (const dir of MATRIX_PROFILE_DIRS) {
    for (const file of listJson(join(sources.root, dir))) {
      // An empty environment: the matrix must not depend on the machine that generates it.
      const config = loadProfile(file, { env: {}, cwd: sources.root });
      profiles.push({ label: config.name, file: relative(sources.root, file), config });
      for (const ref of config.plugins) {
        if (ref.module.startsWith('builtin:')) continue;
        const display = ref.module.startsWith('/') ? relative(sources.root, ref.module) : ref.module;
        for (const descriptor of await descriptorsOf(specifierOf(ref.module, sources.pluginsDir))) {
          add({ descriptor, module: ref.module, display });
        }
      }
    }
  }
  return { catalog, profiles };
}

function hex(code: number): string {
  return `0x${code
    .toString(16)
    .toUpperCase()
    .padStart(code > 0xffff ? 8 : 2, '0')}`;
}

function versionCells(
  specVersions: readonly KmipVersion[],
  served: readonly KmipVersion[] | undefined,
): string[] {
  return KMIP_VERSIONS.map((v) => {
    if (!specVersions.includes(v)) return '';
    if (served === undefined) return '○';
    return served.includes(v) ? '✓' : '○';
  });
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Phase, roles and permission cells of an operation with one or more descriptors. */
function descriptorCells(entries: readonly CatalogEntry[]): string[] {
  if (entries.length === 0) return ['—', 'not implemented', '—'];
  const ds = entries.map((e) => e.descriptor);
  const phases = distinct(ds.map((d) => String(d.phase)));
  const roles =
    phases.length === 1
      ? distinct(ds.flatMap((d) => d.roles)).join(', ')
      : ds.map((d) => `${d.roles.join(', ')} (phase ${d.phase})`).join('; ');
  return [phases.join(', '), roles, distinct(ds.map((d) => `\`${d.permission}\``)).join(', ')];
}

/** Versions any descriptor serves; undefined when none is implemented. */
function servedVersions(entries: readonly CatalogEntry[]): readonly KmipVersion[] | undefined {
  if (entries.length === 0) return undefined;
  return KMIP_VERSIONS.filter((v) =>
    entries.some((e) => (e.descriptor.versions ?? KMIP_VERSIONS).includes(v)),
  );
}

/** The Markdown text of docs/operations-matrix.md. */
export async function generateOperationsMatrix(sources: MatrixSources): Promise<string> {
  const { catalog, profiles } = await collect(sources);
  const profileCells = (entries: readonly CatalogEntry[]): string[] =>
    profiles.map((p) => (entries.some((e) => loadsOperation(p.config, e)) ? '✓' : ''));

  const header = [
    'Operation',
    'Code',
    ...KMIP_VERSIONS,
    'Phase',
    'Roles',
    'Permission',
    ...profiles.map((p) => p.label),
  ];
  const align = header.map((_, i) => (i >= 2 && i < 2 + KMIP_VERSIONS.length ? ':-:' : '---'));
  const standard = OPERATIONS.map((op) => {
    const entries = catalog.get(op.camel) ?? [];
    return row([
      op.name,
      hex(op.code),
      ...versionCells(op.versions, servedVersions(entries)),
      ...descriptorCells(entries),
      ...profileCells(entries),
    ]);
  });
  const vendor = [...catalog.values()]
    .filter((entries) => typeof entries[0]?.descriptor.operation === 'object')
    .sort((a, b) => codeOf(a[0] as CatalogEntry) - codeOf(b[0] as CatalogEntry))
    .map((entries) => {
      const first = entries[0] as CatalogEntry;
      return row([
        nameOf(first.descriptor),
        hex(codeOf(first)),
        ...versionCells(KMIP_VERSIONS, servedVersions(entries)),
        ...descriptorCells(entries),
        ...profileCells(entries),
      ]);
    });

  const specVersionsOf = (e: CatalogEntry): readonly KmipVersion[] =>
    typeof e.descriptor.operation === 'string'
      ? (OPERATIONS.find((o) => o.camel === e.descriptor.operation)?.versions ?? [])
      : KMIP_VERSIONS;
  const perRole = (['core', 'gateway'] as const).map((role) =>
    row([
      role,
      ...KMIP_VERSIONS.map((v) =>
        String(
          [...catalog.values()].filter((entries) =>
            entries.some(
              (e) =>
                e.descriptor.roles.includes(role) &&
                (e.descriptor.versions ?? KMIP_VERSIONS).includes(v) &&
                specVersionsOf(e).includes(v),
            ),
          ).length,
        ),
      ),
    ]),
  );

  const implemented = [...catalog.values()].flat();
  const plugins = implemented
    .map((e) => [e.display, nameOf(e.descriptor)] as const)
    .sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
  const byModule = new Map<string, string[]>();
  for (const [module, op] of plugins) byModule.set(module, [...(byModule.get(module) ?? []), op]);

  return [
    '# KMIP operations matrix',
    '',
    '<!-- Generated by `krypton docs --write` from core/spec OPERATIONS, the operation plugins and',
    '     the profiles. Do not edit by hand: `npm test` fails when this file is stale. -->',
    '',
    'Every operation of KMIP 1.0–2.1 from the protocol registry, with what Krypton does with it:',
    'the phase and roles its plugin declares, the permission the dispatcher checks, and whether',
    'each shipped profile loads it. A profile loads an operation when it lists the plugin, enables',
    "the plugin's phase and has one of its roles (`standalone` has both). Query answers with exactly",
    'the loaded operations.',
    '',
    'Version columns: ✓ served in that version, ○ in the specification of that version but not',
    'served by Krypton, blank: not part of that version.',
    '',
    `Profiles: ${profiles.map((p) => `\`${p.label}\` (${p.file})`).join(', ')}.`,
    '',
    '## Operations implemented per role and version (loaded when a profile lists their plugin)',
    '',
    row(['Role', ...KMIP_VERSIONS]),
    row(['---', ...KMIP_VERSIONS.map(() => '--:')]),
    ...perRole,
    '',
    '## Standard operations',
    '',
    row(header),
    row(align),
    ...standard,
    '',
    '## Vendor extension operations',
    '',
    vendor.length === 0
      ? 'None of the built-in plugins or shipped profiles adds one (see docs/plugins.md to write one).'
      : [row(header), row(align), ...vendor].join('\n'),
    '',
    '## Plugins',
    '',
    row(['Module', 'Operations']),
    row(['---', '---']),
    ...[...byModule].map(([module, ops]) => row([`\`${module}\``, ops.join(', ')])),
    '',
  ].join('\n');
}

function codeOf(e: CatalogEntry): number {
  const op = e.descriptor.operation;
  return typeof op === 'string' ? (OPERATIONS.find((o) => o.camel === op)?.code ?? 0) : op.code;
}
