/**
 * The OASIS test cases the harness replays, read from ../shared/kmip-vectors (never copied into
 * the repository): every file under oasis-profiles/ and every case folder under message-encodings/.
 * Files are named relative to kmip-vectors/, which is how expectations and the report key them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTestCases, type Expectations, type SkipRule } from '../../core/client/conformance-run.js';
import { repoRoot, sharedPath } from '../support/shared.js';

export const vectors = sharedPath('kmip-vectors');

export function corpusFiles(): string[] {
  if (vectors.skip) return [];
  return findTestCases([join(vectors.path, 'oasis-profiles'), join(vectors.path, 'message-encodings')]);
}

const sourceDir = join(repoRoot, 'test', 'conformance');

export function skipRules(): SkipRule[] {
  return JSON.parse(readFileSync(join(sourceDir, 'skip-list.json'), 'utf8')) as SkipRule[];
}

export function expectationsPath(target: string): string {
  return join(sourceDir, 'expectations', `${target}.json`);
}

export function readExpectations(target: string): Expectations {
  try {
    return JSON.parse(readFileSync(expectationsPath(target), 'utf8')) as Expectations;
  } catch {
    return {};
  }
}
