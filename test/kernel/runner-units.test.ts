/**
 * Host-side unit tests of the kernel-VM runner's pure helpers (no VM boots).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { describeGuestFailure, shQuote } from './guest.js';
import { cpioNewc } from './initramfs.js';
import { moduleDepends } from './modules.js';
import { type BootResult, consoleKernelProblem } from './qemu.js';
import { failedCount, parseTapSummary } from './summary.js';

test('parseTapSummary reads the unindented final counts', () => {
  const tap = [
    'TAP version 13',
    '# Subtest: file',
    '    # pass 99', // nested, must be ignored
    'ok 1 - file',
    '1..1',
    '# tests 5',
    '# suites 0',
    '# pass 2',
    '# fail 1',
    '# cancelled 1',
    '# skipped 1',
    '# todo 0',
    '# duration_ms 12.5',
  ].join('\n');
  const counts = parseTapSummary(tap);
  assert.deepEqual(counts, { tests: 5, pass: 2, fail: 1, cancelled: 1, skipped: 1, todo: 0 });
  assert.equal(failedCount(counts), 2);
});

test('parseTapSummary rejects a truncated report', () => {
  assert.equal(parseTapSummary('TAP version 13\n# Subtest: x\n# tests 1\n'), undefined);
  assert.equal(parseTapSummary(''), undefined);
});

test('shQuote survives a round trip through sh', () => {
  const nasty = `it's a "test" $HOME \`id\` \\ ;|&`;
  const echoed = execFileSync('/bin/sh', ['-c', `printf %s ${shQuote(nasty)}`], { encoding: 'utf8' });
  assert.equal(echoed, nasty);
});

test('cpioNewc writes aligned newc entries ending in a trailer', () => {
  const archive = cpioNewc([
    { name: 'dev', mode: 0o040755 },
    { name: 'dev/console', mode: 0o020600, rdev: [5, 1] },
    { name: 'init', mode: 0o100755, data: Buffer.from('#!/bin/sh\n') },
  ]);
  assert.equal(archive.length % 4, 0);
  const names: string[] = [];
  let offset = 0;
  for (;;) {
    const header = archive.toString('latin1', offset, offset + 110);
    assert.equal(header.slice(0, 6), '070701');
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const nameSize = field(11);
    const name = archive.toString('latin1', offset + 110, offset + 110 + nameSize - 1);
    names.push(name);
    if (name === 'dev/console') assert.deepEqual([field(9), field(10)], [5, 1]);
    const dataStart = Math.ceil((offset + 110 + nameSize) / 4) * 4;
    if (name === 'init') assert.equal(archive.toString('latin1', dataStart, dataStart + field(6)), '#!/bin/sh\n');
    offset = Math.ceil((dataStart + field(6)) / 4) * 4;
    if (name === 'TRAILER!!!') break;
  }
  assert.deepEqual(names, ['dev', 'dev/console', 'init', 'TRAILER!!!']);
  assert.equal(offset, archive.length);
});

/** A minimal ELF64 object whose only real section is `.modinfo`. */
function fakeModule(modinfo: string): Buffer {
  const shstrtab = Buffer.from('\0.shstrtab\0.modinfo\0');
  const info = Buffer.from(modinfo);
  const dataStart = 64;
  const shoff = dataStart + shstrtab.length + info.length;
  const image = Buffer.alloc(shoff + 3 * 64);
  image.writeUInt32BE(0x7f454c46, 0);
  image[4] = 2; // ELFCLASS64
  image[5] = 1; // little endian
  image.writeBigUInt64LE(BigInt(shoff), 0x28);
  image.writeUInt16LE(64, 0x3a);
  image.writeUInt16LE(3, 0x3c);
  image.writeUInt16LE(1, 0x3e);
  shstrtab.copy(image, dataStart);
  info.copy(image, dataStart + shstrtab.length);
  const section = (i: number, name: number, offset: number, size: number) => {
    const base = shoff + i * 64;
    image.writeUInt32LE(name, base);
    image.writeBigUInt64LE(BigInt(offset), base + 0x18);
    image.writeBigUInt64LE(BigInt(size), base + 0x20);
  };
  section(1, 1, dataStart, shstrtab.length);
  section(2, 11, dataStart + shstrtab.length, info.length);
  return image;
}

test('moduleDepends reads depends= from .modinfo and normalises dashes', () => {
  const image = fakeModule('license=GPL\0depends=virtio,9pnet,virtio-ring\0name=x\0');
  assert.deepEqual(moduleDepends(image), ['virtio', '9pnet', 'virtio_ring']);
  assert.deepEqual(moduleDepends(fakeModule('depends=\0name=netfs\0')), []);
  assert.throws(() => moduleDepends(Buffer.alloc(64)), /ELF/);
});

test('consoleKernelProblem picks kernel BUG, Oops, GPF and WARNING lines, fatal or not', () => {
  assert.deepEqual(consoleKernelProblem('[   41.207313] BUG: kernel NULL pointer dereference, address: 0010'), {
    message: 'BUG: kernel NULL pointer dereference, address: 0010',
    fatal: true,
  });
  const fatal = (line: string) => consoleKernelProblem(line)?.fatal;
  assert.equal(fatal('[   41.208001] Oops: Oops: 0000 [#1] PREEMPT SMP NOPTI'), true); // as 6.12 prints it
  assert.equal(fatal('[ 9.1] general protection fault, probably for non-canonical address'), true); // 6.1: no "Oops"
  assert.equal(fatal('[    3.000000] WARNING: CPU: 1 PID: 212 at kernel/events/uprobes.c:1'), false);
  // Test output is not kernel output, whatever it says; nor are the oops's other lines.
  assert.equal(consoleKernelProblem('BUG: looks like a kernel line but has no printk stamp'), undefined);
  assert.equal(consoleKernelProblem('  ✖ the kernel logged no BUG, Oops or WARNING'), undefined);
  assert.equal(consoleKernelProblem('[   41.208100] Call Trace:'), undefined);
});

test('describeGuestFailure puts a kernel problem first, even over a clean exit', () => {
  const clean: BootResult = {
    status: 0,
    timedOut: false,
    interrupted: false,
    bootMs: 1,
    totalMs: 2,
    initError: undefined,
    consoleTail: [],
    kernelProblems: [],
    killedAfterOops: false,
    qemuExit: { code: 0, signal: null, stderr: '' },
  };
  assert.equal(describeGuestFailure(clean), undefined);
  const oops = { ...clean, kernelProblems: ['BUG: kernel NULL pointer dereference', 'Oops: 0000 [#1]'] };
  assert.match(describeGuestFailure(oops) ?? '', /^the kernel reported a problem on the console: BUG: .*then: Oops/);
  const hung = { ...oops, status: undefined, killedAfterOops: true };
  assert.match(describeGuestFailure(hung) ?? '', /was killed$/);
});
