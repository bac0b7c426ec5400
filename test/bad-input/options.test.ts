/** Bad openSession options: unknown keys, wrong types, values out of range, options that conflict. */
import { readFileSync } from 'node:fs';

import { type BadInput, testBadInputs } from './harness.js';
import { kprobe } from '../../src/probes/builder.js';
import { OptionError } from '../../src/errors.js';
import { openSession } from '../../src/session/session.js';
import type { SessionOptions } from '../../src/session/options.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const PID_MAX = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));

/** A row that opens a session with `options`, which must be refused with OptionError `code`. */
function option(name: string, options: unknown, code: string, message?: RegExp): BadInput {
  return { name, run: () => openSession(options as SessionOptions), error: OptionError, code, message };
}

testBadInputs('session options', [
  option(
    'options that are not an object',
    'sched:sched_switch',
    'BAD_OPTION_TYPE',
    /session options must be an object/,
  ),
  option('options that are an array', [GETPPID], 'BAD_OPTION_TYPE', /must be an object, got \["syscalls/),
  option(
    'a misspelt option names the nearest one',
    { events: [GETPPID], sortBytime: true },
    'UNKNOWN_OPTION',
    /"sortBytime" is not a session option.*hint: did you mean sortByTime\?/s,
  ),
  option('a singular "event"', { event: [GETPPID] }, 'UNKNOWN_OPTION', /did you mean events\?/),
  option(
    'an option no name is near',
    { events: [GETPPID], verbose: true },
    'UNKNOWN_OPTION',
    /the options are events, probes/,
  ),
  option(
    'a misspelt wakeup field',
    { events: [GETPPID], wakeup: { byte: 4096 } },
    'UNKNOWN_OPTION',
    /"byte" is not an option of wakeup.*did you mean bytes\?/s,
  ),
  option(
    'sortByTime: "no"',
    { events: [GETPPID], sortByTime: 'no' },
    'BAD_OPTION_TYPE',
    /sortByTime must be true or false, got "no".*did you mean sortByTime: false\?/s,
  ),
  option(
    'enableOnExec: 1',
    { events: [GETPPID], pid: process.pid, enableOnExec: 1 },
    'BAD_OPTION_TYPE',
    /enableOnExec must be true or false, got 1/,
  ),
  option(
    'kprobePmu: null',
    { events: [GETPPID], kprobePmu: null },
    'BAD_OPTION_TYPE',
    /kprobePmu must be true or false, got null/,
  ),
  option(
    'inherit: "yes"',
    { events: [GETPPID], pid: process.pid, inherit: 'yes' },
    'BAD_OPTION_TYPE',
    /did you mean inherit: true/,
  ),
  option(
    'events: a string',
    { events: 'x' },
    'BAD_OPTION_TYPE',
    /events must be an array of event names, got "x".*events: \["x"\]/s,
  ),
  option(
    'events: a number in the list',
    { events: [GETPPID, 7] },
    'BAD_OPTION_TYPE',
    /event 7 \(events\[1\]\) is not a string/,
  ),
  option('events: empty and no probes', { events: [] }, 'NOTHING_TO_CAPTURE', /nothing to capture/),
  option('an event listed twice', { events: [GETPPID, GETPPID] }, 'BAD_OPTION_VALUE', /listed twice/),
  option(
    'probes: one text, not a list',
    { probes: 'p /bin/true:0x2000' },
    'BAD_OPTION_TYPE',
    /got one definition.*did you mean probes: \["p \/bin\/true:0x2000"\]/s,
  ),
  option(
    'probes: one definition, not a list',
    { probes: kprobe('do_sys_openat2') },
    'BAD_OPTION_TYPE',
    /got one definition/,
  ),
  option(
    'probes: a number',
    { probes: 42 },
    'BAD_OPTION_TYPE',
    /probes must be an array or a record of definitions, got 42/,
  ),
  option(
    'probes: null in the list',
    { probes: [null] },
    'BAD_OPTION_TYPE',
    /probe #0 is neither definition text nor a probe definition/,
  ),
  option(
    'probes: an empty label',
    { probes: { '': 'p /bin/true:0x2000' } },
    'BAD_OPTION_VALUE',
    /probe label "" is empty/,
  ),
  option(
    'probes: a record of objects but no definitions',
    { probes: { open: { symbol: 'x' } } },
    'BAD_OPTION_TYPE',
    /probe "open" is neither/,
  ),
  option(
    'cpus: 0',
    { events: [GETPPID], cpus: 0 },
    'BAD_OPTION_TYPE',
    /cpus must be an array of CPU numbers, got 0.*cpus: \[0\]/s,
  ),
  option('cpus: an offline CPU', { events: [GETPPID], cpus: [4096] }, 'BAD_OPTION_VALUE', /CPU 4096 is not online/),
  option('cpus: a string in the list', { events: [GETPPID], cpus: ['0'] }, 'BAD_OPTION_VALUE', /CPU "0" is not online/),
  option('cpus: empty', { events: [GETPPID], cpus: [] }, 'BAD_OPTION_VALUE', /cpus must not be empty/),
  option(
    'wakeup: a number',
    { events: [GETPPID], wakeup: 4096 },
    'BAD_OPTION_TYPE',
    /wakeup must be \{ bytes: N \} or \{ events: N \}, got 4096/,
  ),
  option(
    'wakeup.events: a string',
    { events: [GETPPID], wakeup: { events: '8' } },
    'BAD_OPTION_TYPE',
    /wakeup.events must be .*got "8"/,
  ),
  option(
    'wakeup: both bytes and events',
    { events: [GETPPID], wakeup: { bytes: 1, events: 1 } },
    'CONFLICTING_OPTIONS',
    /not both/,
  ),
  option('wakeup: {}', { events: [GETPPID], wakeup: {} }, 'BAD_OPTION_VALUE', /got \{\}/),
  option(
    'pid: 2**32 + 1',
    { events: [GETPPID], pid: 2 ** 32 + 1 },
    'BAD_OPTION_VALUE',
    new RegExp(`pid must be a positive process id \\(an integer from 1 to ${PID_MAX - 1}\\), got 4294967297`),
  ),
  option('pid: pid_max', { events: [GETPPID], pid: PID_MAX }, 'BAD_OPTION_VALUE', /pid must be a positive process id/),
  option(
    'pid: a string',
    { events: [GETPPID], pid: String(process.pid) },
    'BAD_OPTION_TYPE',
    /pid must be .*got "\d+"/,
  ),
  option('pid: 1.5', { events: [GETPPID], pid: 1.5 }, 'BAD_OPTION_VALUE', /got 1\.5/),
  option(
    'ringPages: "512"',
    { events: [GETPPID], ringPages: '512' },
    'BAD_OPTION_TYPE',
    /ringPages must be a power of two.*got "512"/,
  ),
  option('ringPages: 3', { events: [GETPPID], ringPages: 3 }, 'BAD_OPTION_VALUE', /ringPages must be a power of two/),
  option('flushIntervalMs: NaN', { events: [GETPPID], flushIntervalMs: Number.NaN }, 'BAD_OPTION_VALUE', /got NaN/),
  option('maxQueuedBatches: 10n', { events: [GETPPID], maxQueuedBatches: 10n }, 'BAD_OPTION_TYPE', /got 10n/),
  option('inherit without pid', { events: [GETPPID], inherit: true }, 'CONFLICTING_OPTIONS', /inherit needs a pid/),
  option(
    'enableOnExec without pid',
    { events: [GETPPID], enableOnExec: true },
    'CONFLICTING_OPTIONS',
    /enableOnExec needs a pid/,
  ),
]);
