/**
 * The test files the kernel-VM runner executes inside every VM kernel when
 * no files are named on its command line.
 *
 * Paths are compiled files, relative to the project root. Only tests that
 * need a real kernel feature missing on the host (kprobes) belong here:
 * each file costs 10-20x its host run time under the emulated CPU.
 */
export const KERNEL_SUITE: readonly string[] = [
  '.test-build/test/kernel/guest-smoke.test.js',
];
