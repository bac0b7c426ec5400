/**
 * `npm run test:sanitize`: builds the addons with AddressSanitizer and UndefinedBehaviorSanitizer
 * (build-addon.ts), then runs the tests that drive them — the native tests (ring reader, capture,
 * protocol), the ring reader's property tests and the session tests — with the sanitizer runtimes
 * preloaded and those addons loaded in place of build/Release's. Fails when a test fails or a
 * sanitizer reports anything, even in a process whose exit status the test runner does not pass on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { type SanitizedAddons, buildSanitizedAddons } from './build-addon.js';
import { SANITIZER_REPORT, sanitizerEnvironment } from './environment.js';

const testRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** The compiled test files of `dir` (relative to the test root), sorted. */
function testFilesIn(dir: string): string[] {
  return readdirSync(join(testRoot, dir))
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => join(testRoot, dir, name));
}

/** The compiled tests that exercise the addons: native units, ring reader properties, sessions. */
function testFiles(): string[] {
  return [...testFilesIn('native'), join(testRoot, 'property', 'native', 'ring.test.js'), ...testFilesIn('session')];
}

/**
 * Checks, in the sanitized environment, that src/native.ts and test/native/test-addon.ts load the
 * instrumented addons and that the ASan runtime is in the process: otherwise the run would pass
 * without checking anything.
 */
function checkEnvironment(env: NodeJS.ProcessEnv, addons: SanitizedAddons): void {
  const nativeModule = pathToFileURL(join(testRoot, '..', 'src', 'native.js')).href;
  const testAddonModule = pathToFileURL(join(testRoot, 'native', 'test-addon.js')).href;
  const probe = `
    import { readFileSync } from 'node:fs';
    const { native } = await import(${JSON.stringify(nativeModule)});
    const { testAddon } = await import(${JSON.stringify(testAddonModule)});
    native();
    testAddon();
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const addon = maps.includes(${JSON.stringify(addons.addon)});
    const testAddonLoaded = maps.includes(${JSON.stringify(addons.testAddon)});
    console.log(JSON.stringify({ addon, testAddon: testAddonLoaded, asan: /libasan\\.so/.test(maps) }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
  const loaded =
    result.status === 0
      ? (JSON.parse(result.stdout) as { addon: boolean; testAddon: boolean; asan: boolean })
      : undefined;
  if (!loaded?.addon || !loaded.testAddon || !loaded.asan) {
    const outcome = result.stdout.trim() || `exit ${result.status}`;
    throw new Error(`the sanitized addon did not load as intended (${outcome}):\n${result.stderr}`);
  }
}

/** Runs node's test runner on `files`, echoing its output, and returns its exit status and output. */
function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  const child = spawn(process.execPath, ['--test', '--test-timeout=600000', ...files], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    chunks.push(chunk.toString());
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    chunks.push(chunk.toString());
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, output: chunks.join('') });
    });
  });
}

const started = Date.now();
const addons = buildSanitizedAddons();
const built = Date.now();
const env = sanitizerEnvironment(addons);
checkEnvironment(env, addons);
const files = testFiles();
process.stderr.write(
  `sanitized addons in ${relative(process.cwd(), dirname(addons.addon))} ` +
    `(built in ${((built - started) / 1000).toFixed(1)} s); ` +
    `running ${files.length} test files under ASan + UBSan\n`,
);
const { status, output } = await runTests(files, env);
const reports = output.split('\n').filter((line) => SANITIZER_REPORT.test(line));
const seconds = ((Date.now() - built) / 1000).toFixed(1);
if (reports.length > 0) {
  const listed = reports.map((line) => `  ${line}`).join('\n');
  process.stderr.write(`\ntest:sanitize FAILED: the sanitizers reported ${reports.length} line(s):\n${listed}\n`);
  process.exit(1);
}
if (status !== 0) {
  process.stderr.write(`\ntest:sanitize FAILED: the tests exited with ${status} (${seconds} s)\n`);
  process.exit(1);
}
process.stderr.write(`\ntest:sanitize passed: no sanitizer reports, all tests passed (${seconds} s of tests)\n`);
