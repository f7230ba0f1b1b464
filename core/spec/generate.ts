/**
 * Generates core/spec/generated/*.ts from the machine-readable KMIP 1.0–2.1 specification tables
 * (`<shared>/kmip-spec/tables/{tags,enums,masks,operations,attributes}.json`, described in their
 * README.md).
 *
 *   node dist/core/spec/generate.js [outDir]
 *
 * The tables are read from `${KRYPTON_SHARED_DIR ?? <repoRoot>/../shared}/kmip-spec/tables`; the
 * output goes to `<repoRoot>/core/spec/generated` unless an output folder is given. The output is
 * deterministic (no dates, stable order) and already formatted with the repository's prettier
 * settings, so regenerating from the same tables yields the same bytes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ITEM_TYPE_CODES, type ItemTypeName } from '../ttlv/types.js';
import { KMIP_VERSIONS, type KmipVersion } from './versions.js';

// ---- Table shapes (only the fields the registry uses) ------------------------------------------

interface TagJson {
  name: string;
  camel: string;
  tag: string;
  type: string | null;
  type_by_version: Record<string, string | null>;
  versions: string[];
  deprecated_in: string | null;
  removed_in: string | null;
  aliases: { camel: string }[];
}

interface ValueJson {
  name: string;
  camel: string;
  value: string;
  versions: string[];
  deprecated_in: string | null;
  removed_in: string | null;
  aliases?: { name: string; camel: string; versions: string[] }[];
}

interface EnumJson {
  name: string;
  camel: string;
  tag: string | null;
  tags: string[];
  versions: string[];
  values: ValueJson[];
  values_from?: string;
}

interface MaskJson {
  name: string;
  camel: string;
  tag: string;
  versions: string[];
  values: (ValueJson & { bit: number })[];
}

interface OperationJson {
  name: string;
  camel: string;
  code: string;
  versions: string[];
}

interface AttributeSpecJson {
  type: string | null;
  multi_valued?: boolean | 'conditional' | null;
  members?: { name: string; tag: string; type: string | null }[];
}

interface AttributeJson {
  name: string;
  camel: string;
  tag: string | null;
  in_1_4: boolean;
  in_2_1: boolean;
  spec: Record<string, AttributeSpecJson>;
}

export interface SpecTables {
  tags: TagJson[];
  enums: EnumJson[];
  masks: MaskJson[];
  operations: OperationJson[];
  attributes: AttributeJson[];
}

/**
 * Alias spellings accepted on input but never emitted. KMIP 2.0/2.1 print Mask Generator 0x1 as
 * "MFG1" (a misprint); KMIP 1.4 and every OASIS test case use "MGF1" (tables README, enums.json note).
 */
const INPUT_ONLY_ALIASES: readonly (readonly [enumCamel: string, camel: string])[] = [
  ['MaskGenerator', 'MFG1'],
];

/**
 * Attributes whose rule table gives no "Multiple instances permitted" row. A 2.x Vendor Attribute
 * plays the role of the 1.x Custom Attribute, whose rule says "Yes" (KMIP 1.4 §3.43).
 */
const MULTI_VALUED_OVERRIDES: ReadonlyMap<string, boolean> = new Map([['Vendor Attribute', true]]);

// ---- Helpers -------------------------------------------------------------------------------------

class TableError extends Error {}

function fail(message: string): never {
  throw new TableError(`kmip-spec tables: ${message}`);
}

function asVersion(v: string, where: string): KmipVersion {
  if (!(KMIP_VERSIONS as readonly string[]).includes(v))
    fail(`${where}: unknown version ${JSON.stringify(v)}`);
  return v as KmipVersion;
}

function asType(t: string | null | undefined, where: string): ItemTypeName | null {
  if (t === null || t === undefined) return null;
  if (!Object.hasOwn(ITEM_TYPE_CODES, t)) fail(`${where}: unknown item type ${JSON.stringify(t)}`);
  return t as ItemTypeName;
}

function hex(s: string, where: string): number {
  if (!/^0x[0-9A-F]{1,8}$/i.test(s)) fail(`${where}: bad hex value ${JSON.stringify(s)}`);
  return Number.parseInt(s.slice(2), 16);
}

/** [since, until) of a version list; throws when the list is not contiguous. */
function range(versions: readonly string[], where: string): [KmipVersion, KmipVersion | null] {
  if (versions.length === 0) fail(`${where}: no versions`);
  const idx = versions.map((v) => KMIP_VERSIONS.indexOf(asVersion(v, where)));
  const first = idx[0] as number;
  idx.forEach((n, i) => {
    if (n !== first + i) fail(`${where}: versions ${versions.join(',')} are not contiguous`);
  });
  const last = idx[idx.length - 1] as number;
  return [KMIP_VERSIONS[first] as KmipVersion, KMIP_VERSIONS[last + 1] ?? null];
}

function checkRemoved(removedIn: string | null, until: KmipVersion | null, where: string): void {
  if (removedIn !== null && removedIn !== until)
    fail(`${where}: removed_in ${removedIn} but last version before ${until}`);
}

const hex6 = (n: number): string => `0x${n.toString(16).padStart(6, '0')}`;
const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const str = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ver = (v: string | null): string => (v === null ? 'null' : str(v));
const IDENT = /^[A-Za-z_$][\w$]*$/;
const key = (s: string): string => (IDENT.test(s) ? s : str(s));

function header(source: string): string {
  return [
    `// Generated by core/spec/generate.ts from kmip-spec/tables/${source}. Do not edit:`,
    '// regenerate with `npm run gen:spec`.',
    '',
  ].join('\n');
}

function constObject(doc: string, name: string, entries: readonly (readonly [string, string])[]): string {
  const body = entries.map(([k, v]) => `  ${key(k)}: ${v},`).join('\n');
  return `/** ${doc} */\nexport const ${name} = {\n${body}\n} as const;\n`;
}

function rows(doc: string, name: string, type: string, lines: readonly string[]): string {
  return `/** ${doc} */\nexport const ${name}: readonly ${type}[] = [\n${lines.map((l) => `  ${l},`).join('\n')}\n];\n`;
}

function group(name: string, lines: readonly string[]): string {
  return `  ${key(name)}: [\n${lines.map((l) => `    ${l},`).join('\n')}\n  ],`;
}

function groups(doc: string, name: string, type: string, parts: readonly string[]): string {
  return `/** ${doc} */\nexport const ${name}: Readonly<Record<string, readonly ${type}[]>> = {\n${parts.join('\n')}\n};\n`;
}

// ---- Reading -------------------------------------------------------------------------------------

/** `${KRYPTON_SHARED_DIR ?? <repoRoot>/../shared}/kmip-spec/tables` */
export function defaultTablesDir(root: string = repoRoot()): string {
  return join(process.env.KRYPTON_SHARED_DIR ?? resolve(root, '..', 'shared'), 'kmip-spec', 'tables');
}

/** The nearest folder above this script holding a package.json. */
export function repoRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
  return dir;
}

export function readSpecTables(dir: string): SpecTables {
  const read = <T>(file: string): T[] => {
    const data: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (!Array.isArray(data)) fail(`${file} is not an array`);
    return data as T[];
  };
  return {
    tags: read<TagJson>('tags.json'),
    enums: read<EnumJson>('enums.json'),
    masks: read<MaskJson>('masks.json'),
    operations: read<OperationJson>('operations.json'),
    attributes: read<AttributeJson>('attributes.json'),
  };
}

// ---- Emitters ------------------------------------------------------------------------------------

function emitTags(t: SpecTables): string {
  const tags = [...t.tags].sort((a, b) => hex(a.tag, a.name) - hex(b.tag, b.name));
  const seen = new Map<string, number>();
  const consts: [string, string][] = [];
  const lines: string[] = [];
  const aliases: string[] = [];
  for (const tag of tags) {
    const where = `tag ${tag.name}`;
    const value = hex(tag.tag, where);
    if (value < 0x420000 || value > 0x42ffff) fail(`${where}: ${tag.tag} outside 0x42xxxx`);
    for (const camel of [tag.camel, ...tag.aliases.map((a) => a.camel)]) {
      if (!IDENT.test(camel)) fail(`${where}: name ${camel} is not an identifier`);
      const prior = seen.get(camel);
      if (prior !== undefined && prior !== value) fail(`${where}: name ${camel} used by two tags`);
      seen.set(camel, value);
    }
    const [since, until] = range(tag.versions, where);
    checkRemoved(tag.removed_in, until, where);
    // `type` is the type every version with evidence agrees on; a version without an entry in
    // type_by_version has no encoding table naming the tag and takes that common type. An entry
    // of null means the type varies within that version (e.g. Attribute Value).
    const commonType = asType(tag.type, where);
    const perVersion = KMIP_VERSIONS.map((v) => {
      if (!tag.versions.includes(v)) return null;
      return Object.hasOwn(tag.type_by_version, v)
        ? asType(tag.type_by_version[v], `${where} ${v}`)
        : commonType;
    });
    const present = perVersion.filter((_, i) => tag.versions.includes(KMIP_VERSIONS[i] as string));
    const common = present.every((x) => x === present[0]) ? (present[0] ?? null) : undefined;
    if (commonType !== null && common !== commonType) fail(`${where}: type disagrees with type_by_version`);
    const typeCell =
      common !== undefined
        ? common === null
          ? 'null'
          : str(common)
        : `[${perVersion.map((x) => (x === null ? 'null' : str(x))).join(', ')}]`;
    consts.push([tag.camel, hex6(value)]);
    lines.push(
      `[${hex6(value)}, ${str(tag.camel)}, ${ver(since)}, ${ver(until)}, ${ver(tag.deprecated_in)}, ${typeCell}]`,
    );
    for (const a of tag.aliases) if (a.camel !== tag.camel) aliases.push(`[${hex6(value)}, ${str(a.camel)}]`);
  }
  return [
    header('tags.json'),
    "import type { TagAliasRow, TagRow } from '../rows.js';\n",
    constObject(
      'Every KMIP 1.0–2.1 tag, by CamelCase name (KMIP 1.4 §9.1.3.1, KMIP 2.1 §11.56).',
      'Tag',
      consts,
    ),
    rows(
      '[tag, CamelCase name, since, until, deprecated since, type (one, one per version, or null: varies)]',
      'TAG_ROWS',
      'TagRow',
      lines,
    ),
    rows('Other spellings of a tag name.', 'TAG_ALIAS_ROWS', 'TagAliasRow', aliases),
  ].join('\n');
}

function emitEnums(t: SpecTables, tagNames: ReadonlyMap<number, string>): { rows: string; consts: string[] } {
  const enums = [...t.enums].sort((a, b) => (a.camel < b.camel ? -1 : a.camel > b.camel ? 1 : 0));
  const carriers = new Map<number, string>();
  const enumLines: string[] = [];
  const valueGroups: string[] = [];
  const aliasLines: string[] = [];
  const consts: string[] = [];
  const inputOnly = new Set(INPUT_ONLY_ALIASES.map(([e, c]) => `${e}:${c}`));
  const usedInputOnly = new Set<string>();
  for (const e of enums) {
    const where = `enumeration ${e.name}`;
    if (!IDENT.test(e.camel)) fail(`${where}: name is not an identifier`);
    const primary = e.tag === null ? null : hex(e.tag, where);
    const tags = [...new Set([...(primary === null ? [] : [primary]), ...e.tags.map((x) => hex(x, where))])];
    for (const tag of tags) {
      if (!tagNames.has(tag)) fail(`${where}: carrier ${hex6(tag)} is not in tags.json`);
      const prior = carriers.get(tag);
      if (prior !== undefined) fail(`${where}: tag ${hex6(tag)} already carries ${prior}`);
      carriers.set(tag, e.camel);
    }
    const [since, until] = range(e.versions, where);
    enumLines.push(
      `[${str(e.camel)}, ${str(e.name)}, [${tags.map(hex6).join(', ')}], ${ver(since)}, ${ver(until)}]`,
    );
    if (e.values_from !== undefined && e.values.length > 0) fail(`${where}: values_from with values`);
    const values = [...e.values].sort((a, b) => hex(a.value, where) - hex(b.value, where));
    const names = new Map<string, number>();
    const entries: [string, string][] = [];
    const valueLines: string[] = [];
    for (const v of values) {
      const vw = `${where} value ${v.name}`;
      const n = hex(v.value, vw);
      const [vs, vu] = range(v.versions, vw);
      checkRemoved(v.removed_in, vu, vw);
      for (const camel of [v.camel, ...(v.aliases ?? []).map((a) => a.camel)]) {
        if (!IDENT.test(camel)) fail(`${vw}: name ${camel} is not an identifier`);
        const prior = names.get(camel);
        if (prior !== undefined && prior !== n) fail(`${vw}: name ${camel} names two values`);
        names.set(camel, n);
      }
      valueLines.push(`[${hex8(n)}, ${str(v.camel)}, ${ver(vs)}, ${ver(vu)}, ${ver(v.deprecated_in)}]`);
      entries.push([v.camel, hex8(n)]);
      for (const a of v.aliases ?? []) {
        if (a.camel === v.camel) continue; // same CamelCase spelling (e.g. "Object archived"): nothing to map
        const [as, au] = range(a.versions, `${vw} alias ${a.name}`);
        const id = `${e.camel}:${a.camel}`;
        const emitted = !inputOnly.has(id);
        if (!emitted) usedInputOnly.add(id);
        aliasLines.push(
          `[${str(e.camel)}, ${hex8(n)}, ${str(a.camel)}, ${ver(as)}, ${ver(au)}, ${String(emitted)}]`,
        );
      }
    }
    if (valueLines.length > 0) valueGroups.push(group(e.camel, valueLines));
    if (entries.length > 0) {
      consts.push(
        constObject(`${e.name} (${e.versions.join(', ')}): latest CamelCase name → value.`, e.camel, entries),
      );
    }
  }
  for (const id of inputOnly) if (!usedInputOnly.has(id)) fail(`input-only alias ${id} not found`);
  const text = [
    header('enums.json'),
    "import type { EnumAliasRow, EnumRow, EnumValueRow } from '../rows.js';\n",
    rows(
      '[CamelCase name, spec name, carrier tags, since, until]; Tag takes its values from the tag table.',
      'ENUM_ROWS',
      'EnumRow',
      enumLines,
    ),
    groups(
      'By enumeration: [value, CamelCase name, since, until, deprecated since]',
      'ENUM_VALUES',
      'EnumValueRow',
      valueGroups,
    ),
    rows(
      '[enumeration, value, other spelling, since, until (versions printing it), emitted (false: input only)]',
      'ENUM_ALIAS_ROWS',
      'EnumAliasRow',
      aliasLines,
    ),
  ].join('\n');
  return { rows: text, consts };
}

function emitMasks(t: SpecTables, tagNames: ReadonlyMap<number, string>): { rows: string; consts: string[] } {
  const masks = [...t.masks].sort((a, b) => (a.camel < b.camel ? -1 : a.camel > b.camel ? 1 : 0));
  const maskLines: string[] = [];
  const bitGroups: string[] = [];
  const consts: string[] = [];
  for (const m of masks) {
    const where = `mask ${m.name}`;
    const tag = hex(m.tag, where);
    if (!tagNames.has(tag)) fail(`${where}: tag ${m.tag} is not in tags.json`);
    const [since, until] = range(m.versions, where);
    maskLines.push(`[${str(m.camel)}, ${str(m.name)}, ${hex6(tag)}, ${ver(since)}, ${ver(until)}]`);
    const entries: [string, string][] = [];
    const bitLines: string[] = [];
    for (const b of [...m.values].sort((x, y) => x.bit - y.bit)) {
      const bw = `${where} bit ${b.name}`;
      const value = hex(b.value, bw);
      if (value !== 2 ** b.bit) fail(`${bw}: value ${b.value} is not bit ${b.bit}`);
      const [bs, bu] = range(b.versions, bw);
      checkRemoved(b.removed_in, bu, bw);
      bitLines.push(`[${hex8(value)}, ${str(b.camel)}, ${ver(bs)}, ${ver(bu)}]`);
      entries.push([b.camel, hex8(value)]);
    }
    bitGroups.push(group(m.camel, bitLines));
    consts.push(constObject(`${m.name} bits (${m.versions.join(', ')}).`, m.camel, entries));
  }
  const text = [
    header('masks.json'),
    "import type { MaskBitRow, MaskRow } from '../rows.js';\n",
    rows('[CamelCase name, spec name, tag, since, until]', 'MASK_ROWS', 'MaskRow', maskLines),
    groups('By mask: [bit value, CamelCase name, since, until]', 'MASK_BITS', 'MaskBitRow', bitGroups),
  ].join('\n');
  return { rows: text, consts };
}

function emitOperations(t: SpecTables): string {
  const opEnum = t.enums.find((e) => e.camel === 'Operation') ?? fail('no Operation enumeration');
  const byCode = new Map(opEnum.values.map((v) => [hex(v.value, 'Operation'), v]));
  const ops = [...t.operations].sort((a, b) => hex(a.code, a.name) - hex(b.code, b.name));
  if (ops.length !== byCode.size) fail('operations.json and the Operation enumeration differ in size');
  const lines = ops.map((o) => {
    const where = `operation ${o.name}`;
    const code = hex(o.code, where);
    const v = byCode.get(code);
    if (v === undefined || v.camel !== o.camel)
      fail(`${where}: code ${o.code} disagrees with the Operation enumeration`);
    const [since, until] = range(o.versions, where);
    return `[${hex8(code)}, ${str(o.camel)}, ${str(o.name)}, ${ver(since)}, ${ver(until)}]`;
  });
  return [
    header('operations.json'),
    "import type { OperationRow } from '../rows.js';\n",
    rows('[code, CamelCase name, spec name, since, until]', 'OPERATION_ROWS', 'OperationRow', lines),
  ].join('\n');
}

function emitAttributes(t: SpecTables, tagsByValue: ReadonlyMap<number, TagJson>): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const v1 = KMIP_VERSIONS.filter((v) => v.startsWith('1.'));
  const v2 = KMIP_VERSIONS.filter((v) => v.startsWith('2.'));
  const push = (
    name: string,
    camel: string,
    tag: number | null,
    type: ItemTypeName | null,
    multi: boolean | 'conditional',
    versions: readonly string[],
  ): void => {
    if (seen.has(name) || seen.has(camel)) fail(`attribute ${name}: defined twice`);
    seen.add(name).add(camel);
    const tagCell = tag === null ? 'null' : hex6(tag);
    const typeCell = type === null ? 'null' : str(type);
    const multiCell = typeof multi === 'boolean' ? String(multi) : str(multi);
    const [since, until] = range(versions, `attribute ${name}`);
    lines.push(
      `[${str(name)}, ${str(camel)}, ${tagCell}, ${typeCell}, ${multiCell}, ${ver(since)}, ${ver(until)}]`,
    );
  };
  const attrs = [...t.attributes].sort((a, b) => (a.camel < b.camel ? -1 : a.camel > b.camel ? 1 : 0));
  for (const a of attrs) {
    const where = `attribute ${a.name}`;
    const s21 = a.spec['2.1'];
    const s14 = a.spec['1.4'];
    const tag = a.tag === null ? null : hex(a.tag, where);
    const tagJson =
      tag === null ? undefined : (tagsByValue.get(tag) ?? fail(`${where}: tag ${a.tag} not in tags.json`));
    // 1.4 and 2.1 describe the attribute; 1.0–1.3 and 2.0 follow its tag's presence.
    const spanned = [...(a.in_1_4 ? v1 : []), ...(a.in_2_1 ? v2 : [])];
    const versions = tagJson === undefined ? spanned : spanned.filter((v) => tagJson.versions.includes(v));
    const memberTypes = [...new Set((s21?.members ?? []).map((m) => m.type))];
    const type =
      asType(s21?.type, where) ??
      asType(s14?.type, where) ??
      asType(tagJson?.type, where) ??
      (memberTypes.length === 1 ? asType(memberTypes[0], where) : null);
    const multi = s21?.multi_valued ?? s14?.multi_valued ?? MULTI_VALUED_OVERRIDES.get(a.name) ?? false;
    push(a.name, a.camel, tag, type, multi, versions);
    // 2.x Certificate Attributes is a group: each member is an attribute with its own tag (KMIP 2.1 §4.6).
    for (const m of s21?.members ?? []) {
      const mtag = hex(m.tag, `${where} member ${m.name}`);
      const mj = tagsByValue.get(mtag) ?? fail(`${where}: member tag ${m.tag} not in tags.json`);
      const mversions = v2.filter((v) => mj.versions.includes(v));
      push(m.name, mj.camel, mtag, asType(m.type, where) ?? asType(mj.type, where), multi, mversions);
    }
  }
  return [
    header('attributes.json'),
    "import type { AttributeRow } from '../rows.js';\n",
    rows(
      'Attributes of KMIP 1.4 §3 and 2.1 §4: [spec name, CamelCase name, tag, type, multiple instances, since, until]',
      'ATTRIBUTE_ROWS',
      'AttributeRow',
      lines,
    ),
  ].join('\n');
}

/** The generated sources, by file name. */
export async function generateSpecSources(
  tables: SpecTables,
  root: string = repoRoot(),
): Promise<Map<string, string>> {
  const tagsByValue = new Map(tables.tags.map((x) => [hex(x.tag, x.name), x]));
  const tagNames = new Map([...tagsByValue].map(([k, v]) => [k, v.camel]));
  const enums = emitEnums(tables, tagNames);
  const masks = emitMasks(tables, tagNames);
  const names = [...enums.consts, ...masks.consts].map((c) => /export const (\w+)/.exec(c)?.[1]);
  const clash = names.find((n, i) => n === 'Tag' || names.indexOf(n) !== i);
  if (clash !== undefined) fail(`constant ${String(clash)} is defined twice`);
  const raw = new Map<string, string>([
    ['tags.ts', emitTags(tables)],
    ['enums.ts', enums.rows],
    ['masks.ts', masks.rows],
    [
      'constants.ts',
      [
        header('enums.json and masks.json'),
        '// One object per enumeration and mask: latest CamelCase name → value.\n',
        ...enums.consts,
        ...masks.consts,
      ].join('\n'),
    ],
    ['operations.ts', emitOperations(tables)],
    ['attributes.ts', emitAttributes(tables, tagsByValue)],
  ]);
  // Formatted with the repository's prettier settings so the files read like hand-written code.
  // prettier is a development dependency, loaded only here.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(join(root, 'core', 'spec', 'generated', 'tags.ts'))) ?? {};
  const out = new Map<string, string>();
  for (const [file, text] of raw) {
    out.set(file, await prettier.format(text, { ...options, parser: 'typescript', filepath: file }));
  }
  return out;
}

/** Reads the tables and writes the generated sources into `outDir`. Returns the files written. */
export async function writeSpecSources(tablesDir: string, outDir: string): Promise<string[]> {
  const sources = await generateSpecSources(readSpecTables(tablesDir));
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of sources) {
    const path = join(outDir, file);
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const outDir =
    process.argv[2] !== undefined ? resolve(process.argv[2]) : join(root, 'core', 'spec', 'generated');
  const tablesDir = defaultTablesDir(root);
  if (!existsSync(tablesDir)) {
    process.stderr.write(`kmip-spec tables not found at ${tablesDir} (set KRYPTON_SHARED_DIR)\n`);
    process.exitCode = 1;
    return;
  }
  for (const path of await writeSpecSources(tablesDir, outDir)) process.stdout.write(`wrote ${path}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
