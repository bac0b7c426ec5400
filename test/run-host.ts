/**
 * Runs every compiled host test file (`*.test.js` under .test-build/test) with node's test runner,
 * then checks that the suite left no probe behind: the probe files must hold exactly what they
 * held before.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testRoot = dirname(fileURLToPath(import.meta.url));
const PROBE_FILES = [
  '/sys/kernel/tracing/kprobe_events',
  '/sys/kernel/tracing/uprobe_events',
  '/sys/kernel/tracing/dynamic_events',
];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? testFiles(join(dir, entry.name))
        : entry.name.endsWith('.test.js')
          ? [join(dir, entry.name)]
          : [],
    )
    .sort();
}

function probeLines(): Set<string> {
  const lines = new Set<string>();
  for (const file of PROBE_FILES) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line) lines.add(line);
    } catch {
      // the kernel lacks this probe type, or tracefs is elsewhere: nothing to compare
    }
  }
  return lines;
}

const before = probeLines();
const files = testFiles(testRoot).map((file) => relative(process.cwd(), file));
const result = spawnSync(process.execPath, ['--test', '--test-timeout=600000', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
});
const leaked = [...probeLines()].filter((line) => !before.has(line));
if (leaked.length > 0) {
  process.stderr.write(
    `\nThe test suite left ${leaked.length} probe(s) behind:\n${leaked.map((l) => `  ${l}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
