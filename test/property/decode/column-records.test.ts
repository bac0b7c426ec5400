/**
 * Properties of the column record walker (decodeColumns, src/decode/column-records.ts) over
 * batches of real tracepoint records: the same rows, values and counts the generated batch
 * predicts, and on corrupted batches exactly what the object walker makes of them — never an
 * exception, never a read past the batch's end. For a session of one event, the one-pass walk
 * (decodeSingleEvent) handles exactly the batches without malformed records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { decodeSingleEvent, onlySlot } from '../../../src/decode/column-records.js';
import { SampleLayout, recordSize, sampleId } from '../../../src/decode/records.js';
import { batchContext } from '../../helpers/batch-context.js';
import {
  EVENTS,
  type EventUnderTest,
  corruptedBatch,
  generatedBatch,
  withRecordBehind,
} from '../arbitraries/sample-batches.js';
import { propertyRuns } from '../settings.js';
import { columnSlotsOf, groupByEvent, walkColumns, walkObjects } from './walk.js';

test("columns hold every good record's values per event; each damaged record is counted once", () => {
  fc.assert(
    fc.property(generatedBatch, (batch) => {
      const outcome = walkColumns(batch.bytes);
      assert.deepEqual(outcome.byEvent, groupByEvent(batch.delivered));
      assert.equal(outcome.delivered, batch.delivered.length);
      assert.equal(outcome.malformed, batch.malformed, 'malformed records');
      assert.deepEqual(outcome.decodeErrors, batch.decodeErrors, 'decode errors per event');
    }),
    propertyRuns(1000),
  );
});

test('on corrupted batches the column walker agrees with the object walker and reads nothing past the end', () => {
  fc.assert(
    fc.property(corruptedBatch, (bytes) => {
      const columns = walkColumns(bytes);
      const { byEvent, delivered, malformed, decodeErrors } = walkObjects(bytes);
      assert.deepEqual(columns, { byEvent, delivered, malformed, decodeErrors });
      assert.deepEqual(walkColumns(withRecordBehind(bytes), bytes.length), columns);
    }),
    propertyRuns(1500),
  );
});

/**
 * `bytes` with every record of an event under test relabelled as a record of `event` (same ring):
 * the raw data of other formats then reads as `event`'s, whatever it holds. Records with an
 * unknown id keep it; the walk stops where it would (a size that overruns the batch).
 */
function asOneEvent(bytes: Buffer, event: EventUnderTest): Buffer {
  const copy = Buffer.from(bytes);
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  for (let pos = 0, size = 0; (size = recordSize(view, pos, copy.length, size)) >= 0; pos += size) {
    const id = sampleId(view, pos);
    const owner = EVENTS.find((candidate) => candidate.ids.includes(id));
    if (owner !== undefined) view.setUint32(pos + SampleLayout.id, event.ids[owner.ids.indexOf(id)]!, true);
  }
  return copy;
}

test('a session of one event: one pass exactly when no record is malformed, the same outcome as objects either way', () => {
  fc.assert(
    fc.property(generatedBatch, fc.nat(EVENTS.length - 1), fc.boolean(), (batch, which, relabel) => {
      const event = EVENTS[which]!;
      // Relabelled, the batch is the one event's (one pass, unless a record is malformed); as
      // generated, it mostly holds other events' records too, which the session does not know.
      const bytes = relabel ? asOneEvent(batch.bytes, event) : batch.bytes;
      const objects = walkObjects(bytes, bytes.length, [event]);
      const { byEvent, delivered, malformed, decodeErrors } = objects;
      assert.deepEqual(walkColumns(bytes, bytes.length, [event]), { byEvent, delivered, malformed, decodeErrors });
      const slots = columnSlotsOf([event]);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const single = decodeSingleEvent(bytes, view, bytes.length, slots, onlySlot(slots)!, batchContext(), true);
      assert.equal(single !== undefined, malformed === 0, 'one pass unless a record is malformed');
      assert.equal(single?.length ?? delivered, delivered);
      assert.equal(onlySlot(slots)!.errors.count, single === undefined ? 0 : decodeErrors.get(event.name));
    }),
    propertyRuns(1000),
  );
});
