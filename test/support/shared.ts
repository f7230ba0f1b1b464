import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
  return dir;
}

/** Repository root: the nearest folder above the compiled test with a package.json. */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** ../shared beside the repository, overridable with KRYPTON_SHARED_DIR. */
export function sharedDir(): string {
  return process.env.KRYPTON_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
}

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Path of a file or folder under ../shared, and a skip reason when it is absent.
 * In CI an absent data set is a failure, never a skip.
 */
export function sharedPath(sub: string): { path: string; skip: string | false } {
  const path = join(sharedDir(), sub);
  if (existsSync(path)) return { path, skip: false };
  if (inCI) throw new Error(`shared data missing in CI: ${path} (set KRYPTON_SHARED_DIR)`);
  return { path, skip: `needs ${path}: set KRYPTON_SHARED_DIR to the shared/ folder` };
}
