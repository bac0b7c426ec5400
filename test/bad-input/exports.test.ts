/** Every error class a user can meet is a PerfBridgeError exported from the package root. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as api from '../../src/index.js';

/** The root's exported classes that are errors. */
const errorClasses = Object.entries(api as Record<string, unknown>).filter(
  (entry): entry is [string, new (...args: never[]) => Error] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
);

test('every error class the root exports is a PerfBridgeError', () => {
  for (const [name, errorClass] of errorClasses) {
    assert.ok(name === 'PerfBridgeError' || errorClass.prototype instanceof api.PerfBridgeError, name);
  }
});

/** Error classes declared in the library's sources, outside the CLI (whose errors never reach a caller). */
function declaredErrorClasses(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'cli' ? [] : declaredErrorClasses(path);
    if (!entry.name.endsWith('.ts')) return [];
    const source = readFileSync(path, 'utf8');
    return [...source.matchAll(/class (\w+) extends (\w*Error)\b/g)].map((match) => match[1]!);
  });
}

/**
 * Error classes that never reach a caller, each with what catches it (and the test that checks so):
 * control flow inside one module, not errors a user can meet.
 */
const INTERNAL_ERRORS: Readonly<Record<string, string>> = {
  FilterProblem: 'compileFilter turns it into FilterError (test/filter/property.test.ts: nothing else escapes)',
};

test('every error class the library declares is exported from the root', () => {
  const sourceRoot = fileURLToPath(new URL('../../../src', import.meta.url));
  const exported = new Set(errorClasses.map(([name]) => name));
  const declared = declaredErrorClasses(sourceRoot);
  assert.ok(declared.length >= 10, `found the declarations (${declared.join(', ')})`);
  assert.deepEqual(
    declared.filter((name) => !exported.has(name) && !(name in INTERNAL_ERRORS)),
    [],
  );
  for (const name of Object.keys(INTERNAL_ERRORS)) {
    assert.ok(declared.includes(name) && !exported.has(name), `${name} is declared and internal`);
  }
});
