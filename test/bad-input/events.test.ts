/**
 * Bad event names, through openSession and the tracefs readers: none may be read from tracefs as
 * an event (path tricks, control files), and a missing event is named with close ones.
 */
import { type BadInput, testBadInputs } from './harness.js';
import { EventNameError, KernelError } from '../../src/errors.js';
import { openSession } from '../../src/session/session.js';
import { type EventName, parseEventName, readEventFormat, readEventId } from '../../src/tracefs/events.js';

/** A row that opens a session on `event`, which is no event name. */
function notAnEvent(name: string, event: string, message?: RegExp): BadInput {
  return { name, run: () => openSession({ events: [event] }), error: EventNameError, code: 'NOT_AN_EVENT', message };
}

const longName = `sched:${'x'.repeat(5000)}`;
/** The message quotes 200 characters of the name, then its length, then says what is wrong. */
const cutLongName = /x…" \(5006 characters\).*5000 characters long/s;

testBadInputs('event names', [
  notAnEvent('.:sched names the events directory', '.:sched', /"\.:sched" is not an event name/),
  notAnEvent('..:x leaves the events directory', '..:x', /not starting with '\.'/),
  notAnEvent('sched:.. leaves the group', 'sched:..'),
  notAnEvent(
    'sched:enable is a control file',
    'sched:enable',
    /enable is a tracefs control file.*hint: enable, filter, format and id/s,
  ),
  notAnEvent('sched:filter is a control file', 'sched:filter', /filter is a tracefs control file/),
  notAnEvent('sched:format is a control file', 'sched:format'),
  notAnEvent('sched:id is a control file', 'sched:id'),
  notAnEvent(
    'header_page is no group',
    'header_page:x',
    /header_page is a tracefs file that describes the ring buffer layout/,
  ),
  notAnEvent('header_event is no group', 'header_event:x', /not an event group/),
  notAnEvent('enable is no group', 'enable:x', /enables every event/),
  notAnEvent('a path with slashes', '../../etc:passwd', /more than one/),
  notAnEvent('group/name/more', 'sched/sched_switch/id', /more than one/),
  notAnEvent('no separator', 'sched_switch', /no ":" between group and event/),
  notAnEvent('an empty group', ':sched_switch', /the group is empty/),
  notAnEvent('an empty event name', 'sched:', /the event name is empty/),
  notAnEvent('an empty string', ''),
  notAnEvent('a newline in the name', 'sched:sched_switch\n', /"sched:sched_switch\\n".*control character/s),
  notAnEvent('a NUL byte in the name', 'sched:sched\u0000switch', /\\u0000/),
  notAnEvent('a space in the group', 'sc hed:sched_switch', /characters no event name has/),
  notAnEvent('a 5000-character name is cut in the message', longName, cutLongName),
  {
    name: 'parseEventName of a number',
    run: () => parseEventName(42 as unknown as string),
    error: EventNameError,
    code: 'NOT_AN_EVENT',
    message: /42 is not an event name: it is a number/,
  },
  {
    name: 'readEventFormat of a hand-made name that leaves events/',
    run: () => readEventFormat({ group: '..', name: 'trace' }),
    error: EventNameError,
    code: 'NOT_AN_EVENT',
  },
  {
    name: 'readEventId of null',
    run: () => readEventId(null as unknown as EventName),
    error: EventNameError,
    code: 'NOT_AN_EVENT',
    message: /null is not an event name/,
  },
  {
    name: 'readEventId of a control file',
    run: () => readEventId({ group: 'sched', name: 'enable' }),
    error: EventNameError,
    code: 'NOT_AN_EVENT',
  },
  {
    name: 'a misspelt event is named with the close ones',
    run: () => openSession({ events: ['sched:sched_swich'] }),
    error: KernelError,
    code: 'ENOENT',
    message: /no trace event sched:sched_swich on this kernel.*hint: did you mean sched:sched_switch/s,
  },
  {
    name: 'a misspelt group is named with the close ones',
    run: () => openSession({ events: ['schd:sched_switch'] }),
    error: KernelError,
    code: 'ENOENT',
    message: /did you mean sched:sched_switch/,
  },
]);
