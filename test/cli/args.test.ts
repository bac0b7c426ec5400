/** The command line, parsed: `trace` into a TraceCommand, the other commands, and the errors for what is wrong. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type CliCommand, type TraceCommand, parseCli } from '../../src/cli/args.js';
import { TRACE_OPTIONS } from '../../src/cli/args/options.js';
import { UsageError } from '../../src/cli/failure.js';

const EXEC = 'sched:sched_process_exec';

function trace(...args: string[]): TraceCommand {
  const command = parseCli(['trace', ...args]);
  if (command.kind !== 'trace') assert.fail(`parsed as ${command.kind}`);
  return command;
}

/** Asserts that parsing `argv` is a usage error whose message matches `says`. */
function refused(argv: string[], says: RegExp): void {
  assert.throws(
    () => parseCli(argv),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, `a UsageError for ${argv.join(' ')}`);
      // The first line: the message proper, before the hint.
      assert.match(error.message.split('\n')[0]!, says);
      assert.doesNotMatch(error.message, /place it after|ERR_PARSE_ARGS/, "never Node's generic advice");
      return true;
    },
    argv.join(' '),
  );
}

test('a bare trace gets the defaults: no limits, format left to the output, self excluded', () => {
  assert.deepEqual(trace(EXEC), {
    kind: 'trace',
    events: [{ definition: EXEC, filter: undefined }],
    probes: [],
    count: undefined,
    durationSeconds: undefined,
    format: undefined,
    absoluteTime: false,
    outputFile: undefined,
    database: undefined,
    nats: undefined,
    ringPages: undefined,
    command: undefined,
    excludeSelf: true,
    pids: undefined,
    cpus: undefined,
    cgroup: undefined,
    quiet: false,
    aggregate: undefined,
    intervalSeconds: undefined,
    stack: undefined,
  } satisfies TraceCommand);
});

test('every option is read into its field, in long and short forms, glued or not', () => {
  const command = trace(
    EXEC,
    '--count=7',
    '--duration',
    '2.5',
    '--format',
    'csv',
    '--abs-time',
    '-o',
    '/tmp/out',
    '--ring-pages',
    '16',
    '-p1,2',
    '-C',
    '0,2-3',
    '--no-exclude-self',
    '--quiet',
  );
  assert.equal(command.count, 7);
  assert.equal(command.durationSeconds, 2.5);
  assert.equal(command.format, 'csv');
  assert.equal(command.absoluteTime, true);
  assert.equal(command.outputFile, '/tmp/out');
  assert.equal(command.ringPages, 16);
  assert.deepEqual(command.pids, [1, 2]);
  assert.deepEqual(command.cpus, [0, 2, 3]);
  assert.equal(command.excludeSelf, false);
  assert.equal(command.quiet, true);
  assert.deepEqual(trace(EXEC, '--pid', '42', '--cpu=1-2,1').cpus, [1, 2]);
  assert.equal(trace(EXEC, '--cgroup', '/sys/fs/cgroup/x').cgroup, '/sys/fs/cgroup/x');
  assert.equal(trace(EXEC, '--output=f.jsonl').outputFile, 'f.jsonl');
});

test('positionals: tracepoints and globs are events; definitions, paths and libraries are probes', () => {
  const command = trace('sched:*', 'p:g/e /bin/true:main', '/bin/true:main', './a.out:f', 'libc.so.6:malloc');
  assert.deepEqual(
    command.events.map((t) => t.definition),
    ['sched:*'],
  );
  assert.deepEqual(
    command.probes.map((t) => t.definition),
    ['p:g/e /bin/true:main', 'p /bin/true:main', 'p ./a.out:f', 'p libc.so.6:malloc'],
  );
});

test('--filter applies to the event or probe right before it, whatever options come between', () => {
  const command = trace(
    'sched:sched_switch',
    '--filter',
    'prev_pid == 1',
    EXEC,
    '/bin/true:main',
    '--count',
    '3',
    '--filter=arg1 > 0',
  );
  assert.deepEqual(command.events, [
    { definition: 'sched:sched_switch', filter: 'prev_pid == 1' },
    { definition: EXEC, filter: undefined },
  ]);
  assert.deepEqual(command.probes, [{ definition: 'p /bin/true:main', filter: 'arg1 > 0' }]);
  assert.equal(command.count, 3);
});

test('a --filter with no event before it, two after one event, or an empty one, is refused', () => {
  refused(['trace', '--filter', 'pid == 1', EXEC], /--filter pid == 1 has no event before it/);
  refused(['trace', EXEC, '--filter', 'a == 1', '--filter', 'b == 2'], /two --filter options after .*&&/);
  refused(['trace', EXEC, '--filter', ''], /--filter after sched:sched_process_exec is empty/);
  refused(['trace', EXEC, '--filter'], /--filter needs a value/);
});

test('negative numbers are values that the range check names; only plain decimals are numbers', () => {
  refused(['trace', EXEC, '--count', '-1'], /--count must be a positive integer, got "-1"/);
  refused(['trace', EXEC, '--duration', '-.5'], /--duration must be a positive number, got "-.5"/);
  refused(['trace', EXEC, '--count', '0x10'], /--count must be a positive integer, got "0x10"/);
  refused(['trace', EXEC, '--top', '3', '--count-by', 'comm', '--interval', 'soon'], /--interval must be a positive/);
  refused(['trace', EXEC, '--count', '--quiet'], /--count needs a value: --count N/);
});

test('aggregations: --count-by with --top, --hist, --latency with or without its pair', () => {
  assert.deepEqual(trace(EXEC, '--count-by', 'comm,pid', '--top', '5', '--interval', '1').aggregate, {
    kind: 'count-by',
    keys: ['comm', 'pid'],
    top: 5,
  });
  assert.equal(trace(EXEC, '--count-by', 'event', '--interval', '0.5').intervalSeconds, 0.5);
  assert.deepEqual(trace(EXEC, '--hist', 'ret').aggregate, { kind: 'hist', field: 'ret' });
  const pair = trace('p /bin/true:main', 'r /bin/true:main', '--latency').aggregate;
  assert.deepEqual(pair, { kind: 'latency', pair: undefined });
  assert.deepEqual(trace('--latency', 'in,out', 'g:in', 'g:out').aggregate, {
    kind: 'latency',
    pair: { entry: 'in', exit: 'out' },
  });
  assert.deepEqual(trace('g:in', 'g:out', '--latency=g:in,g:out').aggregate, {
    kind: 'latency',
    pair: { entry: 'g:in', exit: 'g:out' },
  });
  // Without a comma the next argument is an event, not the pair.
  const command = trace('--latency', 'g:in', 'g:out');
  assert.deepEqual(command.aggregate, { kind: 'latency', pair: undefined });
  assert.equal(command.events.length, 2);
});

test('aggregation options that do not go together are refused, each naming both', () => {
  refused(['trace', EXEC, '--count-by', 'comm', '--hist', 'pid'], /--count-by and --hist cannot be given together/);
  refused(['trace', EXEC, '--hist', 'pid', '--latency'], /--hist and --latency cannot be given together/);
  refused(['trace', EXEC, '--top', '3'], /--top goes with --count-by only/);
  refused(['trace', EXEC, '--hist', 'ret', '--top', '3'], /--top goes with --count-by only/);
  refused(['trace', EXEC, '--interval', '1'], /--interval goes with an aggregation only/);
  refused(['trace', EXEC, '--count-by', 'comm', '--format', 'csv'], /--format does not apply to --count-by/);
  refused(['trace', EXEC, '--hist', 'ret', '--abs-time'], /--abs-time does not apply to --hist/);
  refused(['trace', EXEC, '--count-by', 'comm,,pid'], /--count-by comm,,pid has an empty key/);
  refused(['trace', EXEC, '--count-by', 'a-b'], /"a-b", which is not a field name/);
  refused(['trace', EXEC, '--hist', 'a,b'], /--hist needs one field name/);
  refused(['trace', EXEC, '--latency=a,b,c'], /--latency takes ENTRY,RETURN/);
  refused(
    ['trace', EXEC, '--stack', 'user', '--format', 'folded', '--count-by', 'comm'],
    /--count-by does not apply to --format folded/,
  );
  refused(['trace', EXEC, '--stack-depth', '8'], /--stack-depth needs --stack/);
});

test('--stack and --stack-depth are read into the stack option; --format folded is its aggregation', () => {
  assert.deepEqual(trace(EXEC, '--stack', 'kernel').stack, { from: 'kernel' });
  assert.deepEqual(trace(EXEC, '--stack=both', '--stack-depth', '16').stack, { from: 'both', maxDepth: 16 });
  const folded = trace(EXEC, '--stack', 'user', '--format', 'folded');
  assert.deepEqual(folded.aggregate, { kind: 'folded' });
  assert.equal(folded.format, undefined);
  assert.equal(trace(EXEC).stack, undefined);
});

test('-p, --cgroup and a command each choose whose events to see: only one at a time', () => {
  refused(['trace', EXEC, '-p', '1', '--', 'true'], /-p and a command \(after --\) cannot be given together/);
  refused(['trace', EXEC, '--pid', '1', '--cgroup', '/sys/fs/cgroup'], /--pid and --cgroup cannot be/);
  refused(['trace', EXEC, '--cgroup', '/sys/fs/cgroup', '--', 'true'], /--cgroup and a command/);
  assert.deepEqual(trace(EXEC, '--', 'ls', '-l', '--count').command, ['ls', '-l', '--count']);
});

test('bad process and CPU lists are refused with what was given', () => {
  for (const pids of ['0', 'x', '1,,2', '-1', '1.5', '']) {
    refused(['trace', EXEC, `--pid=${pids}`], new RegExp(`--pid must be process ids .*got "${pids}"`));
  }
  for (const cpus of ['x', '1-', '-', '1-2-3', '0,,1']) {
    refused(['trace', EXEC, `--cpu=${cpus}`], /--cpu must be a CPU list such as 0,2-3/);
  }
  refused(['trace', EXEC, '-C', '3-1'], /the range 3-1 runs backwards; write 1-3/);
  refused(['trace', EXEC, '-C', '99999'], /CPU 99999 is past the largest CPU number/);
});

test('unknown options are named with the nearest valid one', () => {
  refused(['trace', EXEC, '--formt', 'csv'], /^unknown option --formt for trace \(did you mean --format\?\)$/);
  refused(['trace', EXEC, '--formt=csv'], /unknown option --formt for trace \(did you mean --format\?\)/);
  refused(['trace', EXEC, '-count', '5'], /unknown option -count for trace \(did you mean --count\?\)/);
  refused(['trace', EXEC, '-P', '5'], /unknown option -P for trace \(did you mean -p\?\)/);
  refused(['trace', EXEC, '--no-exclude'], /did you mean --no-exclude-self\?/);
  refused(['trace', EXEC, '--bogus'], /^unknown option --bogus for trace$/);
  refused(['trace', EXEC, '-x'], /^unknown option -x for trace$/);
  refused(['format', '--typescript', EXEC], /unknown option --typescript for format/);
  refused(['probes', '--clean'], /unknown option --clean for probes \(did you mean --cleanup\?\)/);
});

test('flags take no value, and an option is given once', () => {
  refused(['trace', EXEC, '--quiet=yes'], /--quiet takes no value/);
  refused(['trace', EXEC, '--count', '1', '--count', '2'], /--count is given more than once/);
  refused(['trace', EXEC, '-o', 'a', '--output', 'b'], /--output is given more than once/);
});

test('every trace option in the help table is accepted', () => {
  const needs: Record<string, string[]> = {
    top: ['--count-by', 'comm'],
    interval: ['--hist', 'ret'],
    'stack-depth': ['--stack', 'user'],
    host: ['--nats', 'nats://127.0.0.1:4222'],
    'nats-replicas': ['--nats', 'nats://127.0.0.1:4222'],
  };
  for (const option of TRACE_OPTIONS) {
    if (option.long === 'help' || option.long === 'filter') continue;
    const value = option.value === undefined || option.optionalValue === true ? [] : ['1'];
    const args = [EXEC, ...(needs[option.long] ?? []), `--${option.long}`, ...value];
    if (option.long === 'format') args.splice(-1, 1, 'text');
    if (option.long === 'count-by' || option.long === 'hist') args.splice(-1, 1, 'comm');
    if (option.long === 'stack') args.splice(-1, 1, 'both');
    if (option.long === 'nats') args.splice(-1, 1, 'nats://127.0.0.1:4222');
    assert.doesNotThrow(() => trace(...args), `--${option.long}`);
  }
});

test('help: the overview, and a command help through help COMMAND, COMMAND --help and -h', () => {
  const help = (topic: CliCommand) => (topic.kind === 'help' ? topic.topic : assert.fail(topic.kind));
  assert.equal(help(parseCli([])), undefined);
  assert.equal(help(parseCli(['help'])), undefined);
  assert.equal(help(parseCli(['--help'])), undefined);
  assert.equal(help(parseCli(['help', 'trace'])), 'trace');
  assert.equal(help(parseCli(['trace', '--help'])), 'trace');
  assert.equal(help(parseCli(['trace', EXEC, '--bogus', '-h'])), 'trace');
  assert.equal(help(parseCli(['probes', '-h'])), 'probes');
  assert.equal(help(parseCli(['format', '--help'])), 'format');
  refused(['help', 'trcae'], /unknown command "trcae" \(did you mean trace\?\)/);
  refused(['help', 'trace', 'list'], /help takes at most one command name/);
  refused(['lsit'], /unknown command "lsit" \(did you mean list\?\)/);
});

test('list, format and probes', () => {
  assert.deepEqual(parseCli(['list']), { kind: 'list', filter: undefined });
  assert.deepEqual(parseCli(['list', 'sched:']), { kind: 'list', filter: 'sched:' });
  assert.deepEqual(parseCli(['format', EXEC]), { kind: 'format', event: EXEC, typescript: false });
  assert.deepEqual(parseCli(['format', '--ts', EXEC]), { kind: 'format', event: EXEC, typescript: true });
  assert.deepEqual(parseCli(['probes']), { kind: 'probes', cleanup: false });
  assert.deepEqual(parseCli(['probes', '--cleanup']), { kind: 'probes', cleanup: true });
  refused(['probes', 'x'], /probes takes no arguments, got "x"/);
  refused(['probes', '--', 'true'], /only trace runs a command/);
});

test('--db FILE stores instead of printing: it refuses the output and aggregation options, stacks and --count', () => {
  assert.equal(trace(EXEC, '--db', 'events.duckdb', '--duration', '1').database, 'events.duckdb');
  for (const other of [['--format', 'csv'], ['-o', 'x'], ['--abs-time'], ['--count-by', 'comm'], ['--hist', 'pid']]) {
    refused(['trace', EXEC, '--db', 'e.duckdb', ...other], /does not apply to --db, which sends the events on/);
  }
  refused(['trace', EXEC, '--db', 'e.duckdb', '--stack', 'user'], /--stack does not apply to --db yet/);
  refused(['trace', EXEC, '--db', 'e.duckdb', '--count', '5'], /--count does not apply to --db/);
  refused(['trace', EXEC, '--db', ''], /--db needs a value/);
});

test('--nats URL[,URL] publishes: host and replicas go with it, --db does not, each URL is checked', () => {
  const command = trace(EXEC, '--nats', 'nats://a:4222,b:4223', '--host', 'web-1', '--nats-replicas', '3');
  assert.deepEqual(command.nats, { servers: ['nats://a:4222', 'b:4223'], host: 'web-1', replicas: 3 });
  refused(['trace', EXEC, '--host', 'x'], /--host goes with --nats only/);
  refused(['trace', EXEC, '--nats', 'nats://a', '--db', 'e.duckdb'], /--db and --nats cannot be given together/);
  refused(['trace', EXEC, '--nats', 'http://a/b'], /--nats http:\/\/a\/b is not a NATS server URL/);
  refused(['trace', EXEC, '--nats', 'nats://a', '--format', 'csv'], /--format does not apply to --nats/);
  assert.deepEqual(parseCli(['collect', '--nats', 'nats://a:4222', '--db', 'f.duckdb', '--idle', '5']), {
    kind: 'collect',
    servers: ['nats://a:4222'],
    database: 'f.duckdb',
    durable: undefined,
    idleSeconds: 5,
    replicas: undefined,
  });
  refused(['collect', '--db', 'f.duckdb'], /collect needs --nats URL and --db FILE/);
  refused(['collect', '--nats', 'nats://a', '--db', 'f', 'extra'], /collect takes no arguments, got "extra"/);
});

test('query takes a database and one statement, and a table, jsonl or csv format', () => {
  assert.deepEqual(parseCli(['query', 'e.duckdb', 'SELECT 1']), {
    kind: 'query',
    database: 'e.duckdb',
    sql: 'SELECT 1',
    format: 'table',
  });
  assert.equal((parseCli(['query', '--format', 'csv', 'e.duckdb', 'SELECT 1']) as { format: string }).format, 'csv');
  refused(['query', 'e.duckdb'], /query takes a database file and one SQL statement, got 1/);
  refused(['query', 'e.duckdb', 'SELECT', '1'], /got 3 argument/);
  refused(['query', '--format', 'xml', 'e.duckdb', 'SELECT 1'], /--format xml is not supported by query/);
});
