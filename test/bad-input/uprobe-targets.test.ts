/**
 * Bad uprobe targets: missing or non-ELF files, symbols that are no function, and file offsets
 * outside the executable segments — raw PATH:OFFSET as well as PATH:SYMBOL — refused before
 * anything is written to tracefs.
 */
import { type BadInput, testBadInputs } from './harness.js';
import { buildProgram } from '../helpers/programs.js';
import { PF_X, PT_LOAD } from '../../src/elf/constants.js';
import { ElfError } from '../../src/elf/errors.js';
import { checkUprobeFileOffset } from '../../src/elf/file-offset.js';
import type { ProgramHeader } from '../../src/elf/elf-file.js';
import { loadElfFile } from '../../src/elf/loader.js';
import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { uprobe, uretprobe } from '../../src/probes/builder.js';
import { checkedDefinition } from '../../src/probes/probe-set.js';
import type { ProbeInputs } from '../../src/session/options.js';
import { openSession } from '../../src/session/session.js';

/** An unstripped executable with a data symbol, an IFUNC and an import (test/fixtures/programs). */
const target = buildProgram('test/fixtures/programs/elf_target.c');
const isData = (p: ProgramHeader) => p.type === PT_LOAD && (p.flags & PF_X) === 0 && p.filesz > 0n;
const dataSegment = loadElfFile(target).programHeaders.find(isData)!;
/** A file offset in a loaded segment that is not executable: the probe would patch data. */
const dataOffset = Number(dataSegment.offset + dataSegment.filesz / 2n);
const codeOffset = resolveUprobeOffset(target, 'pb_add').offset;

/** A row that opens a session on `probes`, refused with ElfError `code`. */
function sessionOn(name: string, probes: ProbeInputs, code: string, message?: RegExp): BadInput {
  return { name, run: () => openSession({ probes }), error: ElfError, code, message };
}

/** A row that calls the ELF module directly. */
function elfCall(name: string, run: () => unknown, code: string, message?: RegExp): BadInput {
  return { name, run, error: ElfError, code, message };
}

const hex = (n: number) => `0x${n.toString(16)}`;

testBadInputs('uprobe targets', [
  sessionOn(
    'an offset past the end of the file',
    ['p /bin/true:0x7fffffff'],
    'OFFSET_OUT_OF_RANGE',
    /file offset 0x7fffffff is past the end of the file.*hint: use a file offset inside an executable segment/s,
  ),
  sessionOn('an offset in the ELF header', [`p ${target}:0x0`], 'OFFSET_NOT_EXECUTABLE', /read-only data segment/),
  sessionOn('an offset in a data segment', [`p ${target}:${hex(dataOffset)}`], 'OFFSET_NOT_EXECUTABLE', /data segment/),
  sessionOn(
    'a return probe past the end of the file',
    { ret: uretprobe('/bin/true', 0x7fffffff) },
    'OFFSET_OUT_OF_RANGE',
  ),
  sessionOn(
    'a good probe, then a bad one: neither is created',
    [`p ${target}:${hex(codeOffset)}`, `p ${target}:0x0`],
    'OFFSET_NOT_EXECUTABLE',
  ),
  sessionOn(
    'a file that does not exist',
    ['p /nonexistent/pb-bad-input/bin:0x10'],
    'FILE_NOT_FOUND',
    /no such file.*hint: give the full path/s,
  ),
  sessionOn('a relative path that does not exist', ['p ./pb-bad-input-missing:main'], 'FILE_NOT_FOUND'),
  sessionOn('a text file', ['p /etc/passwd:0x10'], 'NOT_ELF', /is not an ELF file/),
  sessionOn('a directory', ['p /usr/bin:0x10'], 'FILE_UNREADABLE', /is a directory/),
  sessionOn('a data symbol', [`p ${target}:pb_counter`], 'NOT_A_FUNCTION', /pb_counter .*OBJECT.*not a function/),
  sessionOn('an IFUNC', { ifunc: uprobe(target, 'pb_dispatch') }, 'SYMBOL_IS_IFUNC', /allowIfunc/),
  sessionOn('an imported symbol', [`p ${target}:puts`], 'SYMBOL_UNDEFINED', /imported from libc/),
  sessionOn('a misspelt symbol', [`p ${target}:pb_ad`], 'SYMBOL_NOT_FOUND', /Did you mean: pb_add/),
  sessionOn(
    'an offset past the end of the function',
    [`p ${target}:pb_add+0x10000`],
    'OFFSET_OUT_OF_RANGE',
    /outside pb_add/,
  ),
  sessionOn('a symbol in a stripped file', ['p /bin/true:no_such_function'], 'STRIPPED', /debug symbols/),
  sessionOn(
    'a bare library name that matches nothing',
    ['pb_no_such_library:malloc'],
    'LIBRARY_NOT_FOUND',
    /No library named "pb_no_such_library": \/etc\/ld\.so\.cache lists \d+ libraries, none of that name.*hint: .*full path/s,
  ),
  sessionOn(
    'a good probe, then a library name that matches nothing: neither is created',
    { good: `p ${target}:pb_add`, bad: uretprobe('libpbnosuchlib.so.1', 'f') },
    'LIBRARY_NOT_FOUND',
    /libpbnosuchlib\.so\.1/,
  ),
  sessionOn(
    'a library misspelt',
    ['libpthreadd:pthread_create'],
    'LIBRARY_NOT_FOUND',
    /hint: did you mean libpthread\b/,
  ),
  sessionOn(
    'a function the library does not have',
    ['libc.so.6:pb_no_such_fn'],
    'STRIPPED',
    /^\/[^:]*\/libc\.so\.6: cannot find "pb_no_such_fn"/,
  ),
  elfCall(
    'a library name with a process that is gone',
    () => checkedDefinition('pb_no_such_library:malloc', { pids: [0x7ffffffe] }),
    'LIBRARY_NOT_FOUND',
    /\/proc\/2147483646\/maps could not be read \(no such process\); \/etc\/ld\.so\.cache lists/,
  ),
  elfCall('resolveUprobeOffset without a symbol', () => resolveUprobeOffset('/bin/true', ''), 'INVALID_ARGUMENT'),
  elfCall(
    'resolveUprobeOffset without a path',
    () => resolveUprobeOffset(undefined as unknown as string, 'main'),
    'INVALID_ARGUMENT',
    /No file given/,
  ),
  elfCall(
    'resolveUprobeOffset at a negative offset',
    () => resolveUprobeOffset(target, 'pb_add', -1),
    'INVALID_ARGUMENT',
  ),
  elfCall(
    'checkUprobeFileOffset past the end',
    () => {
      checkUprobeFileOffset('/bin/true', 0x7fffffff);
    },
    'OFFSET_OUT_OF_RANGE',
  ),
  elfCall(
    'checkUprobeFileOffset in data',
    () => {
      checkUprobeFileOffset(target, dataOffset);
    },
    'OFFSET_NOT_EXECUTABLE',
  ),
  elfCall(
    'checkUprobeFileOffset of a fraction',
    () => {
      checkUprobeFileOffset(target, 1.5);
    },
    'INVALID_ARGUMENT',
  ),
]);
