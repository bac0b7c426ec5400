/**
 * Interned call stacks: a chain seen before (same ips, and for user frames the same process and
 * mappings) is the same frozen array, symbolized once. Samples of one code path repeat their
 * chain, so a hash of the chain's words and one comparison replace symbolizing every frame.
 */
import { CHAIN_IPS_OFFSET, CHAIN_LENGTH_OFFSET, type FrameSpace, isContextMarker, markerSpace } from './call-chain.js';
import type { StackFrame } from './frame.js';
import type { Symbolizer } from './symbolizer.js';

/** A sample's call chain, innermost frame first, without the context markers. */
export interface CallStack extends ReadonlyArray<StackFrame> {
  /**
   * The chain has as many frames as the event's depth limit: frames further out were cut off
   * (an exact fit is marked too; the kernel does not tell the two apart).
   */
  readonly truncated: boolean;
  /**
   * This stack's number in its session: the samples of one stack share it. (A table that fills up
   * starts afresh, and a stack seen again after that gets a new id; ids are never reused.)
   */
  readonly id: number;
}

/** One interned chain: its words, the process it is keyed on (-1: none), and the stack. */
interface Entry {
  readonly words: Uint32Array;
  readonly pid: number;
  readonly generation: number;
  readonly stack: CallStack;
}

/** Interned stacks kept before the table starts afresh (bounds memory under ever-new chains). */
const MAX_ENTRIES = 1 << 16;

/** The session's stacks (see the module comment). */
export class StackTable {
  private readonly byHash = new Map<number, Entry[]>();
  private entries = 0;
  private nextId = 0;
  /** The entry the last sample had: consecutive samples mostly repeat a chain (one loop, one thread). */
  private last: Entry | undefined;

  /** @param symbolizer names the frames of new stacks; it also follows the session's mappings. */
  constructor(readonly symbolizer: Symbolizer) {}

  /**
   * The stack of the sample at `pos` (its chain checked to fit by decode/records), a sample of
   * process `pid` whose event keeps at most `maxDepth` frames.
   */
  stackOf(view: DataView, pos: number, pid: number, maxDepth: number): CallStack {
    const length = view.getUint32(pos + CHAIN_LENGTH_OFFSET, true);
    const first = pos + CHAIN_IPS_OFFSET;
    const last = this.last;
    if (last !== undefined && sameWords(last.words, view, first, length)) {
      if (last.pid === -1 || (last.pid === pid && last.generation === this.symbolizer.generation(pid)))
        return last.stack;
    }
    const hasUser = chainHasUserFrames(view, first, length);
    const keyPid = hasUser ? pid : -1;
    const generation = hasUser ? this.symbolizer.generation(pid) : 0;
    let hash = (Math.imul(keyPid, 0x9e3779b1) ^ generation) | 0;
    for (let at = first, end = first + 8 * length; at < end; at += 4) {
      hash = Math.imul(hash ^ view.getUint32(at, true), 0x01000193);
    }
    const bucket = this.byHash.get(hash);
    if (bucket !== undefined) {
      for (const entry of bucket) {
        if (entry.pid === keyPid && entry.generation === generation && sameWords(entry.words, view, first, length)) {
          this.last = entry;
          return entry.stack;
        }
      }
    }
    const stack = this.symbolize(view, first, length, pid, maxDepth);
    const entry = { words: wordsOf(view, first, length), pid: keyPid, generation, stack };
    this.remember(hash, entry);
    this.last = entry;
    return stack;
  }

  private symbolize(view: DataView, first: number, length: number, pid: number, maxDepth: number): CallStack {
    const frames: StackFrame[] = [];
    let space: FrameSpace = 'other';
    for (let i = 0; i < length; i++) {
      const low = view.getUint32(first + 8 * i, true);
      const high = view.getUint32(first + 8 * i + 4, true);
      if (isContextMarker(low, high)) space = markerSpace(low);
      else frames.push(Object.freeze(this.symbolizer.frame(view.getBigUint64(first + 8 * i, true), space, pid)));
    }
    const stack = Object.assign(frames, { truncated: maxDepth > 0 && frames.length >= maxDepth, id: this.nextId++ });
    return Object.freeze(stack);
  }

  private remember(hash: number, entry: Entry): void {
    if (this.entries >= MAX_ENTRIES) {
      this.byHash.clear();
      this.entries = 0;
    }
    const bucket = this.byHash.get(hash);
    if (bucket === undefined) this.byHash.set(hash, [entry]);
    else bucket.push(entry);
    this.entries++;
  }
}

/** Whether the chain of `length` ips at `first` has a user context (its names depend on the process). */
function chainHasUserFrames(view: DataView, first: number, length: number): boolean {
  for (let i = 0; i < length; i++) {
    const low = view.getUint32(first + 8 * i, true);
    if (isContextMarker(low, view.getUint32(first + 8 * i + 4, true)) && markerSpace(low) === 'user') return true;
  }
  return false;
}

function sameWords(words: Uint32Array, view: DataView, first: number, length: number): boolean {
  if (words.length !== 2 * length) return false;
  for (let i = 0; i < words.length; i++) if (words[i] !== view.getUint32(first + 4 * i, true)) return false;
  return true;
}

function wordsOf(view: DataView, first: number, length: number): Uint32Array {
  const words = new Uint32Array(2 * length);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(first + 4 * i, true);
  return words;
}
