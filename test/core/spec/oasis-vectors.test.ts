import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import {
  attributeByName,
  enumForTag,
  maskForTag,
  parseVersion,
  tagByName,
  tagInVersion,
  type EnumDef,
  type KmipVersion,
  type MaskDef,
} from '../../../core/spec/index.js';
import { sharedPath } from '../../support/shared.js';

const profiles = sharedPath('kmip-vectors/oasis-profiles');

/** Root elements of the test-case files, not KMIP tags. */
const WRAPPERS = new Set(['KMIP', 'KmipTestCase']);

function xmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...xmlFiles(path));
    else if (entry.name.endsWith('.xml')) out.push(path);
  }
  return out.sort();
}

interface Element {
  name: string;
  type: string | undefined;
  value: string | undefined;
}

/** Opening and self-closing elements, in document order (comments skipped). A regex scan suffices here. */
function* elements(xml: string): Generator<Element> {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of text.matchAll(/<([A-Za-z_][\w.-]*)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*\/?>/g)) {
    const attrs = m[2] ?? '';
    yield {
      name: m[1] as string,
      type: /\btype\s*=\s*"([^"]*)"/.exec(attrs)?.[1],
      value: /\bvalue\s*=\s*"([^"]*)"/.exec(attrs)?.[1],
    };
  }
}

function fileVersion(xml: string): KmipVersion | undefined {
  const major = /<ProtocolVersionMajor\s+type="Integer"\s+value="(\d+)"/.exec(xml)?.[1];
  const minor = /<ProtocolVersionMinor\s+type="Integer"\s+value="(\d+)"/.exec(xml)?.[1];
  return major === undefined || minor === undefined ? undefined : parseVersion(Number(major), Number(minor));
}

interface Scan {
  files: number;
  elements: number;
  enumValues: number;
  maskTokens: number;
  tagMisses: Set<string>;
  versionMisses: Set<string>;
  enumMisses: Map<string, string>;
  enumVersionMisses: Set<string>;
  maskMisses: Set<string>;
}

function scan(): Scan {
  const s: Scan = {
    files: 0,
    elements: 0,
    enumValues: 0,
    maskTokens: 0,
    tagMisses: new Set(),
    versionMisses: new Set(),
    enumMisses: new Map(),
    enumVersionMisses: new Set(),
    maskMisses: new Set(),
  };
  for (const file of xmlFiles(profiles.path)) {
    const xml = readFileSync(file, 'utf8');
    const where = relative(profiles.path, file);
    const version = fileVersion(xml);
    assert.ok(version !== undefined, `${where}: no protocol version`);
    s.files++;
    let attributeName: string | undefined;
    for (const el of elements(xml)) {
      if (WRAPPERS.has(el.name)) continue;
      s.elements++;
      const tag = tagByName(el.name);
      if (tag === undefined) {
        s.tagMisses.add(`${el.name} (${where})`);
        continue;
      }
      if (!tagInVersion(tag, version)) s.versionMisses.add(`${el.name} not in ${version} (${where})`);
      if (el.name === 'AttributeName') attributeName = el.value;
      if (el.value === undefined) continue;

      let enumDef: EnumDef | undefined;
      let maskDef: MaskDef | undefined;
      if (el.name === 'AttributeValue') {
        if (attributeName === undefined || /^[xy]-/.test(attributeName)) continue;
        const attr = attributeByName(attributeName);
        enumDef = attr?.enumDef;
        maskDef = attr?.maskDef;
        if (el.type === 'Enumeration' && enumDef === undefined) {
          s.enumMisses.set(`attribute ${attributeName}:${el.value}`, where);
          continue;
        }
      } else {
        enumDef = enumForTag(tag);
        maskDef = maskForTag(tag);
      }
      if (el.type === 'Enumeration') {
        s.enumValues++;
        const key = `${enumDef?.camel ?? el.name}:${el.value}`;
        if (enumDef?.value(el.value) === undefined) s.enumMisses.set(key, where);
        else if (enumDef.value(el.value, version) === undefined)
          s.enumVersionMisses.add(`${key} not in ${version} (${where})`);
      } else if (el.type === 'Integer' && maskDef !== undefined) {
        for (const token of el.value.split(/[\s|]+/).filter((x) => x !== '')) {
          if (/^(0x[0-9a-f]+|\d+)$/i.test(token)) continue;
          s.maskTokens++;
          if (maskDef.bit(token) === undefined) s.maskMisses.add(`${maskDef.camel}:${token} (${where})`);
        }
      }
    }
  }
  return s;
}

test('oasis-test-cases-resolve-through-the-registry', { skip: profiles.skip }, async (t) => {
  const s = scan();
  assert.ok(
    s.files > 300 && s.elements > 50_000 && s.enumValues > 5_000 && s.maskTokens > 300,
    JSON.stringify(s),
  );

  await t.test('every-element-name-is-a-tag', () => {
    assert.deepEqual([...s.tagMisses], []);
  });
  await t.test('every-element-is-defined-in-the-version-of-its-test-case', () => {
    assert.deepEqual([...s.versionMisses], []);
  });
  // PKCS#11 Function / Return Code values (OK, C_Initialize, …) resolve through core/spec/pkcs11.ts.
  await t.test('every-enumeration-value-resolves', () => {
    assert.deepEqual([...s.enumMisses], []);
  });
  await t.test('every-enumeration-value-is-defined-in-the-version-of-its-test-case', () => {
    assert.deepEqual([...s.enumVersionMisses], []);
  });
  await t.test('every-mask-token-is-a-bit-name', () => {
    assert.deepEqual([...s.maskMisses], []);
  });
});
