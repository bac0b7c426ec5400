/**
 * What the filter tests share: the grammar of Linux 6.18 and the event formats of the 6.18 fixtures
 * (test/fixtures/formats/linux-6.18), by `group:event`.
 */
import { parseFormat, type EventFormat } from '../../src/decode/format.js';
import type { FilterGrammar } from '../../src/filter/grammar.js';
import { fixture } from '../helpers/fixtures.js';

/** The grammar detectFilterGrammar finds on Linux 6.18 (checked in kernel.test.ts), with 4 CPUs. */
export const LINUX_6_18: FilterGrammar = {
  specialFields: new Set(['CPU', 'cpu', 'common_cpu', 'COMM', 'comm']),
  userStrings: true,
  functionNames: true,
  cpuMasks: true,
  possibleCpus: 4,
};

/** The format of `group:event` from the 6.18 fixtures. */
export function fixtureFormat(event: string): EventFormat {
  return parseFormat(fixture('formats', 'linux-6.18', `${event.replace(':', '_')}.format`));
}
