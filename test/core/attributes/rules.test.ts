/**
 * The attribute rule table (core/attributes/rules.ts) against the specification tables
 * (kmip-spec/tables/attributes.json), and the checks made from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ATTRIBUTE_RULE_ROWS,
  attributeRule,
  checkClientChange,
  type AttributeRuleRow,
} from '../../../core/attributes/rules.js';
import { isKryptonError } from '../../../core/errors.js';
import { sharedPath } from '../../support/shared.js';

interface SpecRules {
  initially_set_by?: string[];
  modifiable_by_server?: string;
  modifiable_by_client?: string;
  deletable_by_client?: string;
  multi_valued?: boolean | string;
  applies_to_object_types?: string[];
}

const tables = sharedPath('kmip-spec/tables/attributes.json');

describe('attribute rule table', () => {
  it('matches-every-rules-table-of-kmip-1.4-and-2.1', { skip: tables.skip }, () => {
    const spec = JSON.parse(readFileSync(tables.path, 'utf8')) as {
      camel: string;
      spec: Record<string, SpecRules>;
    }[];
    const expected: AttributeRuleRow[] = [];
    for (const a of spec) {
      for (const v of ['1.4', '2.1'] as const) {
        const s = a.spec[v];
        if (!s?.initially_set_by) continue;
        expected.push([
          a.camel,
          v,
          s.initially_set_by.map((x) => (x === 'server' ? 'S' : 'C')).join('') as 'S' | 'C' | 'SC',
          s.modifiable_by_server as 'yes',
          s.modifiable_by_client as 'yes',
          s.deletable_by_client as 'yes',
          s.multi_valued as boolean,
          s.applies_to_object_types!,
        ]);
      }
    }
    const key = (r: AttributeRuleRow) => `${r[0]}@${r[1]}`;
    assert.deepEqual(
      [...ATTRIBUTE_RULE_ROWS].sort((x, y) => key(x).localeCompare(key(y))),
      expected.sort((x, y) => key(x).localeCompare(key(y))),
    );
  });

  it('uses-1.4-rules-for-1.x-and-2.1-rules-for-2.x', () => {
    // Activation Date applies to Templates in 1.4 and to all objects in 2.1.
    assert.ok(attributeRule({ name: 'ActivationDate' }, '1.2')?.appliesTo.includes('Templates'));
    assert.deepEqual(attributeRule({ name: 'ActivationDate' }, '2.0')?.appliesTo, ['All Objects']);
    // A 2.x-only attribute is not an attribute of a 1.x request.
    assert.equal(attributeRule({ name: 'ShortUniqueIdentifier' }, '1.4'), undefined);
  });

  it('refuses-read-only-attributes-with-the-version-reason', () => {
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return isKryptonError(err) ? err.reason : 'not coded';
      }
      return 'accepted';
    };
    assert.equal(
      reason(() => checkClientChange('modify', { name: 'State' }, 2, '2.1')),
      'AttributeReadOnly',
    );
    assert.equal(
      reason(() => checkClientChange('modify', { name: 'State' }, 2, '1.4')),
      'PermissionDenied',
    );
    assert.equal(
      reason(() => checkClientChange('add', { name: 'CertificateLength' }, 1, '2.1')),
      'ReadOnlyAttribute',
    );
    assert.equal(
      reason(() => checkClientChange('delete', { name: 'Name' }, 2, '2.1')),
      'accepted',
    );
    assert.equal(
      reason(() => checkClientChange('delete', { name: 'ActivationDate' }, 2, '2.1')),
      'AttributeReadOnly',
    );
    assert.equal(
      reason(() => checkClientChange('add', { name: 'x-anything' }, 2, '1.4')),
      'accepted',
    );
    assert.equal(
      reason(() => checkClientChange('add', { name: 'y-server' }, 2, '1.4')),
      'PermissionDenied',
    );
    assert.equal(
      reason(() => checkClientChange('modify', { name: 'x-krypton-level' }, 2, '1.4')),
      'PermissionDenied',
    );
    // Domain parameters apply to asymmetric keys only (KMIP 2.1 §4.14).
    assert.equal(
      reason(() => checkClientChange('add', { name: 'CryptographicDomainParameters' }, 2, '2.1')),
      'InvalidAttribute',
    );
  });
});
