import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  attributeInVersion,
  attributeValueInVersion,
  readAttributes,
  writeAttribute,
  writeAttributes,
  type KmipAttribute,
} from '../../../core/attributes/index.js';
import {
  decodeKmipXml,
  decodeKmipXmlMessages,
  deterministicPlaceholders,
} from '../../../core/encodings/index.js';
import { KryptonError } from '../../../core/errors.js';
import {
  CryptographicAlgorithm,
  LinkType,
  NameType,
  ObjectType,
  Tag,
  parseVersion,
} from '../../../core/spec/index.js';
import { firstDifference, type StructureItem, type TtlvItem } from '../../../core/ttlv/index.js';
import { sharedPath } from '../../support/shared.js';
import { listXmlFiles } from '../../support/vectors.js';

const v14 = decodeKmipXml(`<TemplateAttribute>
  <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
  <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>
  <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue>
    <NameValue type="TextString" value="svc-kek"/><NameType type="Enumeration" value="UninterpretedTextString"/>
  </AttributeValue></Attribute>
  <Attribute><AttributeName type="TextString" value="x-ID"/><AttributeValue type="TextString" value="abc"/></Attribute>
  <Attribute><AttributeName type="TextString" value="Activation Date"/><AttributeValue type="DateTime" value="2020-01-01T00:00:00+00:00"/></Attribute>
</TemplateAttribute>`);

test('reads-1x-template-attributes-as-camelcase-names-and-plain-values', () => {
  const attrs = readAttributes(v14);
  assert.deepEqual(
    attrs.map((a) => a.name),
    ['CryptographicAlgorithm', 'CryptographicUsageMask', 'Name', 'x-ID', 'ActivationDate'],
  );
  assert.equal(attrs[0]!.value, CryptographicAlgorithm.AES);
  assert.equal(attrs[1]!.value, 12);
  assert.deepEqual(attrs[2]!.value, { NameValue: 'svc-kek', NameType: NameType.UninterpretedTextString });
  assert.deepEqual(attrs[4]!.value, new Date('2020-01-01T00:00:00Z'));
});

test('1x-custom-and-2x-vendor-x-attributes-are-one-attribute', () => {
  const custom = readAttributes(v14).find((a) => a.name === 'x-ID')!;
  const v21 = writeAttribute(custom, '2.1')!;
  const back = readAttributes({ tag: Tag.Attributes, type: 'Structure', value: [v21] });
  assert.deepEqual(back, [{ name: 'x-ID', value: 'abc' }]);
  const vendor: KmipAttribute = { name: 'Colour', vendorIdentification: 'acme', value: 'blue' };
  assert.equal(writeAttribute(vendor, '1.4'), undefined, 'a 1.x client cannot carry a vendor attribute');
  assert.ok(writeAttribute(vendor, '2.0'));
});

test('writes-for-the-client-version-and-never-sends-newer-attributes', () => {
  const attrs = readAttributes(v14);
  const asV21 = writeAttributes(attrs, '2.1');
  assert.deepEqual(
    asV21.map((i) => i.tag),
    [Tag.CryptographicAlgorithm, Tag.CryptographicUsageMask, Tag.Name, Tag.Attribute, Tag.ActivationDate],
  );
  const back = writeAttributes(
    readAttributes({ tag: Tag.Attributes, type: 'Structure', value: asV21 }),
    '1.4',
  );
  assert.equal(firstDifference({ ...v14, value: back } as TtlvItem, v14), undefined);
  const comment: KmipAttribute = { name: 'Comment', value: 'x' }; // Comment exists from 1.4
  assert.equal(attributeInVersion(comment, '1.3'), false);
  assert.equal(writeAttribute(comment, '1.2'), undefined);
});

test('never-writes-an-enumeration-value-newer-than-the-client-version', () => {
  const link = (type: number): KmipAttribute => ({
    name: 'Link',
    value: { LinkType: type, LinkedObjectIdentifier: 'id-1' },
  });
  // Link Type: Parent Link came with KMIP 1.2 (1.0 §9.1.3.2.19 lists seven types, Certificate to
  // Replaced Object Link), Wrapping Key Link with 2.0 (2.1 §11.28).
  assert.equal(writeAttribute(link(LinkType.ParentLink), '1.0'), undefined, 'no Parent Link in 1.0');
  assert.equal(writeAttribute(link(LinkType.ParentLink), '1.1'), undefined, 'no Parent Link in 1.1');
  const parent12 = writeAttribute(link(LinkType.ParentLink), '1.2')!;
  assert.equal(parent12.type, 'Structure');
  const replaced10 = writeAttribute(link(LinkType.ReplacedObjectLink), '1.0')!;
  assert.equal(replaced10.type, 'Structure', 'Replaced Object Link is a 1.0 Link Type');
  for (const v of ['1.0', '1.2', '1.4'] as const) {
    assert.equal(
      writeAttribute(link(LinkType.WrappingKeyLink), v),
      undefined,
      `no Wrapping Key Link in ${v}`,
    );
    assert.equal(attributeValueInVersion(link(LinkType.WrappingKeyLink), v), false);
  }
  const wrapping20 = writeAttribute(link(LinkType.WrappingKeyLink), '2.0')!;
  assert.equal(wrapping20.tag, Tag.Link);
  assert.equal(attributeValueInVersion(link(LinkType.WrappingKeyLink), '2.1'), true);
  // Only the value the version lacks is left out; the others of the attribute are written.
  const written = writeAttributes(
    [link(LinkType.WrappingKeyLink), link(LinkType.PublicKeyLink)],
    '1.4',
    true,
  );
  assert.equal(written.length, 1);
  const value = (written[0] as StructureItem).value.find(
    (c) => c.tag === Tag.AttributeValue,
  ) as StructureItem;
  assert.deepEqual(
    value.value.find((c) => c.tag === Tag.LinkType),
    { tag: Tag.LinkType, type: 'Enumeration', value: LinkType.PublicKeyLink },
  );
  // A top-level enumeration too: Object Type PGP Key came with 1.2; vendor values are every version's.
  const pgp: KmipAttribute = { name: 'ObjectType', value: ObjectType.PGPKey };
  assert.equal(writeAttribute(pgp, '1.1'), undefined);
  assert.ok(writeAttribute(pgp, '1.2'));
  const vendorValue: KmipAttribute = { name: 'ObjectType', value: 0x80000001 };
  assert.ok(writeAttribute(vendorValue, '1.0'));
  // A request built to probe a server may carry one (core/client): only on request.
  assert.ok(writeAttribute(link(LinkType.WrappingKeyLink), '1.4', false, { anyValue: true }));
});

test('refuses-unknown-attribute-names-and-template-references', () => {
  const bad =
    decodeKmipXml(`<TemplateAttribute><Attribute><AttributeName type="TextString" value="Favourite Colour"/>
    <AttributeValue type="TextString" value="blue"/></Attribute></TemplateAttribute>`);
  assert.throws(() => readAttributes(bad), KryptonError);
  const template = decodeKmipXml(`<TemplateAttribute><Name><NameValue type="TextString" value="t"/>
    <NameType type="Enumeration" value="UninterpretedTextString"/></Name></TemplateAttribute>`);
  assert.throws(() => readAttributes(template), KryptonError);
});

const profiles = sharedPath('kmip-vectors/oasis-profiles');
const CONTAINERS = new Set<number>([
  Tag.TemplateAttribute,
  Tag.CommonTemplateAttribute,
  Tag.PrivateKeyTemplateAttribute,
  Tag.PublicKeyTemplateAttribute,
  Tag.Attributes,
  Tag.CommonAttributes,
  Tag.PrivateKeyAttributes,
  Tag.PublicKeyAttributes,
]);

test(
  'every-attribute-container-in-the-oasis-requests-reads-and-rewrites-unchanged',
  { skip: profiles.skip },
  () => {
    const placeholders = deterministicPlaceholders();
    let containers = 0;
    for (const file of listXmlFiles(profiles.path)) {
      for (const message of decodeKmipXmlMessages(readFileSync(file, 'utf8'), { placeholders })) {
        if (message.type !== 'Structure' || message.tag !== Tag.RequestMessage) continue;
        const header = (message.value[0] as StructureItem).value[0] as StructureItem;
        const [major, minor] = header.value.map((v) => v.value as number);
        const version = parseVersion(major!, minor!)!;
        const visit = (item: TtlvItem): void => {
          if (item.type !== 'Structure') return;
          if (
            CONTAINERS.has(item.tag) &&
            !item.value.some((c) => c.tag === Tag.Name && item.tag !== Tag.Attributes)
          ) {
            const attrs = readAttributes(item);
            const rewritten = writeAttributes(attrs, version, true);
            assert.equal(rewritten.length, item.value.length, `${file}: every attribute written back`);
            containers++;
            return;
          }
          item.value.forEach(visit);
        };
        visit(message);
      }
    }
    assert.ok(containers > 400, `only ${containers} attribute containers seen`);
    console.log(`# attributes: ${containers} request attribute containers read and rewritten`);
  },
);
