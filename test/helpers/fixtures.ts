/** Paths of the test fixtures, found from the compiled test's location. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (tests run compiled from .test-build/test/...). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Reads a fixture file under test/fixtures. */
export function fixture(...parts: string[]): string {
  return readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', ...parts), 'utf8');
}

/** Lists the files of a fixture directory. */
export function fixtureFiles(...parts: string[]): string[] {
  return readdirSync(join(PROJECT_ROOT, 'test', 'fixtures', ...parts));
}
