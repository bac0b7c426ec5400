/** The public API is what `api/perf-bridge.api.md` says it is: a change to it must show in a diff. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { apiReport, committedReport } from './report.js';

test('the exports of the package root match the committed API report', () => {
  assert.equal(
    apiReport(),
    committedReport(),
    'the public API changed: review the difference, then run `npm run api:update` and commit api/perf-bridge.api.md',
  );
});
