/**
 * The running kernel agrees with the filter compiler: it takes every canonical text compileFilter
 * returns, refuses every good filter compileFilter refuses for lack of a feature, refuses what the
 * bad-filter table says it refuses, and takes (uselessly) what the table says perf-bridge refuses
 * although the kernel would take it. The grammar detected must be the one recorded for the kernel
 * (6.1, 6.12 and 6.18; `npm run test:kernel -- .test-build/test/filter/kernel.test.js` runs this
 * file inside Debian's 6.1 and 6.12).
 */
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { after, test } from 'node:test';

import { compileFilter } from '../../src/filter/compile.js';
import { FilterError } from '../../src/filter/errors.js';
import { BASELINE_FILTER_GRAMMAR, type FilterGrammar, detectFilterGrammar } from '../../src/filter/grammar.js';
import { BAD_FILTERS } from './bad-filters.js';
import { LINUX_6_18 } from './cases.js';
import { GOOD_FILTERS } from './good-filters.js';
import { hostEvent, kernelFilterTest, releaseTracepoints } from './kernel-oracle.js';

const kernel = kernelFilterTest();
const skip = typeof kernel === 'string' ? kernel : false;
after(releaseTracepoints);

/** The kernel series, as `6.12`. */
const series = /^(\d+\.\d+)\./.exec(release())?.[1] ?? release();

/** The grammar each tested kernel series has (without its CPU count). */
const RECORDED_GRAMMARS: Readonly<Record<string, FilterGrammar>> = {
  '6.1': BASELINE_FILTER_GRAMMAR,
  '6.12': LINUX_6_18,
  '6.18': LINUX_6_18,
};

/** Series whose filter parser is the one the bad-filter table records (6.18's, unchanged since 6.6). */
const TABLE_SERIES = new Set(['6.12', '6.18']);

/** The grammar of this kernel, asked on sched:sched_switch (which shadows no special field). */
function hostGrammar(): FilterGrammar {
  if (typeof kernel === 'string') throw new Error(kernel);
  const sched = hostEvent('sched:sched_switch');
  assert.ok(sched);
  return detectFilterGrammar((expression) => kernel(sched.id, expression) === 0);
}

test(`the detected grammar is the one recorded for Linux ${series}`, { skip }, (t) => {
  const grammar = hostGrammar();
  const recorded = RECORDED_GRAMMARS[series];
  if (recorded === undefined) {
    t.skip(`no grammar is recorded for Linux ${series}`);
    return;
  }
  assert.deepEqual({ ...grammar, possibleCpus: recorded.possibleCpus }, recorded);
  assert.ok(grammar.possibleCpus !== undefined && grammar.possibleCpus >= 1);
});

test('the kernel takes what compileFilter returns, and refuses what it refuses for a missing feature', { skip }, () => {
  if (typeof kernel === 'string') return;
  const grammar = hostGrammar();
  let accepted = 0;
  for (const good of GOOD_FILTERS) {
    const event = hostEvent(good.event);
    if (event === undefined) continue;
    let compiled: string;
    try {
      compiled = compileFilter(good.expression, event.format, grammar, good.event);
    } catch (error) {
      assert.ok(error instanceof FilterError, String(error));
      assert.match(error.reason, /this kernel|Linux 6\./, `${good.event}: ${good.expression}`);
      assert.notEqual(kernel(event.id, good.expression), 0, `the kernel takes ${good.expression}`);
      continue;
    }
    assert.equal(kernel(event.id, compiled), 0, `${good.event}: ${compiled}`);
    accepted++;
  }
  assert.ok(accepted >= 40, `only ${accepted} good filters were checked on this kernel`);
});

test('the kernel refuses what the table says, and takes what perf-bridge refuses as never matching', { skip }, (t) => {
  if (typeof kernel === 'string') return;
  if (!TABLE_SERIES.has(series)) {
    t.skip(`the table records the parser of Linux 6.6 to 6.18; this is ${release()}`);
    return;
  }
  let checked = 0;
  for (const bad of BAD_FILTERS) {
    if (bad.kernel === 'no-6.18-check') continue;
    const event = hostEvent(bad.event);
    if (event === undefined) continue;
    const errno = kernel(event.id, bad.expression);
    const label = `${bad.name}: ${JSON.stringify(bad.expression)} gave errno ${errno}`;
    if (bad.kernel === 'refuses') assert.notEqual(errno, 0, label);
    else assert.equal(errno, 0, label);
    checked++;
  }
  assert.ok(checked >= 50, `only ${checked} bad filters had their event on this kernel`);
});
