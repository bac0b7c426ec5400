/**
 * Builds the addons (perf_bridge and the tests' perf_bridge_test) instrumented with AddressSanitizer
 * and UndefinedBehaviorSanitizer, through node-gyp and the project's own binding.gyp (its `sanitize`
 * variable adds the flags), in a build directory of its own: build/Release, which every other test
 * loads, is left alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { PROJECT_ROOT } from '../helpers/fixtures.js';

/** Where the instrumented build lives: under build/, so git ignores it and `node-gyp clean` removes it. */
export const SANITIZE_BUILD_DIR = join(PROJECT_ROOT, 'build', 'sanitize');

const require = createRequire(import.meta.url);

/** Absolute paths of the instrumented builds of binding.gyp's two targets. */
export interface SanitizedAddons {
  /** perf_bridge: what src/native.ts loads. */
  addon: string;
  /** perf_bridge_test: what test/native/test-addon.ts loads. */
  testAddon: string;
}

/**
 * Configures and builds (incrementally) the instrumented addons and returns their absolute paths.
 * node-gyp always builds into `<dir>/build` next to `<dir>/binding.gyp`, so the build directory
 * gets a binding.gyp that only includes the project's: one set of target definitions, two builds.
 */
export function buildSanitizedAddons(): SanitizedAddons {
  mkdirSync(SANITIZE_BUILD_DIR, { recursive: true });
  const projectGyp = relative(SANITIZE_BUILD_DIR, join(PROJECT_ROOT, 'binding.gyp'));
  writeFileSync(join(SANITIZE_BUILD_DIR, 'binding.gyp'), `${JSON.stringify({ includes: [projectGyp] }, null, 2)}\n`);
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  const run = (args: string[]) =>
    execFileSync(process.execPath, [nodeGyp, ...args], {
      cwd: SANITIZE_BUILD_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  // Given to gyp with -D, the variable is the number 1 that binding.gyp's condition compares with.
  run(['configure', '--loglevel=warn', ...nodeHeaders(), '--', '-Dsanitize=1']);
  run(['build', '--loglevel=warn', `--jobs=${availableParallelism()}`]);
  const release = join(SANITIZE_BUILD_DIR, 'build', 'Release');
  return { addon: join(release, 'perf_bridge.node'), testAddon: join(release, 'perf_bridge_test.node') };
}

/**
 * `--nodedir` for the headers installed with this Node, when npm has not already named them (npm
 * passes its `nodedir` setting to scripts): without it node-gyp would download headers.
 */
function nodeHeaders(): string[] {
  if (process.env.npm_config_nodedir) return [];
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}
