/** allOfFilters (src/filter/combine.ts): one filter per perf event, so filters are joined. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { allOfFilters } from '../../src/filter/combine.js';
import { filterShape } from '../../src/filter/ast.js';
import { compileFilter } from '../../src/filter/compile.js';
import { parseFilter } from '../../src/filter/parser.js';
import { LINUX_6_18, fixtureFormat } from './cases.js';

test('no filter, one, or several joined with && in parentheses', () => {
  assert.equal(allOfFilters([]), undefined);
  assert.equal(allOfFilters(['', '  ']), undefined);
  assert.equal(allOfFilters(['prev_pid == 1']), 'prev_pid == 1');
  assert.equal(
    allOfFilters(['prev_pid == 1 || next_pid == 1', 'common_pid != 123 && common_pid != 456']),
    '(prev_pid == 1 || next_pid == 1) && (common_pid != 123 && common_pid != 456)',
  );
});

test('joined canonical filters keep their meaning, a trailing .function name included', () => {
  const format = fixtureFormat('sched:sched_switch');
  const user = compileFilter('CPU == 1 || prev_state.function == schedule', format, LINUX_6_18, 'sched:sched_switch');
  assert.equal(user, 'CPU == 1 || prev_state.function == schedule ');
  const own = compileFilter('common_pid != 123 && common_pid != 456', format, LINUX_6_18, 'sched:sched_switch');
  const joined = allOfFilters([user, own]);
  assert.equal(joined, '(CPU == 1 || prev_state.function == schedule ) && (common_pid != 123 && common_pid != 456)');
  assert.deepEqual(filterShape(parseFilter(joined)), {
    kind: 'and',
    operands: [filterShape(parseFilter(user)), ...(filterShape(parseFilter(own)) as { operands: unknown[] }).operands],
  });
  assert.equal(
    compileFilter(joined, format, LINUX_6_18, 'sched:sched_switch'),
    '(CPU == 1 || prev_state.function == schedule ) && common_pid != 123 && common_pid != 456',
  );
});
