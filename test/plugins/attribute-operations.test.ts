/**
 * Add/Modify/Delete/Set Attribute and Get Attribute List through the real dispatcher on SQLite
 * and PostgreSQL: the 1.x and 2.x payload forms, the rule table's refusals with each version's
 * Result Reason, lifecycle-date conditions, Name uniqueness and tenancy.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Tag } from '../../core/spec/index.js';
import { child, dateTime, enumeration, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import {
  CORE_PLUGINS,
  PHASE_3_4_PLUGINS,
  aesAttributes,
  call,
  createKey,
  identity,
  openHarness,
  postgresSkip,
  textOf,
  uid,
  type Adapter,
  type CoreHarness,
} from './support.js';

const alice = identity('alice', 'tenant-a');
const bob = identity('bob', 'tenant-b');

/** 1.x `Attribute { Attribute Name, Attribute Index?, Attribute Value }`. */
function attr1(name: string, value: TtlvItem, index?: number): TtlvItem {
  return structure(Tag.Attribute, [
    textString(Tag.AttributeName, name),
    ...(index !== undefined ? [integer(Tag.AttributeIndex, index)] : []),
    { ...value, tag: Tag.AttributeValue },
  ]);
}

/** 2.x vendor attribute `Attribute { Vendor Identification, Attribute Name, Attribute Value }`. */
function vendorAttr(vendor: string, name: string, value: string): TtlvItem {
  return structure(Tag.Attribute, [
    textString(Tag.VendorIdentification, vendor),
    textString(Tag.AttributeName, name),
    textString(Tag.AttributeValue, value),
  ]);
}

const text = (v: string) => textString(Tag.AttributeValue, v);
const newAttr = (item: TtlvItem) => structure(Tag.NewAttribute, [item]);
const currentAttr = (item: TtlvItem) => structure(Tag.CurrentAttribute, [item]);
const nameOf = (value: string) =>
  structure(Tag.Name, [textString(Tag.NameValue, value), enumeration(Tag.NameType, 1)]);

function attributeValues(payload: TtlvItem | undefined, name: string): unknown[] {
  if (payload?.type !== 'Structure') return [];
  return payload.value
    .filter((c) => c.tag === Tag.Attribute && textOf(c, Tag.AttributeName) === name)
    .map((c) => child(c, Tag.AttributeValue)?.value);
}

function suite(adapter: Adapter, skip: string | false): void {
  describe(`attribute operations on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    before(async () => {
      h = await openHarness(adapter, { plugins: [...CORE_PLUGINS, ...PHASE_3_4_PLUGINS] });
    });
    after(async () => h?.close());

    it('v1-add-modify-delete-custom-attribute-answer-with-the-attribute', async () => {
      for (const v of ['1.0', '1.4'] as const) {
        const id = await createKey(h, alice, v, aesAttributes(256));
        const added = await call(h, alice, v, 'AddAttribute', [
          uid(id),
          attr1('x-attribute1', text('Value1')),
        ]);
        assert.equal(added.resultStatus, 0, added.resultMessage);
        assert.equal(textOf(added.payload, Tag.UniqueIdentifier), id);
        assert.deepEqual(attributeValues(added.payload, 'x-attribute1'), ['Value1']);
        const second = await call(h, alice, v, 'AddAttribute', [
          uid(id),
          attr1('x-attribute1', text('Value2')),
        ]);
        const index = child(child(second.payload, Tag.Attribute), Tag.AttributeIndex);
        assert.equal(index?.value, 1, 'a second value of a multi-valued attribute gets index 1');

        const modified = await call(h, alice, v, 'ModifyAttribute', [
          uid(id),
          attr1('x-attribute1', text('Modified2'), 1),
        ]);
        assert.deepEqual(attributeValues(modified.payload, 'x-attribute1'), ['Modified2']);
        const got = await call(h, alice, v, 'GetAttributes', [
          uid(id),
          textString(Tag.AttributeName, 'x-attribute1'),
        ]);
        assert.deepEqual(attributeValues(got.payload, 'x-attribute1'), ['Value1', 'Modified2']);

        const deleted = await call(h, alice, v, 'DeleteAttribute', [
          uid(id),
          textString(Tag.AttributeName, 'x-attribute1'),
        ]);
        assert.deepEqual(attributeValues(deleted.payload, 'x-attribute1'), ['Value1'], 'index 0 when absent');
        const left = await call(h, alice, v, 'GetAttributes', [
          uid(id),
          textString(Tag.AttributeName, 'x-attribute1'),
        ]);
        assert.deepEqual(attributeValues(left.payload, 'x-attribute1'), ['Modified2']);
      }
    });

    it('v1-refusals-use-the-1x-reasons', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256));
      const cases: [string, TtlvItem[], string][] = [
        ['index in Add', [uid(id), attr1('x-a', text('v'), 0)], 'InvalidField'],
        ['read-only', [uid(id), attr1('Unique Identifier', text('mine'))], 'PermissionDenied'],
        ['server custom', [uid(id), attr1('y-server', text('v'))], 'PermissionDenied'],
        ['key level', [uid(id), attr1('x-krypton-level', text('L2'))], 'PermissionDenied'],
        [
          'single-valued',
          [uid(id), attr1('Cryptographic Usage Mask', integer(Tag.AttributeValue, 4))],
          'IllegalOperation',
        ],
        [
          'not for this type',
          [uid(id), attr1('Certificate Length', integer(Tag.AttributeValue, 1))],
          'PermissionDenied',
        ],
      ];
      for (const [what, payload, reason] of cases) {
        const r = await call(h, alice, '1.4', 'AddAttribute', payload);
        assert.equal(r.reasonName, reason, `${what}: ${r.resultMessage}`);
      }
      const absent = await call(h, alice, '1.4', 'ModifyAttribute', [uid(id), attr1('x-none', text('v'))]);
      assert.equal(absent.reasonName, 'InvalidField', 'Modify of an absent attribute (1.4 §11.16)');
      await call(h, alice, '1.4', 'AddAttribute', [uid(id), attr1('x-one', text('v'))]);
      const noIndex = await call(h, alice, '1.4', 'ModifyAttribute', [uid(id), attr1('x-one', text('w'), 3)]);
      assert.equal(noIndex.reasonName, 'ItemNotFound');
      const delAbsent = await call(h, alice, '1.4', 'DeleteAttribute', [
        uid(id),
        textString(Tag.AttributeName, 'x-none'),
      ]);
      assert.equal(delAbsent.reasonName, 'ItemNotFound');
      const delRequired = await call(h, alice, '1.4', 'DeleteAttribute', [
        uid(id),
        textString(Tag.AttributeName, 'Cryptographic Usage Mask'),
      ]);
      assert.equal(delRequired.reasonName, 'PermissionDenied');
    });

    it('activation-date-changes-only-while-pre-active', async () => {
      // SKLC-M-3: the OASIS cases expect Permission Denied in 1.x, Wrong Key Lifecycle State in 2.x.
      for (const v of ['1.4', '2.1'] as const) {
        const id = await createKey(h, alice, v, aesAttributes(256));
        const later = new Date(Date.now() + 86_400_000);
        const pre =
          v === '1.4'
            ? await call(h, alice, v, 'AddAttribute', [uid(id), attr1('Activation Date', dateTime(0, later))])
            : await call(h, alice, v, 'SetAttribute', [
                uid(id),
                newAttr(dateTime(Tag.ActivationDate, later)),
              ]);
        assert.equal(pre.resultStatus, 0, `${v}: ${pre.resultMessage}`);
        const stored = await h.services.store.get('tenant-a', id);
        assert.equal(stored.dates.ActivationDate?.getTime(), Math.floor(later.getTime() / 1000) * 1000);
        await call(h, alice, v, 'Activate', [uid(id)]);
        const now = new Date();
        const r =
          v === '1.4'
            ? await call(h, alice, v, 'ModifyAttribute', [
                uid(id),
                attr1('Activation Date', dateTime(0, now)),
              ])
            : await call(h, alice, v, 'ModifyAttribute', [
                uid(id),
                newAttr(dateTime(Tag.ActivationDate, now)),
              ]);
        assert.equal(r.reasonName, v === '1.4' ? 'PermissionDenied' : 'WrongKeyLifecycleState');
      }
    });

    it('v2-add-modify-delete-answer-with-the-identifier-and-use-2x-reasons', async () => {
      const id = await createKey(h, alice, '2.1', aesAttributes(256));
      const added = await call(h, alice, '2.1', 'AddAttribute', [
        uid(id),
        newAttr(textString(Tag.Description, 'first')),
      ]);
      assert.deepEqual(added.payload?.value, [uid(id)]);
      const again = await call(h, alice, '2.1', 'AddAttribute', [
        uid(id),
        newAttr(textString(Tag.Description, 'two')),
      ]);
      assert.equal(again.reasonName, 'AttributeSingleValued');
      const state = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        newAttr(enumeration(Tag.State, 4)),
      ]);
      assert.equal(state.reasonName, 'AttributeReadOnly', 'BL-M-7: State changes only through operations');
      const ro = await call(h, alice, '2.1', 'AddAttribute', [
        uid(id),
        newAttr(integer(Tag.CertificateLength, 1)),
      ]);
      assert.equal(ro.reasonName, 'ReadOnlyAttribute');
      const absent = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        newAttr(textString(Tag.Comment, 'c')),
      ]);
      assert.equal(absent.reasonName, 'AttributeNotFound');

      // Multi-valued vendor attribute: Current Attribute names the value to change.
      for (const value of ['a', 'b']) {
        const r = await call(h, alice, '2.1', 'AddAttribute', [
          uid(id),
          newAttr(vendorAttr('x', 'tags', value)),
        ]);
        assert.equal(r.resultStatus, 0, r.resultMessage);
      }
      const ambiguous = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        newAttr(vendorAttr('x', 'tags', 'c')),
      ]);
      assert.equal(ambiguous.reasonName, 'MultiValuedAttribute');
      const chosen = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        currentAttr(vendorAttr('x', 'tags', 'b')),
        newAttr(vendorAttr('x', 'tags', 'c')),
      ]);
      assert.equal(chosen.resultStatus, 0, chosen.resultMessage);
      const wrong = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        currentAttr(vendorAttr('x', 'tags', 'zzz')),
        newAttr(vendorAttr('x', 'tags', 'c')),
      ]);
      assert.equal(wrong.reasonName, 'AttributeInstanceNotFound');
      const stored = await h.services.store.get('tenant-a', id);
      assert.deepEqual(
        stored.attributes.filter((a) => a.name === 'x-tags').map((a) => a.value),
        ['a', 'c'],
      );
      const one = await call(h, alice, '2.1', 'DeleteAttribute', [
        uid(id),
        currentAttr(vendorAttr('x', 'tags', 'a')),
      ]);
      assert.equal(one.resultStatus, 0, one.resultMessage);
      const all = await call(h, alice, '2.1', 'DeleteAttribute', [
        uid(id),
        structure(Tag.AttributeReference, [
          textString(Tag.VendorIdentification, 'x'),
          textString(Tag.AttributeName, 'tags'),
        ]),
      ]);
      assert.equal(all.resultStatus, 0, all.resultMessage);
      const gone = await call(h, alice, '2.1', 'DeleteAttribute', [
        uid(id),
        enumeration(Tag.AttributeReference, Tag.Comment),
      ]);
      assert.equal(gone.reasonName, 'AttributeNotFound');
      const required = await call(h, alice, '2.1', 'DeleteAttribute', [
        uid(id),
        enumeration(Tag.AttributeReference, Tag.CryptographicUsageMask),
      ]);
      assert.equal(required.reasonName, 'AttributeReadOnly');
      const neither = await call(h, alice, '2.1', 'DeleteAttribute', [uid(id)]);
      assert.equal(neither.reasonName, 'InvalidMessage');
      const after = await h.services.store.get('tenant-a', id);
      assert.equal(after.attributes.filter((a) => a.name === 'x-tags').length, 0);
    });

    it('set-attribute-creates-or-replaces-and-is-2x-only', async () => {
      const id = await createKey(h, alice, '2.1', aesAttributes(256));
      for (const value of ['one', 'two']) {
        const r = await call(h, alice, '2.1', 'SetAttribute', [
          uid(id),
          newAttr(textString(Tag.Comment, value)),
        ]);
        assert.deepEqual(r.payload?.value, [uid(id)], r.resultMessage);
      }
      const stored = await h.services.store.get('tenant-a', id);
      assert.deepEqual(
        stored.attributes.filter((a) => a.name === 'Comment').map((a) => a.value),
        ['two'],
      );
      const mask = await call(h, alice, '2.1', 'SetAttribute', [
        uid(id),
        newAttr(integer(Tag.CryptographicUsageMask, 4)),
      ]);
      assert.equal(mask.reasonName, 'ReadOnlyAttribute');
      const v14 = await call(h, alice, '1.4', 'SetAttribute', [uid(id)]);
      assert.equal(v14.reasonName, 'OperationNotSupported');
    });

    it('name-values-are-unique-within-a-tenant', async () => {
      const name = `uniq-${randomBytes(4).toString('hex')}`;
      const named = await createKey(
        h,
        alice,
        '2.1',
        aesAttributes(256, 0x0c, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
      );
      const other = await createKey(h, alice, '2.1', aesAttributes(256));
      const v2 = await call(h, alice, '2.1', 'AddAttribute', [uid(other), newAttr(nameOf(name))]);
      const self = await call(h, alice, '2.1', 'AddAttribute', [uid(named), newAttr(nameOf(name))]);
      assert.equal(self.reasonName, 'NonUniqueNameAttribute', 'BL-M-8: the same Name twice on one object');
      assert.equal(v2.reasonName, 'NonUniqueNameAttribute');
      const v1 = await call(h, alice, '1.4', 'AddAttribute', [
        uid(other),
        attr1('Name', structure(0, [textString(Tag.NameValue, name), enumeration(Tag.NameType, 1)])),
      ]);
      assert.equal(v1.reasonName, 'IllegalOperation');
      // Another tenant may use the same name.
      const bobs = await createKey(h, bob, '2.1', aesAttributes(256));
      const ok = await call(h, bob, '2.1', 'AddAttribute', [uid(bobs), newAttr(nameOf(name))]);
      assert.equal(ok.resultStatus, 0, ok.resultMessage);
    });

    it('links-are-added-modified-and-deleted-as-attributes', async () => {
      const id = await createKey(h, alice, '2.1', aesAttributes(256));
      const link = (type: number, target: string) =>
        structure(Tag.Link, [
          enumeration(Tag.LinkType, type),
          textString(Tag.LinkedObjectIdentifier, target),
        ]);
      assert.equal(
        (await call(h, alice, '2.1', 'AddAttribute', [uid(id), newAttr(link(0x108, 'parent-1'))]))
          .resultStatus,
        0,
      );
      const mod = await call(h, alice, '2.1', 'ModifyAttribute', [
        uid(id),
        currentAttr(link(0x108, 'parent-1')),
        newAttr(link(0x108, 'parent-2')),
      ]);
      assert.equal(mod.resultStatus, 0, mod.resultMessage);
      assert.deepEqual((await h.services.store.get('tenant-a', id)).links, [
        { linkType: 0x108, linkedObjectId: 'parent-2' },
      ]);
      const del = await call(h, alice, '2.1', 'DeleteAttribute', [
        uid(id),
        currentAttr(link(0x108, 'parent-2')),
      ]);
      assert.equal(del.resultStatus, 0, del.resultMessage);
      assert.deepEqual((await h.services.store.get('tenant-a', id)).links, []);
    });

    it('get-attribute-list-names-attributes-in-the-request-version', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256));
      await call(h, alice, '1.4', 'AddAttribute', [uid(id), attr1('x-note', text('n'))]);
      await call(h, alice, '1.4', 'AddAttribute', [uid(id), attr1('x-note', text('m'))]);
      const v14 = await call(h, alice, '1.4', 'GetAttributeList', [uid(id)]);
      const names = (v14.payload?.value ?? []).filter((c) => c.tag === Tag.AttributeName).map((c) => c.value);
      for (const n of [
        'Unique Identifier',
        'Object Type',
        'State',
        'Cryptographic Usage Mask',
        'Fresh',
        'x-note',
        'x-krypton-level',
      ])
        assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
      assert.equal(names.filter((n) => n === 'x-note').length, 1, 'one name per attribute');
      const v10 = await call(h, alice, '1.0', 'GetAttributeList', [uid(id)]);
      const names10 = (v10.payload?.value ?? [])
        .filter((c) => c.tag === Tag.AttributeName)
        .map((c) => c.value);
      assert.ok(!names10.includes('Fresh'), '1.0 has no Fresh');
      const v21 = await call(h, alice, '2.1', 'GetAttributeList', [uid(id)]);
      const refs = (v21.payload?.value ?? []).filter((c) => c.tag === Tag.AttributeReference);
      assert.ok(refs.some((r) => r.type === 'Enumeration' && r.value === Tag.State));
      assert.ok(
        refs.some(
          (r) =>
            r.type === 'Structure' &&
            textOf(r, Tag.VendorIdentification) === 'x' &&
            textOf(r, Tag.AttributeName) === 'note',
        ),
      );
    });

    it('another-tenants-object-is-not-found-in-every-attribute-operation', async () => {
      const id = await createKey(h, alice, '2.1', aesAttributes(256));
      // Each request in 2.1 and, where the operation exists in 1.x, in 1.4 (attributes by name).
      const ops: [Parameters<typeof call>[3], TtlvItem[], TtlvItem[] | undefined][] = [
        [
          'AddAttribute',
          [uid(id), newAttr(textString(Tag.Comment, 'c'))],
          [uid(id), attr1('x-c', text('c'))],
        ],
        [
          'ModifyAttribute',
          [uid(id), newAttr(textString(Tag.Comment, 'c'))],
          [uid(id), attr1('x-c', text('c'))],
        ],
        [
          'DeleteAttribute',
          [uid(id), enumeration(Tag.AttributeReference, Tag.Comment)],
          [uid(id), textString(Tag.AttributeName, 'x-c')],
        ],
        ['SetAttribute', [uid(id), newAttr(textString(Tag.Comment, 'c'))], undefined],
        ['GetAttributeList', [uid(id)], [uid(id)]],
        ['Check', [uid(id)], [uid(id)]],
        ['Archive', [uid(id)], [uid(id)]],
        ['Recover', [uid(id)], [uid(id)]],
      ];
      for (const [op, v21, v14] of ops) {
        const r = await call(h, bob, '2.1', op, v21);
        assert.equal(r.reasonName, 'ObjectNotFound', `${op}: ${r.resultMessage}`);
        if (!v14) continue;
        // 1.x has no Object Not Found: Item Not Found (1.4 §11.14-11.24).
        const r14 = await call(h, bob, '1.4', op, v14);
        assert.equal(r14.reasonName, 'ItemNotFound', `1.4 ${op}: ${r14.resultMessage}`);
      }
      assert.equal(
        (await h.services.store.get('tenant-a', id)).attributes.some((a) => a.name === 'Comment'),
        false,
      );
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
