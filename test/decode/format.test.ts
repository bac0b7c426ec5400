import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ColumnArena } from '../../src/decode/columns.js';
import { compileColumns } from '../../src/decode/compile-columns.js';
import { compileDecoder } from '../../src/decode/compile.js';
import { parseFieldLine, parseFormat, type FieldDecoding } from '../../src/decode/format.js';
import { fixture, fixtureFiles } from '../helpers/fixtures.js';

const DIR = 'formats/linux-6.18';

function field(file: string, name: string) {
  const format = parseFormat(fixture(DIR, file));
  const found = format.fields.find((f) => f.name === name);
  assert.ok(found, `${file} has field ${name}`);
  return found;
}

test('every fixture parses fully: name, id, the four common fields, nothing left over', () => {
  const files = fixtureFiles(DIR).filter((f) => f.endsWith('.format'));
  assert.ok(files.length >= 15, `at least 15 fixtures, have ${files.length}`);
  for (const file of files) {
    const format = parseFormat(fixture(DIR, file));
    assert.ok(file.endsWith(`_${format.name}.format`), `${file} names event ${format.name}`);
    assert.ok(format.id > 0, `${file} id`);
    assert.deepEqual(
      format.commonFields.map((f) => f.name),
      ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'],
      file,
    );
    assert.deepEqual(format.unparsed, [], file);
    assert.ok(format.fields.length > 0, `${file} has own fields`);
    assert.ok(format.printFormat.length > 0, `${file} print fmt`);
    for (const f of format.fields) assert.notEqual(f.decoding.kind, 'bytes', `${file} ${f.name} understood`);
  }
});

const expectations: [file: string, field: string, decoding: FieldDecoding, offset: number][] = [
  [
    'sched_sched_process_exec.format',
    'filename',
    { kind: 'dynamic', relative: false, text: true, element: { size: 1, signed: true } },
    8,
  ],
  ['sched_sched_process_exec.format', 'old_pid', { kind: 'int', size: 4, signed: true }, 16],
  ['sched_sched_switch.format', 'prev_comm', { kind: 'chars', size: 16 }, 8],
  ['sched_sched_switch.format', 'prev_state', { kind: 'int', size: 8, signed: true }, 32],
  ['raw_syscalls_sys_enter.format', 'args', { kind: 'array', element: { size: 8, signed: false }, count: 6 }, 16],
  ['raw_syscalls_sys_enter.format', 'id', { kind: 'int', size: 8, signed: true }, 8],
  ['syscalls_sys_enter_openat.format', 'filename', { kind: 'int', size: 8, signed: false }, 24],
  [
    'ipi_ipi_send_cpumask.format',
    'cpumask',
    { kind: 'dynamic', relative: false, text: false, element: { size: 8, signed: false } },
    8,
  ],
  [
    'dma_dma_map_sg.format',
    'phys_addrs',
    { kind: 'dynamic', relative: false, text: false, element: { size: 8, signed: false } },
    24,
  ],
  ['ftrace_print.format', 'buf', { kind: 'flexible', text: true, element: { size: 1, signed: true } }, 16],
  ['ftrace_kernel_stack.format', 'caller', { kind: 'array', element: { size: 8, signed: false }, count: 8 }, 16],
  ['ftrace_function.format', 'args', { kind: 'flexible', text: false, element: { size: 8, signed: false } }, 24],
  [
    'sock_sock_exceed_buf_limit.format',
    'sysctl_mem',
    { kind: 'array', element: { size: 8, signed: true }, count: 3 },
    40,
  ],
  ['fib6_fib6_table_lookup.format', 'src', { kind: 'array', element: { size: 1, signed: false }, count: 16 }, 31],
  ['amd_cpu_amd_pstate_perf.format', 'fast_switch', { kind: 'bool' }, 52],
  ['block_block_rq_issue.format', 'rwbs', { kind: 'chars', size: 10 }, 34],
  ['timer_hrtimer_start.format', 'expires', { kind: 'int', size: 8, signed: true }, 24],
  ['task_task_rename.format', 'newcomm', { kind: 'chars', size: 16 }, 28],
];

for (const [file, name, decoding, offset] of expectations) {
  test(`${file}: ${name} decodes as ${decoding.kind}`, () => {
    const f = field(file, name);
    assert.deepEqual(f.decoding, decoding);
    assert.equal(f.offset, offset);
  });
}

test('field lines: old kernels without signed:, __rel_loc, unknown structs, numeric expressions', () => {
  assert.deepEqual(parseFieldLine('\tfield:int pid;\toffset:8;\tsize:4;')?.decoding, {
    kind: 'int',
    size: 4,
    signed: false,
  });
  assert.deepEqual(parseFieldLine('\tfield:__rel_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;')?.decoding, {
    kind: 'dynamic',
    relative: true,
    text: true,
    element: { size: 1, signed: true },
  });
  assert.deepEqual(parseFieldLine('\tfield:__data_loc struct weird[] w;\toffset:8;\tsize:4;\tsigned:0;')?.decoding, {
    kind: 'dynamic',
    relative: false,
    text: false,
    element: undefined,
  });
  assert.deepEqual(parseFieldLine('\tfield:struct in6_addr a;\toffset:8;\tsize:16;\tsigned:0;')?.decoding, {
    kind: 'bytes',
    size: 16,
  });
  assert.deepEqual(parseFieldLine('\tfield:char comm[TASK_COMM_LEN];\toffset:8;\tsize:16;\tsigned:1;')?.decoding, {
    kind: 'chars',
    size: 16,
  });
  assert.deepEqual(parseFieldLine('\tfield:u32 v[2*2];\toffset:8;\tsize:16;\tsigned:0;')?.decoding, {
    kind: 'array',
    element: { size: 4, signed: false },
    count: 4,
  });
  assert.deepEqual(parseFieldLine('\tfield:const char * name;\toffset:8;\tsize:8;\tsigned:0;')?.decoding, {
    kind: 'int',
    size: 8,
    signed: false,
  });
  assert.equal(parseFieldLine('\tfield:garbage'), undefined);
  assert.deepEqual(parseFormat('name: x\nID: 1\nformat:\n\tfield:what is this;\n').unparsed, ['field:what is this;']);
});

test(
  "every format of this machine's tracefs parses, and every field gets a working decoder",
  { skip: !existsSync('/sys/kernel/tracing/events') && 'tracefs is not mounted at /sys/kernel/tracing' },
  (t) => {
    const root = '/sys/kernel/tracing/events';
    let formats = 0;
    let fields = 0;
    const opaque: string[] = [];
    for (const group of readdirSync(root, { withFileTypes: true })) {
      if (!group.isDirectory()) continue;
      for (const event of readdirSync(join(root, group.name), { withFileTypes: true })) {
        const path = join(root, group.name, event.name, 'format');
        if (!event.isDirectory() || !existsSync(path)) continue;
        const format = parseFormat(readFileSync(path, 'utf8'));
        assert.deepEqual(format.unparsed, [], path);
        // Both decoders compile, and decode a zeroed record of the format's size into every field.
        const size = format.fields.reduce((max, f) => Math.max(max, f.offset + f.size), 8);
        const record = Buffer.alloc(size);
        const errors = { count: 0 };
        const decoded = compileDecoder(format)(
          record,
          new DataView(record.buffer, record.byteOffset, size),
          0,
          size,
          errors,
        );
        assert.deepEqual(
          Object.keys(decoded),
          format.fields.map((f) => f.name),
          path,
        );
        assert.equal(errors.count, 0, path);
        compileColumns(format).allocate(
          1,
          size,
          (() => {
            const arena = new ColumnArena();
            arena.reset(compileColumns(format).arenaBytes(1, size));
            return arena;
          })(),
        );
        for (const f of format.fields) {
          // Raw bytes only for what has no scalar reading: structs and opaque ids (guid_t: 16 bytes).
          if (f.decoding.kind === 'bytes') {
            assert.ok(
              ![1, 2, 4, 8].includes(f.size),
              `${path}: ${f.cType} ${f.name} (${f.size} bytes) should decode as a number`,
            );
            opaque.push(`${group.name}:${event.name} ${f.cType} ${f.name}`);
          }
          fields++;
        }
        formats++;
      }
    }
    t.diagnostic(
      `${formats} formats, ${fields} fields, ${opaque.length} opaque byte fields: ${opaque.slice(0, 5).join('; ')}`,
    );
    assert.ok(formats > 100, `parsed ${formats} formats`);
  },
);
