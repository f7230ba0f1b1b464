/**
 * Query (KMIP 2.1 §6.1.37, 1.4 §4.25): answers with exactly what this server loaded — its
 * operations, the object types its operations handle, server information, extension
 * information — filtered to what exists in the request's protocol version. Functions with
 * nothing to report (namespaces, attestation types, RNGs, validations, profiles, capabilities,
 * registration methods) are answered with no items, which the specification allows.
 *
 * Failure cases: a Query Function not defined in the request's version → Invalid Field.
 */
import { KryptonError } from '../core/errors.js';
import { defineOperation } from '../core/dispatch/operation.js';
import type { RequestContext } from '../core/dispatch/operation.js';
import { ITEM_TYPE_CODES } from '../core/ttlv/types.js';
import type { TtlvItem } from '../core/ttlv/types.js';
import { enumeration, integer, structure, textString, children } from '../core/ttlv/tree.js';
import {
  ObjectType,
  QueryFunction,
  Tag,
  enumForTag,
  isExtensionEnumValue,
  operationByCode,
  tagInVersion,
} from '../core/spec/index.js';
import { versionIndex } from '../core/spec/versions.js';

export const VENDOR_IDENTIFICATION = 'Krypton';
export const PRODUCT_NAME = 'Krypton KMIP server';
export const SERVER_VERSION = '0.1.0';

const QUERY_FUNCTION = enumForTag(Tag.QueryFunction);

function operationsFor(ctx: RequestContext): TtlvItem[] {
  return ctx.registry
    .operationCodes()
    .filter(
      (code) => isExtensionEnumValue(code) || operationByCode(code)?.versions.includes(ctx.protocolVersion),
    )
    .map((code) => enumeration(Tag.Operation, code));
}

function objectTypesFor(ctx: RequestContext): TtlvItem[] {
  const objectTypeEnum = enumForTag(Tag.ObjectType);
  const codes = new Set<number>();
  for (const d of ctx.registry.descriptors()) {
    for (const name of d.objectTypes ?? []) {
      const code = (ObjectType as Record<string, number>)[name];
      if (code !== undefined && objectTypeEnum?.inVersion(code, ctx.protocolVersion)) codes.add(code);
    }
  }
  return [...codes].map((c) => enumeration(Tag.ObjectType, c));
}

function serverInformation(ctx: RequestContext): TtlvItem[] {
  const out: TtlvItem[] = [textString(Tag.VendorIdentification, VENDOR_IDENTIFICATION)];
  // 2.x defines the members of Server Information; in 1.x it is vendor-specific, sent empty.
  out.push(
    structure(
      Tag.ServerInformation,
      versionIndex(ctx.protocolVersion) >= versionIndex('2.0')
        ? [
            textString(Tag.ServerName, PRODUCT_NAME),
            textString(Tag.ServerVersion, SERVER_VERSION),
            textString(Tag.ProductName, PRODUCT_NAME),
          ]
        : [],
    ),
  );
  return out;
}

function extensionInformation(ctx: RequestContext, withMap: boolean): TtlvItem[] {
  return ctx.registry.extensionTags().map((t) =>
    structure(Tag.ExtensionInformation, [
      textString(Tag.ExtensionName, t.name),
      ...(withMap
        ? [
            integer(Tag.ExtensionTag, t.tag),
            // Extension Type is an Integer in 1.x and an Item Type enumeration in 2.x.
            versionIndex(ctx.protocolVersion) >= versionIndex('2.0')
              ? enumeration(Tag.ExtensionType, ITEM_TYPE_CODES[t.type])
              : integer(Tag.ExtensionType, ITEM_TYPE_CODES[t.type]),
          ]
        : []),
    ]),
  );
}

export const query = defineOperation({
  operation: 'Query',
  phase: 1,
  roles: ['core', 'gateway'],
  permission: 'query',
  handle(ctx, payload) {
    const asked = new Set<number>();
    for (const f of children(payload, Tag.QueryFunction)) {
      if (f.type !== 'Enumeration' || !QUERY_FUNCTION?.inVersion(f.value, ctx.protocolVersion)) {
        throw new KryptonError('KRY_ENC_UNKNOWN_ENUM', 'Query Function', {
          field: 'RequestPayload/QueryFunction',
        });
      }
      asked.add(f.value);
    }
    const extensionsInVersion = tagInVersion(Tag.ExtensionInformation, ctx.protocolVersion);
    // Fields in the order of the Query response payload (KMIP 2.1 §6.1.37, Table 229).
    const out: TtlvItem[] = [];
    if (asked.has(QueryFunction.QueryOperations)) out.push(...operationsFor(ctx));
    if (asked.has(QueryFunction.QueryObjects)) out.push(...objectTypesFor(ctx));
    if (asked.has(QueryFunction.QueryServerInformation)) out.push(...serverInformation(ctx));
    if (
      extensionsInVersion &&
      (asked.has(QueryFunction.QueryExtensionList) || asked.has(QueryFunction.QueryExtensionMap))
    ) {
      out.push(...extensionInformation(ctx, asked.has(QueryFunction.QueryExtensionMap)));
    }
    return out;
  },
});
