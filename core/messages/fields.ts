/**
 * Declarative reading of a TTLV structure's fields: each field names its tag, item type,
 * whether it is required and whether it may repeat. Errors name the offending field by path,
 * so a client learns exactly what was wrong (`RequestMessage/RequestHeader/BatchCount`).
 */
import { KryptonError } from '../errors.js';
import { tagName } from '../spec/index.js';
import type { ItemTypeName, StructureItem, TtlvItem, TtlvValueOf } from '../ttlv/types.js';

export interface FieldSpec<T extends ItemTypeName = ItemTypeName> {
  readonly tag: number;
  readonly type: T;
  readonly required?: boolean;
  readonly multiple?: boolean;
}

type ValueOfSpec<F> =
  F extends FieldSpec<infer T> ? (T extends 'Structure' ? StructureItem : TtlvValueOf<T>) : never;

export type FieldValues<S extends Record<string, FieldSpec>> = {
  [K in keyof S]: S[K]['multiple'] extends true
    ? ValueOfSpec<S[K]>[]
    : S[K]['required'] extends true
      ? ValueOfSpec<S[K]>
      : ValueOfSpec<S[K]> | undefined;
};

export function nameOf(tag: number): string {
  return tagName(tag) ?? '0x' + tag.toString(16).toUpperCase();
}

interface CompiledSpec {
  readonly byTag: Map<number, readonly [string, FieldSpec]>;
  readonly multiple: readonly string[];
  readonly required: readonly (readonly [string, FieldSpec])[];
}

/** Specs are module constants: each is indexed once, not on every message. */
const compiled = new WeakMap<object, CompiledSpec>();

function compile(spec: Record<string, FieldSpec>): CompiledSpec {
  let c = compiled.get(spec);
  if (c === undefined) {
    const byTag = new Map<number, readonly [string, FieldSpec]>();
    const multiple: string[] = [];
    const required: (readonly [string, FieldSpec])[] = [];
    for (const [key, field] of Object.entries(spec)) {
      byTag.set(field.tag, [key, field]);
      if (field.multiple) multiple.push(key);
      if (field.required) required.push([key, field]);
    }
    c = { byTag, multiple, required };
    compiled.set(spec, c);
  }
  return c;
}

/**
 * Reads the fields of `item` according to `spec`. With `strict`, a child that no field names is
 * refused (message headers); without it such children are ignored (extension points).
 */
export function readFields<S extends Record<string, FieldSpec>>(
  item: TtlvItem,
  spec: S,
  path: string,
  strict = true,
): FieldValues<S> {
  if (item.type !== 'Structure') {
    throw new KryptonError('KRY_MSG_WRONG_TYPE', `${path} must be a Structure`, { field: path });
  }
  const { byTag, multiple, required } = compile(spec);
  const out: Record<string, unknown> = {};
  for (const key of multiple) out[key] = [];
  for (const c of item.value) {
    const entry = byTag.get(c.tag);
    if (!entry) {
      if (strict) {
        const here = `${path}/${nameOf(c.tag)}`;
        throw new KryptonError('KRY_MSG_UNEXPECTED_FIELD', here, { field: here });
      }
      continue;
    }
    const [key, field] = entry;
    if (c.type !== field.type) {
      const here = `${path}/${nameOf(c.tag)}`;
      throw new KryptonError('KRY_MSG_WRONG_TYPE', `${here} must be ${field.type}, not ${c.type}`, {
        field: here,
      });
    }
    const value = c.type === 'Structure' ? c : c.value;
    if (field.multiple) (out[key] as unknown[]).push(value);
    else if (out[key] !== undefined) {
      const here = `${path}/${nameOf(c.tag)}`;
      throw new KryptonError('KRY_MSG_REPEATED_FIELD', here, { field: here });
    } else out[key] = value;
  }
  for (const [key, field] of required) {
    if (out[key] === undefined) {
      const here = `${path}/${nameOf(field.tag)}`;
      throw new KryptonError('KRY_MSG_MISSING_FIELD', here, { field: here });
    }
  }
  return out as FieldValues<S>;
}
