/**
 * Properties of the column record walker (decodeColumns, src/decode/column-records.ts) over
 * batches of real tracepoint records: the same rows, values and counts the generated batch
 * predicts, and on corrupted batches exactly what the object walker makes of them — never an
 * exception, never a read past the batch's end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { corruptedBatch, generatedBatch, withRecordBehind } from '../arbitraries/sample-batches.js';
import { propertyRuns } from '../settings.js';
import { groupByEvent, walkColumns, walkObjects } from './walk.js';

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
