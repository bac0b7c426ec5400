/**
 * Properties of the object record walker (decodeRecords, src/decode/records.ts) over batches of
 * real tracepoint records: good records decode to exactly their values, in order, next to damaged
 * ones; every damaged record is counted, as malformed or as a decode error of its event; and no
 * batch, however corrupt, makes it throw or read past the batch's end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { corruptedBatch, generatedBatch, withRecordBehind } from '../arbitraries/sample-batches.js';
import { propertyRuns } from '../settings.js';
import { groupByEvent, walkObjects } from './walk.js';

test('good records decode to their values in order; each damaged record is counted once', () => {
  fc.assert(
    fc.property(generatedBatch, (batch) => {
      const outcome = walkObjects(batch.bytes);
      assert.deepEqual(outcome.events, batch.delivered);
      assert.equal(outcome.malformed, batch.malformed, 'malformed records');
      assert.deepEqual(outcome.decodeErrors, batch.decodeErrors, 'decode errors per event');
      const deliveredPerEvent = new Map(
        [...groupByEvent(batch.delivered)].map(([name, events]) => [name, events.length]),
      );
      assert.deepEqual(outcome.slotDelivered, deliveredPerEvent, 'delivered per event');
    }),
    propertyRuns(1000),
  );
});

test('corrupted batches never throw, are never read past their end, and never end unaccounted', () => {
  fc.assert(
    fc.property(corruptedBatch, (bytes) => {
      const alone = walkObjects(bytes);
      // The same bytes with a valid record right behind them: nothing may change.
      assert.deepEqual(walkObjects(withRecordBehind(bytes), bytes.length), alone);
      if (bytes.length > 0)
        assert.ok(alone.delivered + alone.malformed > 0, 'a non-empty batch yields an event or a count');
    }),
    propertyRuns(1500),
  );
});
