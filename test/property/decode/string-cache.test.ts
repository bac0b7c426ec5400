/**
 * Properties of the string cache (src/decode/string-cache.ts): whatever the sequence of spans it is
 * asked for, at whatever offsets, with NULs, bytes above 0x7f and invalid UTF-8 among them, every
 * answer is exactly what decoding the span gives — through a cache of one set, where every span
 * competes for two entries, and through the decoders' default size. And the word-at-a-time decoder
 * its misses use agrees with the byte-at-a-time one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { readText } from '../../../src/decode/field-readers.js';
import { StringCache } from '../../../src/decode/string-cache.js';
import { propertyRuns } from '../settings.js';

/** Bytes that make spans repeat and collide: a few letters, NUL, and UTF-8 lead and continuation bytes. */
const BYTE = fc.constantFrom(0x61, 0x62, 0x2f, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0x80);

/** A span from a small set of lengths around the word size and the cache's limits. */
const SPAN = fc.oneof(
  fc
    .uint8Array({ minLength: 0, maxLength: 9 })
    .map((bytes) => Buffer.from(bytes.map((b) => [0x61, 0x00, 0xc3][b % 3]!))),
  fc.array(BYTE, { minLength: 0, maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
  fc.array(BYTE, { minLength: 50, maxLength: 56 }).map((bytes) => Buffer.from(bytes)),
);

function reference(span: Buffer): string {
  const nul = span.indexOf(0);
  return span.toString('utf8', 0, nul < 0 ? span.length : nul);
}

test('every lookup decodes its span exactly, hit or miss, in a tiny cache and in the default one', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(SPAN, fc.nat(7)), { minLength: 1, maxLength: 60 }), (lookups) => {
      const caches = [new StringCache({ entries: 2, maxBytes: 16 }), new StringCache()];
      for (const [span, offset] of lookups) {
        const bytes = Buffer.alloc(offset + span.length + 3, 0x41);
        span.copy(bytes, offset);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        for (const cache of caches)
          assert.equal(cache.text(bytes, view, offset, offset + span.length), reference(span));
      }
    }),
    propertyRuns(500),
  );
});

test('readText, four bytes at a time, decodes every span as UTF-8 up to the first NUL and reads nothing past its end', () => {
  fc.assert(
    fc.property(SPAN, fc.nat(7), (span, offset) => {
      // The span ends the buffer: a word read past its end would throw.
      const bytes = Buffer.alloc(offset + span.length, 0x41);
      span.copy(bytes, offset);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const text = readText(bytes, view, offset, bytes.length);
      assert.equal(text, reference(span));
    }),
    propertyRuns(1000),
  );
});
