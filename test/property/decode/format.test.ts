/**
 * Properties of the tracefs format parser (src/decode/format.ts): generated formats read back
 * exactly, and no text at all — mangled formats, arbitrary strings — makes it throw. What it returns
 * for bad text is still safe to compile: the decoder compiler accepts it or refuses it with its
 * documented TypeError.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { compileDecoder } from '../../../src/decode/compile.js';
import { parseFormat } from '../../../src/decode/format.js';
import { fieldLineCount, generatedFormat } from '../arbitraries/format-files.js';
import { editedText } from '../arbitraries/text-edits.js';
import { propertyRuns } from '../settings.js';

test('generated formats parse back to the fields generated, with nothing unparsed', () => {
  fc.assert(
    fc.property(generatedFormat, (format) => {
      const parsed = parseFormat(format.text);
      assert.equal(parsed.name, format.name);
      assert.equal(parsed.id, format.id);
      assert.equal(parsed.printFormat, format.printFormat);
      assert.deepEqual(parsed.unparsed, []);
      assert.deepEqual(
        parsed.commonFields.map((f) => f.name),
        ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'],
      );
      assert.deepEqual(
        parsed.fields,
        format.fields.map((f) => f.expected),
      );
    }),
    propertyRuns(1500),
  );
});

/** Edits that keep a format file's shape but break its lines in the ways copies get broken. */
const mangledFormat = editedText(
  generatedFormat.map((format) => format.text),
  {
    syntax: [';', ':', '[', ']', ' ', '\t', '\n', 'field:', 'offset:', 'size:', '-1', '99999999999999999999'],
    maxEdits: 6,
    maxRemoved: 12,
  },
);

test('mangled formats and arbitrary text never make the parser throw, and every field line is accounted for', () => {
  fc.assert(
    fc.property(fc.oneof(mangledFormat, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
      const parsed = parseFormat(text);
      assert.equal(parsed.commonFields.length + parsed.fields.length + parsed.unparsed.length, fieldLineCount(text));
      for (const field of [...parsed.commonFields, ...parsed.fields]) {
        assert.match(field.name, /^[A-Za-z_][A-Za-z0-9_]*$/);
      }
    }),
    propertyRuns(2000),
  );
});

test('what the parser returns compiles to a decoder that reads any record, or is refused with TypeError', () => {
  fc.assert(
    fc.property(mangledFormat, fc.uint8Array({ maxLength: 96 }), (text, record) => {
      let decode;
      try {
        decode = compileDecoder(parseFormat(text));
      } catch (error) {
        // assertNumericLayout's documented refusal: an offset or size that is not a safe integer.
        assert.ok(error instanceof TypeError, `unexpected ${String(error)}`);
        assert.match(error.message, /offset, size and counts must be non-negative integers/);
        return;
      }
      const bytes = Buffer.from(record);
      const errors = { count: 0 };
      decode(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length, errors);
      assert.ok(errors.count <= 1, 'a record counts at most one decode error');
    }),
    propertyRuns(1000),
  );
});
