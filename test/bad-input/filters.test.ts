/**
 * Bad kernel filters given to openSession: each is refused with a FilterError pointing at its
 * mistake, before anything is opened — no fd, no probe, no record. The rows are the filter tests'
 * own table (test/filter/bad-*.ts), on the events of this host that the table uses, plus filters
 * on a probe, which are checked once the probe exists and must take it away again.
 */
import { existsSync } from 'node:fs';

import { FilterError } from '../../src/filter/errors.js';
import { uprobe } from '../../src/probes/builder.js';
import { reg } from '../../src/probes/fetch.js';
import { openSession } from '../../src/session/session.js';
import { listEvents } from '../../src/tracefs/events.js';
import { BAD_FILTERS } from '../filter/bad-filters.js';
import { loadgen } from '../helpers/programs.js';
import { type BadInput, testBadInputs } from './harness.js';

/**
 * The table's rows that hold on any machine: those for 6.18's grammar (this host's) that do not
 * depend on how many CPUs the machine has.
 */
const hostEvents = new Set(listEvents());
const rows: BadInput[] = BAD_FILTERS.filter(
  (row) => row.grammar === undefined && !/cpu/i.test(row.expression) && hostEvents.has(row.event),
).map((row) => ({
  name: `${row.name}: ${row.expression.slice(0, 60)}`,
  run: () => openSession({ events: [{ event: row.event, filter: row.expression }] }),
  error: FilterError,
  code: 'BAD_FILTER',
  message: row.reason,
}));

if (rows.length < 30) throw new Error(`only ${rows.length} bad filters apply here: the table or the host changed`);
testBadInputs('kernel filters on tracepoints', rows);

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events');
testBadInputs(
  'kernel filters on probes',
  noUprobes
    ? []
    : [
        {
          name: 'a field the probe does not have',
          run: () =>
            openSession({
              probes: { call: uprobe(loadgen(), 'pb_target').arg('value', reg('si').as('s64')).filter('valeu > 1') },
            }),
          error: FilterError,
          code: 'BAD_FILTER',
          message: /unknown field 'valeu'/,
        },
        {
          name: 'a string operator on a number',
          run: () =>
            openSession({
              probes: { call: uprobe(loadgen(), 'pb_target').arg('value', reg('si').as('s64')).filter('value ~ "1*"') },
            }),
          error: FilterError,
          code: 'BAD_FILTER',
        },
      ],
);
