/**
 * The environment that runs Node with the sanitizer runtimes and the instrumented addon, and the
 * text by which a sanitizer report is recognised in a run's output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { ADDON_PATH_VARIABLE } from '../../src/native.js';
import { TEST_ADDON_PATH_VARIABLE } from '../native/test-addon.js';
import type { SanitizedAddons } from './build-addon.js';

/** What ASan and UBSan print when they report (UBSan: `file:line:col: runtime error: ...`). */
export const SANITIZER_REPORT =
  /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

/**
 * The runtime library of a sanitizer that matches the compiler that built the addon. Node itself
 * is not instrumented, so the runtime must be preloaded: it has to come first in the process.
 */
function runtimeLibrary(name: 'libasan.so' | 'libubsan.so'): string {
  const path = execFileSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  // g++ prints the bare name back when it has no such library.
  if (!isAbsolute(path) || !existsSync(path)) {
    throw new Error(`g++ has no ${name}: install the sanitizer runtimes (Debian: apt-get install libasan8 libubsan1)`);
  }
  return path;
}

/** The process environment for a sanitized run against the instrumented addons. */
export function sanitizerEnvironment(addons: SanitizedAddons): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_PRELOAD: [runtimeLibrary('libasan.so'), runtimeLibrary('libubsan.so')].join(':'),
    // Node does not free everything at exit, so leak reports would be noise; stop at the first error.
    ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    [ADDON_PATH_VARIABLE]: addons.addon,
    [TEST_ADDON_PATH_VARIABLE]: addons.testAddon,
  };
}
