/**
 * What an output format writes of an event's call stack, after the event's own row: in `jsonl` a
 * `"stack"` array inside the event's object (the row's closing `}\n` is written again after it),
 * in `text` one line per frame, as `perf script` prints them. Each stack's bytes are made once.
 */
import type { CallStack } from '../symbols/stack-table.js';
import { frameLine, stackJson } from '../symbols/stack-text.js';

/** A format's stack bytes (see the module comment). */
export class StackSuffix {
  private readonly made = new WeakMap<CallStack, Buffer>();

  private constructor(
    /** Bytes of the row's end that the suffix writes again. */
    readonly takeBack: number,
    private readonly text: (stack: CallStack) => string,
  ) {}

  /** The suffix of `format`, or undefined for a format that shows no stacks (csv). */
  static of(format: string): StackSuffix | undefined {
    if (format === 'jsonl') return new StackSuffix(2, (stack) => `,"stack":${stackJson(stack)}}\n`);
    if (format === 'text')
      return new StackSuffix(0, (stack) => stack.map((frame) => `\t${frameLine(frame)}\n`).join(''));
    return undefined;
  }

  /** The bytes written for `stack`. */
  bytesOf(stack: CallStack): Buffer {
    let bytes = this.made.get(stack);
    if (bytes === undefined) {
      bytes = Buffer.from(this.text(stack), 'utf8');
      this.made.set(stack, bytes);
    }
    return bytes;
  }

  /** Writes `stack`'s bytes over the last {@link takeBack} bytes before `end` of `buffer`; returns the new end. */
  write(buffer: Buffer, end: number, stack: CallStack): number {
    const bytes = this.bytesOf(stack);
    return end - this.takeBack + bytes.copy(buffer, end - this.takeBack);
  }

  /** Most bytes the stacks of `rows` take (beyond the rows' own). */
  bound(rows: Uint32Array, stacks: readonly CallStack[]): number {
    let bytes = 0;
    for (const index of rows) bytes += this.bytesOf(stacks[index]!).length;
    return bytes;
  }
}
