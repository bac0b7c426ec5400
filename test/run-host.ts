/**
 * Runs every compiled host test file (`*.test.js` under .test-build/test) with node's test runner.
 * Listing the files ourselves keeps helpers and the kernel-VM runner out of the run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testRoot = dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.js') ? [join(dir, entry.name)] : []))
    .sort();
}

const files = testFiles(testRoot).map((file) => relative(process.cwd(), file));
const result = spawnSync(process.execPath, ['--test', '--test-timeout=600000', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
