/**
 * The test files the kernel-VM runner executes inside every VM kernel when no files are named on
 * its command line. Paths are compiled files, relative to the project root. Each file costs
 * 10-20x its host run time under the emulated CPU, so the set is: what needs kprobes (which the
 * host lacks), the capture spine's integration tests (so every kernel we claim is exercised), and
 * the format test, which parses every event format of the running kernel.
 */
export const KERNEL_SUITE: readonly string[] = [
  '.test-build/test/kernel/guest-smoke.test.js',
  '.test-build/test/probes/kprobe-capture.test.js',
  '.test-build/test/session/capture.test.js',
  '.test-build/test/session/lifecycle.test.js',
  '.test-build/test/probes/uprobe-capture.test.js',
  '.test-build/test/decode/format.test.js',
];
