/**
 * The test files the kernel-VM runner executes inside every VM kernel when no files are named on
 * its command line. Paths are compiled files, relative to the project root. Each file costs
 * 10-20x its host run time under the emulated CPU (compare the times node --test prints on the host
 * with those `npm run test:kernel` prints), so the set is: what needs kprobes (which the
 * host lacks), the capture spine's integration tests (so every kernel we claim is exercised), the
 * format test, which parses every event format of the running kernel, the filter and process-name
 * tests (the filter grammar and the side-band records differ between kernels), and the probe-name collision
 * tests, which must never run on a host (a collision perf-bridge lets through can oops it).
 */
export const KERNEL_SUITE: readonly string[] = [
  '.test-build/test/kernel/guest-smoke.test.js',
  '.test-build/test/probes/kprobe-capture.test.js',
  '.test-build/test/session/capture.test.js',
  '.test-build/test/session/lifecycle.test.js',
  '.test-build/test/probes/uprobe-capture.test.js',
  '.test-build/test/decode/format.test.js',
  '.test-build/test/filter/kernel.test.js',
  '.test-build/test/session/filters.test.js',
  '.test-build/test/session/process-names.test.js',
  '.test-build/test/session/kernel-stacks.test.js',
  '.test-build/test/store/kprobe-store.test.js',
  // Probe-name collisions (issue 8): last, because if perf-bridge lets a collision through, the
  // kernel can oops and leave tracefs locked, which would hang every file after this one.
  '.test-build/test/probes/ownership-conflicts.test.js',
];
