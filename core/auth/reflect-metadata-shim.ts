/**
 * The few `Reflect` metadata functions that tsyringe (a dependency of @peculiar/x509) demands at
 * load time. The `reflect-metadata` package is not among the dependencies; nothing in Krypton
 * uses decorators, so a WeakMap-backed store of the same shape is enough.
 * Imported for its side effect before @peculiar/x509.
 */
type MetadataTarget = object;
const store = new WeakMap<MetadataTarget, Map<string | symbol | undefined, Map<unknown, unknown>>>();

function table(target: MetadataTarget, property: string | symbol | undefined, create: boolean) {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

function getOwnMetadata(key: unknown, target: MetadataTarget, property?: string | symbol): unknown {
  return table(target, property, false)?.get(key);
}

function getMetadata(key: unknown, target: MetadataTarget, property?: string | symbol): unknown {
  for (let t: MetadataTarget | null = target; t; t = Object.getPrototypeOf(t) as MetadataTarget | null) {
    const entries = table(t, property, false);
    if (entries?.has(key)) return entries.get(key);
  }
  return undefined;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  Object.assign(reflect, {
    defineMetadata(key: unknown, value: unknown, target: MetadataTarget, property?: string | symbol): void {
      table(target, property, true)?.set(key, value);
    },
    getOwnMetadata,
    getMetadata,
    hasOwnMetadata: (key: unknown, target: MetadataTarget, property?: string | symbol): boolean =>
      table(target, property, false)?.has(key) ?? false,
    hasMetadata: (key: unknown, target: MetadataTarget, property?: string | symbol): boolean =>
      getMetadata(key, target, property) !== undefined,
    metadata:
      (key: unknown, value: unknown) =>
      (target: MetadataTarget, property?: string | symbol): void => {
        table(target, property, true)?.set(key, value);
      },
  });
}

export const reflectMetadataInstalled = true;
