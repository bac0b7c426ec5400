/**
 * detectFilterGrammar (src/filter/grammar.ts): few probes, each a filter of its own, asked of the
 * running kernel; the result on Linux 6.18 is compared with the fixture tests' grammar in
 * kernel.test.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { compileFilter } from '../../src/filter/compile.js';
import { BASELINE_FILTER_GRAMMAR, detectFilterGrammar, readPossibleCpus } from '../../src/filter/grammar.js';
import { fixtureFormat } from './cases.js';
import { hostEvent, kernelFilterTest, releaseTracepoints } from './kernel-oracle.js';

const kernel = kernelFilterTest();
after(releaseTracepoints);

test(
  'detection asks the kernel at most ten filters, each valid for sched:sched_switch',
  { skip: typeof kernel === 'string' ? kernel : false },
  () => {
    if (typeof kernel === 'string') return;
    const sched = hostEvent('sched:sched_switch');
    assert.ok(sched);
    const asked: string[] = [];
    const grammar = detectFilterGrammar((expression) => {
      asked.push(expression);
      return kernel(sched.id, expression) === 0;
    });
    assert.ok(asked.length <= 10, `${asked.length} probes`);
    assert.equal(new Set(asked).size, asked.length, 'no probe twice');
    // Every probe the kernel took is a filter compileFilter takes too, with the detected grammar —
    // but .ustring on a number, which the kernel ignores and perf-bridge refuses as meaningless.
    for (const expression of asked) {
      if (kernel(sched.id, expression) !== 0 || expression.includes('.ustring')) continue;
      compileFilter(expression, sched.format, grammar, 'sched:sched_switch');
    }
    for (const name of BASELINE_FILTER_GRAMMAR.specialFields) assert.ok(grammar.specialFields.has(name), name);
  },
);

test('a tryFilter that takes nothing is a broken tryFilter, not a kernel without filters', () => {
  assert.throws(() => detectFilterGrammar(() => false, 4), /tryFilter refused 'common_pid == 0'/);
});

test('the baseline grammar is what Linux 6.1 has: no CPUS{…}, no .function', () => {
  const format = fixtureFormat('sched:sched_switch');
  assert.equal(
    compileFilter('common_cpu == 0 && comm ~ "x*"', format, BASELINE_FILTER_GRAMMAR, 'sched:sched_switch'),
    'common_cpu == 0 && comm ~ "x*"',
  );
  assert.throws(
    () => compileFilter('CPU & CPUS{0}', format, BASELINE_FILTER_GRAMMAR, 'sched:sched_switch'),
    /Linux 6\.6/,
  );
  assert.throws(
    () => compileFilter('prev_state.function == schedule', format, BASELINE_FILTER_GRAMMAR, 'sched:sched_switch'),
    /no \.function/,
  );
});

test('the CPU count is one more than the last possible CPU', () => {
  const count = readPossibleCpus();
  assert.ok(count === undefined || (Number.isInteger(count) && count >= 1));
  assert.equal(readPossibleCpus('/nonexistent/possible'), undefined);
});
