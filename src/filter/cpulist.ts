/**
 * The CPU list inside `CPUS{…}`, checked like `cpulist_parse` (`bitmap_parselist` in
 * lib/bitmap-str.c): regions separated by commas or whitespace, each `N`, `A-B`, `A-B:used/group`
 * or `all`, where a number may be `N` (the last CPU). CPUs must be below the kernel's count.
 */
import { isKernelSpace } from './lexer.js';

/** What is wrong with a CPU list, at `offset` characters into it; undefined when nothing is. */
export interface CpuListProblem {
  readonly offset: number;
  readonly reason: string;
}

const U32_MAX = 0xffffffff;

/** Checks `list` for a kernel with `possibleCpus` CPUs (nr_cpu_ids; undefined: unknown, not checked). */
export function checkCpuList(list: string, possibleCpus: number | undefined): CpuListProblem | undefined {
  if (list.includes('\n')) {
    return { offset: list.indexOf('\n'), reason: 'a newline ends the kernel’s CPU list early' };
  }
  const last = possibleCpus === undefined ? undefined : possibleCpus - 1;
  let at = 0;
  let cpusNamed = false;
  for (;;) {
    while (isKernelSpace(list[at]) || list[at] === ',') at++;
    if (at >= list.length) break;
    const region = readRegion(list, at, last);
    if ('reason' in region) return region;
    const problem = checkRegion(region, at, last);
    if (problem) return problem;
    if (region.used > 0) cpusNamed = true;
    at = region.next;
  }
  return cpusNamed ? undefined : { offset: 0, reason: 'the CPU list names no CPU' };
}

interface Region {
  start: number;
  end: number;
  used: number;
  group: number;
  /** Where the text after the region starts. */
  next: number;
}

/** One region at `at`: `all`, or a number, optionally `-number`, optionally `:used/group`. */
function readRegion(list: string, at: number, last: number | undefined): Region | CpuListProblem {
  let cursor = at;
  const number = (): number | CpuListProblem => {
    if (list[cursor] === 'N') {
      cursor++;
      return last ?? 0;
    }
    const digits = /^[0-9]+/.exec(list.slice(cursor))?.[0];
    if (digits === undefined)
      return { offset: cursor, reason: `expected a CPU number at '${list.slice(cursor, cursor + 8)}'` };
    const value = Number(digits);
    if (value > U32_MAX) return { offset: cursor, reason: `${digits} does not fit in 32 bits` };
    cursor += digits.length;
    return value;
  };
  const endOfRegion = (): boolean => cursor >= list.length || isKernelSpace(list[cursor]) || list[cursor] === ',';
  let start: number | CpuListProblem;
  let end: number | CpuListProblem;
  if (list.slice(cursor, cursor + 3).toLowerCase() === 'all') {
    cursor += 3;
    start = 0;
    end = last ?? 0;
  } else {
    start = number();
    if (typeof start !== 'number') return start;
    end = start;
    if (!endOfRegion()) {
      if (list[cursor] !== '-') return { offset: cursor, reason: `unexpected '${list[cursor] ?? ''}' in the CPU list` };
      cursor++;
      end = number();
      if (typeof end !== 'number') return end;
    }
  }
  if (endOfRegion()) return { start, end, used: end + 1, group: end + 1, next: cursor };
  if (list[cursor] !== ':') return { offset: cursor, reason: `unexpected '${list[cursor] ?? ''}' in the CPU list` };
  cursor++;
  const used = number();
  if (typeof used !== 'number') return used;
  if (list[cursor] !== '/') return { offset: cursor, reason: "expected '/' after the used count of A-B:used/group" };
  cursor++;
  const group = number();
  if (typeof group !== 'number') return group;
  return { start, end, used, group, next: cursor };
}

/** `bitmap_check_region`: an ordered range, a sensible group, and CPUs the kernel has. */
function checkRegion(region: Region, at: number, last: number | undefined): CpuListProblem | undefined {
  if (region.start > region.end) return { offset: at, reason: `the range ${region.start}-${region.end} is backwards` };
  if (region.group === 0 || region.used > region.group) {
    return { offset: at, reason: 'in A-B:used/group, group must be at least 1 and at least used' };
  }
  if (last !== undefined && region.end > last) {
    return { offset: at, reason: `CPU ${region.end} does not exist: this kernel has CPUs 0-${last}` };
  }
  return undefined;
}
