/**
 * Builder misuse and hand-made definitions: each step of the builder checks what it adds, and a
 * definition object that is not the model fails with a ProbeDefinitionError, never a TypeError.
 */
import { type BadInput, TEST_GROUP, testBadInputs } from './harness.js';
import { fentry, kprobe, kretprobe, tprobe, uprobe } from '../../src/probes/builder.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';
import { atAddress, deref, imm, reg, retval } from '../../src/probes/fetch.js';
import { validate } from '../../src/probes/validate.js';
import type { AnyProbeDefinition } from '../../src/probes/definition.js';
import { openSession } from '../../src/session/session.js';

/** A row whose `run` builds a definition that must be refused with `code`. */
function built(name: string, run: () => unknown, code: string, message?: RegExp): BadInput {
  return { name, run, error: ProbeDefinitionError, code, message };
}

/** A row that opens a session on a hand-made definition object. */
function handMade(name: string, definition: unknown, code: string, message?: RegExp): BadInput {
  return built(name, () => openSession({ probes: { bad: definition as AnyProbeDefinition } }), code, message);
}

/** The code of a definition object that is not the model. */
const MALFORMED = 'MALFORMED_DEFINITION';
const location = { type: 'uoffset', path: '/bin/true', offset: 0x2000 };
const entry = { kind: 'uprobe', isReturn: false, location, args: [] };

testBadInputs('builder misuse', [
  built('kprobe on an empty symbol', () => kprobe(''), 'BAD_SYMBOL'),
  built('kprobe at a negative offset', () => kprobe('do_sys_openat2', { offset: -1 }), 'BAD_PROBE_ADDR'),
  built('kretprobe with maxactive 5000', () => kretprobe('do_sys_openat2', { maxactive: 5000 }), 'MAXACT_TOO_BIG'),
  built(
    'uprobe on a target that is neither a path nor a library name',
    () => uprobe('my:tool', 0x2000),
    'BAD_PATH',
    /neither a path.*nor a library name.*\.\/my:tool/s,
  ),
  built(
    'a filter that is empty',
    () => kprobe('do_sys_openat2').filter(' '),
    'BAD_FILTER',
    /filter expression is empty/,
  ),
  built('a filter that is not a string', () => kprobe('do_sys_openat2').filter(7 as never), 'BAD_FILTER'),
  handMade('a hand-made filter that is empty', { ...entry, filterExpression: '' }, 'BAD_FILTER'),
  handMade(
    'a hand-made filter that is not a string',
    { ...entry, filterExpression: 7 },
    MALFORMED,
    /filterExpression of the probe definition is 7/,
  ),
  built('uprobe at a negative offset', () => uprobe('/bin/true', -5), 'BAD_UPROBE_OFFS'),
  built('an event name starting with a digit', () => uprobe('/bin/true', 0x2000).event('1st'), 'BAD_EVENT_NAME'),
  built('a group name with a dash', () => uprobe('/bin/true', 0x2000).group(`${TEST_GROUP}-x`), 'BAD_GROUP_NAME'),
  built('$retval on an entry probe', () => kprobe('do_sys_openat2').arg('ret', retval()), 'RETVAL_ON_PROBE'),
  built(
    'one argument name twice',
    () =>
      uprobe('/bin/true', 0x2000)
        .arg('a', reg('di'))
        .arg('a' as never, reg('si')),
    'USED_ARG_NAME',
  ),
  built('a reserved field name', () => uprobe('/bin/true', 0x2000).arg('common_pid', reg('di')), 'RESERVED_ARG_NAME'),
  built(
    'a kernel type on a uprobe',
    () => uprobe('/bin/true', 0x2000).arg('s', deref(reg('di')).as('symbol')),
    'TYPE_NOT_ON_UPROBE',
  ),
  built('a register on an fprobe', () => fentry('vfs_read').arg('x', reg('di')), 'REG_ON_FPROBE'),
  built('a tracepoint name with a dash', () => tprobe('sched-switch'), 'BAD_TP_NAME'),
  built('validate() of a number', () => validate(42 as unknown as AnyProbeDefinition), MALFORMED),
  handMade('a definition without isReturn', { ...entry, isReturn: undefined }, MALFORMED, /isReturn/),
  handMade(
    'a location of an unknown type',
    { ...entry, location: { ...location, type: 'file' } },
    MALFORMED,
    /location\.type of the probe definition is "file"/,
  ),
  handMade('an argument that is an empty object', { ...entry, args: [{}] }, MALFORMED, /args\[0\]\.name/),
  handMade(
    'a fetch of an unknown operation',
    { ...entry, args: [{ name: 'x', fetch: { op: 'load' } }] },
    MALFORMED,
    /args\[0\]\.fetch\.op of the probe definition is "load"/,
  ),
  built('arg() without a fetch', () => kprobe('do_sys_openat2').arg('a' as never, undefined as never), 'BAD_FETCH_ARG'),
  built('deref() of undefined', () => deref(undefined as never), 'BAD_FETCH_ARG', /deref\(\)/),
  built('imm() of a fraction', () => imm(1.5), 'BAD_IMM', /1\.5 is not an integer/),
  built('atAddress() of a fraction', () => atAddress(1.5), 'BAD_MEM_ADDR'),
  handMade(
    'a uprobe offset given as a string',
    { ...entry, location: { ...location, offset: '8192' } },
    MALFORMED,
    /location\.offset of the probe definition is "8192"/,
  ),
]);
