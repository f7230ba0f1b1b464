/**
 * Name resolution shared by the JSON and XML encodings (KMIP Additional Message Encodings
 * v1.0 §4.1 / §6.1): tags by CamelCase name or `0x42XXXX`, enumerations by CamelCase name or
 * 8-digit hex, masks as lists of names or hex words. A 1.x `AttributeValue` takes its
 * enumeration or mask from the sibling `AttributeName` that precedes it.
 */
import { KryptonError } from '../errors.js';
import {
  attributeByName,
  enumForTag,
  maskForTag,
  tagByName,
  tagName,
  type EnumDef,
  type KmipVersion,
  type MaskDef,
} from '../spec/index.js';
import { Tag } from '../spec/index.js';

const HEX_TAG = /^0x[0-9a-fA-F]{6}$/;
const HEX_WORD = /^0x[0-9a-fA-F]{1,8}$/;

export interface ItemContext {
  /** Path for error messages, e.g. `RequestMessage/BatchItem/Operation`. */
  path: string;
  /** The text of the preceding sibling AttributeName, for a 1.x AttributeValue. */
  attributeName: string | undefined;
}

export function resolveTag(name: string, path: string): number {
  if (HEX_TAG.test(name)) return Number(name);
  const tag = tagByName(name);
  if (tag === undefined)
    throw new KryptonError('KRY_ENC_UNKNOWN_TAG', `'${name}' at ${path}`, { field: path });
  return tag;
}

/** CamelCase name of a tag, or undefined for a tag the registry does not know. */
export function nameOfTag(tag: number): string | undefined {
  return tagName(tag);
}

export function hexTag(tag: number): string {
  return '0x' + tag.toString(16).toUpperCase().padStart(6, '0');
}

function enumFor(tag: number, ctx: ItemContext): EnumDef | undefined {
  if (tag === Tag.AttributeValue && ctx.attributeName !== undefined) {
    return attributeByName(ctx.attributeName)?.enumDef;
  }
  return enumForTag(tag);
}

function maskFor(tag: number, ctx: ItemContext): MaskDef | undefined {
  if (tag === Tag.AttributeValue && ctx.attributeName !== undefined) {
    return attributeByName(ctx.attributeName)?.maskDef;
  }
  return maskForTag(tag);
}

export function parseHexWord(text: string, ctx: ItemContext): number {
  if (!HEX_WORD.test(text))
    throw new KryptonError('KRY_ENC_BAD_VALUE', `'${text}' at ${ctx.path}`, { field: ctx.path });
  return Number(text);
}

export function hexWord(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}

export function parseEnumeration(text: string, tag: number, ctx: ItemContext): number {
  if (text.startsWith('0x')) return parseHexWord(text, ctx);
  const value = enumFor(tag, ctx)?.value(text);
  if (value === undefined) {
    throw new KryptonError('KRY_ENC_UNKNOWN_ENUM', `'${text}' at ${ctx.path}`, { field: ctx.path });
  }
  return value;
}

export function formatEnumeration(
  value: number,
  tag: number,
  ctx: ItemContext,
  version?: KmipVersion,
): string {
  return enumFor(tag, ctx)?.name(value, version) ?? hexWord(value);
}

/** Mask text: components split on `separator` (JSON `|`, XML white space), names or hex words. */
export function parseMask(
  text: string,
  tag: number,
  ctx: ItemContext,
  separator: RegExp,
): number | undefined {
  const mask = maskFor(tag, ctx);
  let value = 0;
  for (const part of text.split(separator)) {
    if (part === '') continue;
    if (part.startsWith('0x')) {
      value |= parseHexWord(part, ctx);
      continue;
    }
    const bit = mask?.bit(part);
    if (bit === undefined) {
      if (!mask) return undefined;
      throw new KryptonError('KRY_ENC_UNKNOWN_MASK', `'${part}' at ${ctx.path}`, { field: ctx.path });
    }
    value |= bit;
  }
  return value | 0;
}

/** Mask names joined by `separator`, or undefined when the tag is not a mask or bits are unknown. */
export function formatMask(
  value: number,
  tag: number,
  ctx: ItemContext,
  separator: string,
  version?: KmipVersion,
) {
  const names = maskFor(tag, ctx)?.names(value >>> 0, version);
  if (!names || names.length === 0) return undefined;
  return names.join(separator);
}
