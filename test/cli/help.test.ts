/** Help, run as a user would: every option of each command on a line of its help, examples that parse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCli } from '../../src/cli/args.js';
import { COMMAND_NAMES, OPTIONS_OF } from '../../src/cli/args/options.js';
import { runCli } from './cli-process.js';

/** Splits a shell line of words and single-quoted words (all the examples use). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** The example command lines of a help text. */
function examples(help: string): string[] {
  const section = help.slice(help.indexOf('\nexamples:\n'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('  perf-bridge '))
    .map((line) => line.trim());
}

test('help, help COMMAND, COMMAND --help and COMMAND -h print on stdout and exit 0', async () => {
  const overview = await runCli(['help']);
  assert.equal(overview.code, 0, overview.stderr);
  for (const name of COMMAND_NAMES) assert.match(overview.stdout, new RegExp(`^ {2}${name} +\\S`, 'm'));
  assert.equal((await runCli([])).stdout, overview.stdout, 'no arguments: the overview');
  for (const name of ['trace', 'list', 'format', 'probes']) {
    const viaHelp = await runCli(['help', name]);
    assert.equal(viaHelp.code, 0, viaHelp.stderr);
    assert.match(viaHelp.stdout, new RegExp(`^usage: perf-bridge ${name}\\b`));
    assert.equal(viaHelp.stderr, '');
    for (const flag of ['--help', '-h']) {
      const viaFlag = await runCli([name, flag]);
      assert.equal(viaFlag.code, 0, viaFlag.stderr);
      assert.equal(viaFlag.stdout, viaHelp.stdout, `${name} ${flag}`);
    }
  }
});

test("each option of each command has one line of its command's help", async () => {
  for (const name of COMMAND_NAMES) {
    const { stdout } = await runCli(['help', name]);
    for (const option of OPTIONS_OF[name]) {
      const lines = stdout
        .split('\n')
        .filter((line) => new RegExp(`^ +(-\\w, )?--${option.long}(?![\\w-])`).test(line));
      assert.equal(lines.length, 1, `--${option.long} in help ${name}`);
      assert.ok(lines[0]!.includes(option.help), `the line of --${option.long} says what it does`);
    }
  }
});

test('trace has 3 to 6 examples, one for each aggregation, one of a filtered command and one of --db; all parse', async () => {
  const { stdout } = await runCli(['help', 'trace']);
  const lines = examples(stdout);
  assert.ok(lines.length >= 3 && lines.length <= 6, `${lines.length} examples`);
  const parsed = lines.map((line) => parseCli(shellWords(line).slice(1)));
  const kinds: (string | undefined)[] = parsed.map((command) =>
    command.kind === 'trace' ? command.aggregate?.kind : command.kind,
  );
  for (const kind of ['count-by', 'hist', 'latency']) assert.ok(kinds.includes(kind), `an example of --${kind}`);
  assert.ok(
    parsed.some((command) => command.kind === 'trace' && command.command && command.events.some((t) => t.filter)),
    'an example of a filtered trace of a command',
  );
  assert.ok(parsed.some((command) => command.kind === 'trace' && command.database !== undefined, 'an example of --db'));
  for (const name of ['query', 'list', 'format', 'probes']) {
    for (const line of examples((await runCli(['help', name])).stdout)) {
      assert.equal(parseCli(shellWords(line).slice(1)).kind, name, line);
    }
  }
});

test('help of an unknown command is an error naming the nearest command', async () => {
  const result = await runCli(['help', 'probs']);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^perf-bridge: unknown command "probs" \(did you mean probes\?\)\n {2}hint: /);
});

test('an unknown option of trace is named with the nearest one, never with advice about --', async () => {
  const result = await runCli(['trace', 'sched:sched_switch', '--formt', 'csv']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown option --formt for trace \(did you mean --format\?\)/);
  assert.doesNotMatch(result.stderr, /after '--'/);
});
