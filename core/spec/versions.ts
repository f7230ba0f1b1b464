/**
 * KMIP protocol versions covered by the registry: 1.0–1.4 and 2.0–2.1 (OASIS Standard).
 * A version is written `major.minor`, as in the Protocol Version structure (KMIP 2.1 §7.31).
 */

export type KmipVersion = '1.0' | '1.1' | '1.2' | '1.3' | '1.4' | '2.0' | '2.1';

/** Every version, ascending. */
export const KMIP_VERSIONS: readonly KmipVersion[] = Object.freeze([
  '1.0',
  '1.1',
  '1.2',
  '1.3',
  '1.4',
  '2.0',
  '2.1',
]);

const VERSION_INDEX: ReadonlyMap<string, number> = new Map(KMIP_VERSIONS.map((v, i) => [v, i]));

/** The version named by a Protocol Version structure, or undefined when the registry has none. */
export function parseVersion(major: number, minor: number): KmipVersion | undefined {
  const v = `${major}.${minor}`;
  return VERSION_INDEX.has(v) && Number.isInteger(major) && Number.isInteger(minor)
    ? (v as KmipVersion)
    : undefined;
}

/** Position of a version in KMIP_VERSIONS (-1 when unknown). */
export function versionIndex(version: string): number {
  return VERSION_INDEX.get(version) ?? -1;
}

/** True when `version` lies in [since, until); `until` null means "still defined in the latest version". */
export function versionInRange(version: KmipVersion, since: KmipVersion, until: KmipVersion | null): boolean {
  const i = versionIndex(version);
  return i >= versionIndex(since) && (until === null || i < versionIndex(until));
}

/** The versions of [since, until), ascending. */
export function versionsInRange(since: KmipVersion, until: KmipVersion | null): readonly KmipVersion[] {
  return Object.freeze(KMIP_VERSIONS.filter((v) => versionInRange(v, since, until)));
}
