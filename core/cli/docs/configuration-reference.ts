/**
 * docs/configuration.md, generated from the ajv profile schema (core/config/schema.ts): every
 * setting with its type, default, constraints, environment variable and description.
 */
import { envNameOf, OVERRIDABLE_SETTINGS } from '../../config/load.js';
import { profileSchema } from '../../config/schema.js';
import { SETTING_DESCRIPTIONS } from './setting-descriptions.js';

type SchemaNode = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  required?: string[];
  description?: string;
};

export interface SettingRow {
  readonly path: string;
  readonly type: string;
  readonly defaultValue: string;
  readonly constraints: string;
  readonly env: string;
  readonly description: string | undefined;
  readonly required: boolean;
  /** True for sections (objects with their own settings). */
  readonly section: boolean;
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.type === 'array') {
    const item = node.items ? typeOf(node.items) : 'any';
    return node.items?.anyOf || node.items?.enum ? `(${item})[]` : `${item}[]`;
  }
  if (node.type === 'object' && node.properties) {
    return `{ ${Object.keys(node.properties)
      .map((k) => (node.required?.includes(k) ? k : `${k}?`))
      .join(', ')} }`;
  }
  return node.type ?? 'any';
}

function rangeOf(n: SchemaNode): string | undefined {
  if (typeof n.minimum === 'number' && typeof n.maximum === 'number') return `${n.minimum}–${n.maximum}`;
  if (typeof n.minimum === 'number') return `≥ ${n.minimum}`;
  if (typeof n.maximum === 'number') return `≤ ${n.maximum}`;
  return undefined;
}

function constraintsOf(node: SchemaNode): string {
  const out: string[] = [];
  const range = rangeOf(node);
  if (range) out.push(range);
  if (node.type === 'array' && node.items) {
    const itemRange = rangeOf(node.items);
    if (itemRange) out.push(`each ${itemRange}`);
  }
  if (typeof node.minLength === 'number' && node.minLength > 1) out.push(`length ≥ ${node.minLength}`);
  if (typeof node.maxLength === 'number') out.push(`length ≤ ${node.maxLength}`);
  if (typeof node.pattern === 'string') out.push(`pattern \`${node.pattern}\``);
  if (node.uniqueItems === true) out.push('unique');
  return out.join(', ');
}

function defaultOf(node: SchemaNode): string {
  if (node.default === undefined) return '';
  const emptyObject =
    typeof node.default === 'object' &&
    node.default !== null &&
    !Array.isArray(node.default) &&
    Object.keys(node.default).length === 0;
  if (emptyObject) return '';
  return `\`${JSON.stringify(node.default)}\``;
}

/** Every setting of the profile schema, depth first, in schema order. */
export function settingRows(schema: SchemaNode = profileSchema as unknown as SchemaNode): SettingRow[] {
  const rows: SettingRow[] = [];
  const visit = (node: SchemaNode, path: string, required: boolean): void => {
    const props = node.properties;
    const section =
      node.type === 'object' && (props !== undefined || typeof node.additionalProperties === 'object');
    rows.push({
      path,
      type: section ? 'object' : typeOf(node),
      defaultValue: defaultOf(node),
      constraints: constraintsOf(node),
      env: OVERRIDABLE_SETTINGS.has(path) ? `\`${envNameOf(path)}\`` : '',
      description: node.description ?? SETTING_DESCRIPTIONS[path],
      required,
      section,
    });
    if (props)
      for (const [key, sub] of Object.entries(props))
        visit(sub, `${path}.${key}`, node.required?.includes(key) ?? false);
    if (typeof node.additionalProperties === 'object' && node.additionalProperties.properties) {
      const sub = node.additionalProperties;
      for (const [key, leaf] of Object.entries(sub.properties ?? {}))
        visit(leaf, `${path}.<name>.${key}`, sub.required?.includes(key) ?? false);
    }
    if (node.type === 'array' && node.items?.anyOf) {
      const objectForm = node.items.anyOf.find((b) => b.type === 'object' && b.properties);
      for (const [key, leaf] of Object.entries(objectForm?.properties ?? {}))
        visit(leaf, `${path}[].${key}`, objectForm?.required?.includes(key) ?? false);
    }
  };
  for (const [key, sub] of Object.entries(schema.properties ?? {}))
    visit(sub, key, schema.required?.includes(key) ?? false);
  return rows;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown text of docs/configuration.md. */
export function generateConfigurationReference(): string {
  const rows = settingRows();
  const top = rows.filter((r) => !r.path.includes('.') && !r.path.includes('['));
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `krypton docs --write` from the ajv profile schema in core/config/schema.ts.',
    '     Do not edit by hand: `npm test` fails when this file is stale. -->',
    '',
    'A profile is one JSON document per deployment, validated at boot by one precompiled ajv',
    'validator: unknown settings are refused, defaults below are filled in, and every error names',
    'the file and the field. `krypton serve --profile standalone|core|gateway|<file>` loads one.',
    '',
    'Every scalar setting can be overridden without editing the profile, in this order (last wins):',
    'the profile file, the environment variable given below, then',
    '`krypton serve --set <path>=<value>` (arrays as comma-separated lists). Secrets (PostgreSQL',
    'password, PKCS#11 PIN, YubiHSM password) are never written in a profile: name an environment',
    'variable or a file holding them.',
    '',
    'Required at the top level: ' +
      top
        .filter((r) => r.required)
        .map((r) => `\`${r.path}\``)
        .join(', ') +
      '.',
    '',
  ];
  const header = [
    '| Setting | Type | Default | Constraints | Environment | Description |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const line = (r: SettingRow): string =>
    `| \`${r.path}\`${r.required ? ' (required)' : ''} | ${r.type} | ${r.defaultValue} | ${cell(r.constraints)} | ${r.env} | ${cell(r.description ?? '')} |`;
  const inTopTable = (r: SettingRow): boolean =>
    !r.section && !r.path.includes('.') ? true : /^[^.[]+\[\]\./.test(r.path);
  out.push('## Top-level settings', '', ...header, ...rows.filter(inTopTable).map(line), '');
  for (const section of top.filter((r) => r.section)) {
    const members = rows.filter((r) => r.path.startsWith(`${section.path}.`));
    const subsections = members.filter((r) => r.section);
    const leaves = members.filter((r) => !r.section);
    out.push(`## \`${section.path}\``, '', section.description ?? '', '');
    if (subsections.length > 0)
      out.push(...subsections.map((r) => `- \`${r.path}\`: ${r.description ?? ''}`), '');
    if (leaves.length > 0) out.push(...header, ...leaves.map(line), '');
    else out.push('An open section: any JSON object is accepted here.', '');
  }
  return out.join('\n');
}

/** Settings without a description (schema `description` or SETTING_DESCRIPTIONS). */
export function undescribedSettings(): string[] {
  return settingRows()
    .filter((r) => r.description === undefined)
    .map((r) => r.path);
}
