/**
 * `trace` under a real terminal (tmux): the default format is text, the status line is drawn on
 * stderr while tracing and is gone afterwards, with the summary on a line of its own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { CLI } from './cli-process.js';

/** A tmux server of our own (-L): its sessions cannot be confused with anyone else's. */
const SOCKET = `pb-trace-${process.pid}`;

function tmuxAvailable(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const noTmux = !tmuxAvailable() && 'tmux is not installed (apt install tmux)';

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** The screen of session `name`, one string per line, trailing blanks removed. */
function screen(name: string): string[] {
  return tmux('capture-pane', '-p', '-t', name)
    .split('\n')
    .map((line) => line.trimEnd());
}

/** Polls the screen every 50 ms until `done` holds for it; fails after `timeoutMs` showing the screen. */
async function waitForScreen(name: string, done: (lines: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = screen(name);
    if (done(lines)) return lines;
    if (Date.now() > deadline) assert.fail(`screen never matched; it shows:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `body` with a fresh tmux session of 200x50 running sh; kills only that session afterwards. */
async function withTerminal(body: (name: string) => Promise<void>): Promise<void> {
  const name = `pb-trace-${process.pid}`;
  tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', 'env PS1="$ " sh');
  try {
    await body(name);
  } finally {
    tmux('kill-session', '-t', name);
  }
}

const STATUS = /perf-bridge: [\d,]+ events\/s, [\d,]+ delivered, [\d,]+ lost/;
/** A text line: comm, pid/tid, [CPU], seconds since the start, event, fields. */
const TEXT_EVENT = /^ *\S+ +\d+\/\d+ +\[\d+\] +\d+\.\d{6}: syscalls:sys_enter_getppid: /;

test('on a terminal: text events, a live status line, and only the summary once done', { skip: noTmux }, async () => {
  await withTerminal(async (name) => {
    // 30 calls at 10 a second: three seconds of tracing, events arriving all along, all on one screen.
    // The generator's report is sent to /dev/null: the command's output shares the terminal with
    // the status line, which cannot be coordinated with it.
    const generator = `exec ${loadgen()} getppid 30 --rate 10 >/dev/null`;
    const command = `${CLI} trace syscalls:sys_enter_getppid -- sh -c '${generator}'`;
    tmux('send-keys', '-t', name, `${command}; echo "exit status $?"`, 'Enter');
    // While tracing: text events, and the status line under them (the last line written).
    const during = await waitForScreen(name, (lines) => {
      const written = lines.filter((line) => line !== '');
      return written.some((line) => TEXT_EVENT.test(line)) && STATUS.test(written.at(-1) ?? '');
    });
    assert.ok(during.some((line) => TEXT_EVENT.test(line)));
    const after = await waitForScreen(name, (lines) => lines.some((line) => /^exit status \d+$/.test(line)));
    assert.ok(after.includes('exit status 0'), after.join('\n'));
    const generatorLines = after.filter((line) => TEXT_EVENT.test(line) && line.trim().startsWith('loadgen'));
    assert.equal(generatorLines.length, 30, after.join('\n'));
    assert.ok(!after.some((line) => STATUS.test(line)), `no status line left:\n${after.join('\n')}`);
    // The summary starts its own line: nothing of the status line before it.
    assert.ok(
      after.some((line) => /^perf-bridge: \d+ events written, \d+ delivered, 0 lost/.test(line)),
      after.join('\n'),
    );
  });
});

test('on a terminal with --quiet: no status line', { skip: noTmux }, async () => {
  await withTerminal(async (name) => {
    const command = `${CLI} trace syscalls:sys_enter_getppid --quiet -- ${loadgen()} getppid 30 --rate 20`;
    tmux('send-keys', '-t', name, `${command}; echo "exit status $?"`, 'Enter');
    let sawStatus = false;
    await waitForScreen(name, (lines) => {
      sawStatus ||= lines.some((line) => STATUS.test(line));
      return lines.some((line) => /^exit status \d+$/.test(line));
    });
    assert.equal(sawStatus, false);
  });
});

test(
  'on a terminal, Ctrl-C ends a system-wide --count-by with its table and the summary',
  { skip: noTmux },
  async () => {
    await withTerminal(async (name) => {
      const command = `${CLI} trace syscalls:sys_enter_getppid --count-by comm -p $$`;
      tmux('send-keys', '-t', name, `${command}; echo "exit status $?"`, 'Enter');
      await waitForScreen(name, (lines) => lines.some((line) => STATUS.test(line)));
      tmux('send-keys', '-t', name, 'C-c');
      const after = await waitForScreen(name, (lines) => lines.some((line) => /^exit status \d+$/.test(line)));
      assert.ok(after.includes('exit status 0'), after.join('\n'));
      assert.ok(after.includes('comm  COUNT'), `the table, even empty:\n${after.join('\n')}`);
      assert.ok(!after.some((line) => STATUS.test(line)), after.join('\n'));
      assert.ok(
        after.some((line) => /^perf-bridge: \d+ events aggregated/.test(line)),
        after.join('\n'),
      );
    });
  },
);
