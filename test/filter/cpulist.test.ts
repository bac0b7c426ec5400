/** CPU lists inside CPUS{…} (src/filter/cpulist.ts, after the kernel's bitmap_parselist). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkCpuList } from '../../src/filter/cpulist.js';

test('numbers, ranges, groups, N and all, separated by commas or whitespace', () => {
  for (const list of ['0', '0-3', '0,2', '0 2', ' ,1', '0-3:1/2', '0-N', 'N', 'all', 'ALL', 'all:1/2', '3,0-1', '01']) {
    assert.equal(checkCpuList(list, 4), undefined, list);
  }
});

test('what cpulist_parse refuses, with the offset of the region at fault', () => {
  const problem = (list: string, cpus: number | 'unknown' = 4) => {
    const found = checkCpuList(list, cpus === 'unknown' ? undefined : cpus);
    return found === undefined ? 'ok' : `${found.offset}: ${found.reason}`;
  };
  assert.match(problem('4'), /^0: CPU 4 does not exist: this kernel has CPUs 0-3/);
  assert.match(problem('0,2-9'), /^2: CPU 9 does not exist/);
  assert.match(problem('3-1'), /^0: the range 3-1 is backwards/);
  assert.match(problem('0-'), /^2: expected a CPU number/);
  assert.match(problem('x'), /^0: expected a CPU number/);
  assert.match(problem('+1'), /^0: expected a CPU number/);
  assert.match(problem('0x1'), /^1: unexpected 'x'/);
  assert.match(problem('0-3:0/0'), /group must be at least 1/);
  assert.match(problem('0-3:3/2'), /at least used/);
  assert.match(problem('0-3:1'), /expected '\/'/);
  assert.match(problem('4294967296'), /does not fit in 32 bits/);
  assert.match(problem(''), /names no CPU/);
  assert.match(problem(' , '), /names no CPU/);
  assert.match(problem('0\n1'), /newline/);
  assert.equal(problem('4096', 'unknown'), 'ok', 'unknown CPU count: not checked');
});
