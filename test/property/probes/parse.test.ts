/**
 * Properties of probe definition text (src/probes/parse.ts and print.ts): print() of any valid
 * definition parses back to that definition and is already canonical; any text parse() accepts —
 * edited printed definitions included — prints to a canonical text that parses to the same model;
 * text it refuses is refused with a ProbeDefinitionError naming that text, never another error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { ProbeDefinitionError } from '../../../src/probes/errors.js';
import { parse } from '../../../src/probes/parse.js';
import { print } from '../../../src/probes/print.js';
import { probeDefinition } from '../arbitraries/probe-definitions.js';
import { editedText } from '../arbitraries/text-edits.js';
import { propertyRuns } from '../settings.js';

test('parse(print(def)) equals def, and print(parse(text)) gives the printed text back', () => {
  fc.assert(
    fc.property(probeDefinition, (def) => {
      const text = print(def);
      assert.deepEqual(parse(text), def);
      assert.equal(print(parse(text)), text);
    }),
    propertyRuns(2000),
  );
});

/** Characters that matter to the probe syntax, and spellings of numbers the kernel also reads. */
// eslint-disable-next-line @typescript-eslint/no-misused-spread -- ASCII only: one character per element
const SYNTAX = [...' :/%$@+-()[]=\\"#.,0urp*\n\t', '0x', '07', '%return'];

/** A printed definition with a few characters inserted, removed or replaced. */
const editedDefinition = editedText(probeDefinition.map(print), { syntax: SYNTAX, maxEdits: 4, maxRemoved: 3 });

test('any text parses to a definition whose printed form is stable, or is refused with a ProbeDefinitionError', () => {
  fc.assert(
    fc.property(fc.oneof(editedDefinition, fc.string({ maxLength: 60 })), (text) => {
      let def;
      try {
        def = parse(text);
      } catch (error) {
        assert.ok(error instanceof ProbeDefinitionError, `parse threw ${String(error)}`);
        assert.equal(error.definition, text);
        return;
      }
      if (def.location.type === 'usym') {
        // PATH:SYMBOL parses, but prints only once resolved to a file offset.
        assert.throws(
          () => print(def),
          (error: unknown) => error instanceof ProbeDefinitionError && error.code === 'UNRESOLVED_SYMBOL',
        );
        return;
      }
      const canonical = print(def);
      assert.deepEqual(parse(canonical), def, `canonical text ${JSON.stringify(canonical)}`);
      assert.equal(print(parse(canonical)), canonical);
    }),
    propertyRuns(2000),
  );
});
