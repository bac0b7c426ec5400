/**
 * Texts damaged the way copies get damaged: a few places where characters were removed and others
 * inserted. The insertions are drawn from the characters that matter to the text's syntax, or
 * from anything at all.
 */
import fc from 'fast-check';

/** How many edits, how much each removes, and what the syntax-aware insertions are. */
export interface EditOptions {
  /** Pieces of text that mean something to the parser under test. */
  syntax: readonly string[];
  maxEdits: number;
  /** Characters one edit removes at most, before inserting. */
  maxRemoved: number;
}

/** `text` with 1..maxEdits edits applied at generated places. */
export function editedText(
  text: fc.Arbitrary<string>,
  { syntax, maxEdits, maxRemoved }: EditOptions,
): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat(maxRemoved),
    insert: fc.oneof(fc.constantFrom(...syntax, ''), fc.string({ maxLength: 4 })),
  });
  return fc.tuple(text, fc.array(edit, { minLength: 1, maxLength: maxEdits })).map(([original, edits]) =>
    edits.reduce((edited, { at, remove, insert }) => {
      const i = at % (edited.length + 1);
      return edited.slice(0, i) + insert + edited.slice(i + remove);
    }, original),
  );
}
