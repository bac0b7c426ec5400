/**
 * Bad probe definition text, through openSession and parse(). Kprobe rows work on kernels without
 * kprobes too: every definition is validated before anything reaches tracefs.
 */
import { type BadInput, TEST_GROUP, testBadInputs } from './harness.js';
import { parse } from '../../src/probes/parse.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';
import { openSession } from '../../src/session/session.js';

/** A row that opens a session with probe `text`, which must be refused with `code`. */
function probeText(name: string, text: string, code: string, message?: RegExp): BadInput {
  return { name, run: () => openSession({ probes: { bad: text } }), error: ProbeDefinitionError, code, message };
}

/** A row that parses `text`, which must be refused with `code`. */
function parsed(name: string, text: string, code: string, message?: RegExp): BadInput {
  return { name, run: () => parse(text), error: ProbeDefinitionError, code, message };
}

const longPathProbe = `p /${'d'.repeat(3000)}/bin:0x10 x=%di:int`;

testBadInputs('probe definition text', [
  probeText(
    'an event name where the probe point goes',
    'p:do_sys_openat2 filename=+0(%si):string',
    'NO_LOCATION',
    /not a probe location.*hint: did you mean `p do_sys_openat2 filename=\+0\(%si\):string`\?/s,
  ),
  parsed(
    'an event name and nothing else',
    'p:do_sys_openat2',
    'NO_LOCATION',
    /hint: did you mean `p do_sys_openat2`\?/,
  ),
  parsed(
    'a return probe named like its function',
    'r:vfs_read ret=$retval',
    'NO_LOCATION',
    /did you mean `r vfs_read ret=\$retval`/,
  ),
  parsed(
    'a uprobe location where the event name goes',
    'p:/bin/true:main x=%di',
    'NO_GROUP_NAME',
    /did you mean `p \/bin\/true:main`/,
  ),
  probeText(
    'a group and event but no location',
    `p:${TEST_GROUP}/ev x=%di`,
    'NO_LOCATION',
    /GROUP\/EVENT names the event/,
  ),
  probeText('an empty definition', '', 'EMPTY'),
  probeText(
    'two definitions joined by a newline',
    'p /bin/true:0x2000\n-:uprobes/x',
    'BAD_CHARACTER',
    /one definition per call/,
  ),
  probeText('a comment character', 'p /bin/true:0x2000 # x', 'COMMENT_CHARACTER'),
  probeText('a delete command', `-:${TEST_GROUP}/ev`, 'DELETE_COMMAND'),
  probeText('an unknown probe type', 'x do_sys_openat2', 'BAD_PROBE_TYPE'),
  probeText('a group name with a dash', `p:${TEST_GROUP}-x/ev /bin/true:0x2000`, 'BAD_GROUP_NAME'),
  probeText('an event name too long', `p:${TEST_GROUP}/${'e'.repeat(64)} /bin/true:0x2000`, 'EVENT_TOO_LONG'),
  probeText('a suffix other than %return', 'p do_sys_openat2%exit', 'BAD_ADDR_SUFFIX'),
  probeText('a register that does not exist on x86_64', 'p do_sys_openat2 x=%rax', 'BAD_REG_NAME', /write %ax/),
  probeText('$retval on an entry probe', 'p /bin/true:0x2000 x=$retval', 'RETVAL_ON_PROBE'),
  probeText('maxactive on a uprobe', 'r5 /bin/true:0x2000', 'BAD_MAXACT_TYPE'),
  probeText('a type that does not exist', 'p /bin/true:0x2000 x=%di:int', 'BAD_TYPE', /write 's32'/),
  probeText('a string read from a register value', 'p /bin/true:0x2000 x=%di:string', 'BAD_STRING'),
  probeText('a kernel type on a uprobe', 'p /bin/true:0x2000 x=%di:symbol', 'TYPE_NOT_ON_UPROBE'),
  probeText(
    'a uprobe path without a slash reads as MODULE:SYMBOL',
    'p true:0x2000',
    'BAD_SYMBOL',
    /hint: .*\.\/true:0x2000/,
  ),
  probeText(
    'a library name without a dot after p reads as a kprobe on a module',
    'p pbnosuchlib:malloc',
    'MODULE_NOT_LOADED',
    /module pbnosuchlib is not loaded.*hint: .*write pbnosuchlib:malloc alone \(an entry uprobe\)/s,
  ),
  probeText(
    'a bare PATH:SYMBOL followed by arguments',
    '/bin/true:main x=%di',
    'BAD_PROBE_TYPE',
    /does not start with a probe type/,
  ),
  parsed('a bare target with nothing after the colon', '/bin/true:', 'BAD_UPROBE_OFFS', /nothing after ':'/),
  parsed('a bare library target with a bad offset', 'libc:0xZZ', 'BAD_UPROBE_OFFS', /not a file offset/),
  probeText(
    'a 3000-character path is cut in the message',
    longPathProbe,
    'BAD_TYPE',
    new RegExp(`in: "…d+/bin:0x10 x=%di:int" \\(${longPathProbe.length} characters\\)`),
  ),
  {
    name: 'parse() of a number',
    run: () => parse(42 as unknown as string),
    error: ProbeDefinitionError,
    code: 'MALFORMED_DEFINITION',
    message: /must be a string, not 42/,
  },
  parsed(
    'a definition of 5000 characters',
    `p do_sys_openat2 ${'x'.repeat(5000)}`,
    'DEFINITION_TOO_LONG',
    /\(5017 characters\)/,
  ),
]);
