/**
 * JIT symbols from `/tmp/perf-PID.map`, the file a JIT writes for perf (node and V8 with
 * `--perf-basic-prof`, the JVM with an agent, ...): one line per compiled function,
 * `START SIZE NAME`, START and SIZE in hex without `0x`, the name running to the end of the line
 * (spaces included). The process appends to it as it compiles, so the file is read incrementally.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SymbolHit } from './frame.js';

/** The module name of every JIT hit. */
const JIT_MODULE = '[jit]';

/**
 * How long a missing map file is believed missing. Most processes have none (node without
 * `--perf-basic-prof`), yet each of their frames outside a mapped file asks for it, thousands of
 * times a second when sampling: at most ten failed stats a second per process cost nothing, while
 * a process that starts writing its map is still picked up within a tenth of a second, long before
 * anyone reads the report.
 */
const MISSING_RECHECK_MS = 100;

/** `START SIZE NAME`; perf's own reader takes an optional `0x`, and so does this one. */
const MAP_LINE = /^(?:0x)?([0-9a-fA-F]+) (?:0x)?([0-9a-fA-F]+) (.+)$/;

const NEWLINE = 0x0a;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const NO_BYTES = Buffer.alloc(0);

/** Disjoint address ranges, ascending, each owned by the map entry that covers it. */
interface Segments {
  starts: Float64Array;
  ends: Float64Array;
  owners: Int32Array;
}

const NO_SEGMENTS: Segments = { starts: new Float64Array(0), ends: new Float64Array(0), owners: new Int32Array(0) };

/**
 * The JIT symbols of one process. Lookups bisect a table of disjoint ranges; the table is rebuilt
 * lazily after the file has grown, and the file is only looked at again on a miss.
 */
export class JitMap {
  /** The map file: `DIRECTORY/perf-PID.map`. */
  readonly path: string;

  // Entries in file order: a later one wins where ranges overlap (V8 reuses code space after GC).
  // User-space addresses are below 2^53 (47 or 48 bits on x86-64 and arm64), so numbers hold them.
  private readonly entryStarts: number[] = [];
  private readonly entryEnds: number[] = [];
  private readonly entryNames: string[] = [];
  /** How many entries the segments were built from; later ones wait to be painted in. */
  private paintedEntries = 0;
  private segments = NO_SEGMENTS;

  /** How far the file has been read, and the start of a line not yet finished there. */
  private readOffset = 0;
  private partialLine: Buffer = NO_BYTES;
  private inode = -1;
  /** When the file was last found missing; undefined while it exists. */
  private missingSince: number | undefined;

  /** False for a pid no process has (0, negative): its map resolves nothing and reads no file. */
  private readonly realPid: boolean;

  /** The map of process `pid`, in `directory` (where JITs write it, `/tmp`, unless testing). */
  constructor(pid: number, directory = '/tmp') {
    // No throw for a bad pid: a sample with pid 0 or -1 must not stop a session.
    this.realPid = Number.isSafeInteger(pid) && pid > 0;
    this.path = join(directory, `perf-${pid}.map`);
  }

  /**
   * The JIT function that holds `ip`, with module `[jit]`. On a miss the file is re-read if it has
   * grown, so code compiled since the last read is found; a missing file gives undefined.
   */
  resolve(ip: bigint): SymbolHit | undefined {
    if (ip < 0n || ip > MAX_SAFE_BIGINT) return undefined;
    const address = Number(ip);
    return this.lookup(address) ?? (this.refresh() ? this.lookup(address) : undefined);
  }

  /**
   * Reads what the file gained since the last read (only the new bytes); true when it had new
   * lines. {@link resolve} calls it on a miss; a caller can also call it, say once per batch of
   * samples, so an address whose code was replaced since is not named after the old function.
   */
  refresh(): boolean {
    if (!this.realPid) return false;
    const now = performance.now();
    if (this.missingSince !== undefined && now - this.missingSince < MISSING_RECHECK_MS) return false;
    let size: number;
    let inode: number;
    try {
      const stats = statSync(this.path, { throwIfNoEntry: false });
      if (stats === undefined) return this.markMissing(now);
      ({ size, ino: inode } = stats);
    } catch {
      return this.markMissing(now); // EACCES, ENOTDIR: as good as missing
    }
    this.missingSince = undefined;
    // A new file (the process exited and its pid was reused) or a truncated one: start over.
    if (inode !== this.inode || size < this.readOffset) this.forgetEntries(inode);
    if (size === this.readOffset) return false;
    const bytes = this.readFrom(this.readOffset, size - this.readOffset);
    if (bytes === undefined) return this.markMissing(now);
    this.readOffset += bytes.length;
    return this.addLines(bytes) > 0;
  }

  private markMissing(now: number): false {
    this.missingSince = now;
    return false;
  }

  private forgetEntries(inode: number): void {
    this.inode = inode;
    this.readOffset = 0;
    this.partialLine = NO_BYTES;
    this.entryStarts.length = 0;
    this.entryEnds.length = 0;
    this.entryNames.length = 0;
    this.paintedEntries = 0;
    this.segments = NO_SEGMENTS;
  }

  /** Up to `length` bytes of the file from `offset` (fewer if it shrank meanwhile); undefined if gone. */
  private readFrom(offset: number, length: number): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return undefined;
    }
    try {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const got = readSync(fd, buffer, filled, length - filled, offset + filled);
        if (got === 0) break;
        filled += got;
      }
      return buffer.subarray(0, filled);
    } finally {
      closeSync(fd);
    }
  }

  /** Adds the complete lines of `bytes` (after the partial line kept from before); returns how many. */
  private addLines(bytes: Buffer): number {
    const chunk = this.partialLine.length === 0 ? bytes : Buffer.concat([this.partialLine, bytes]);
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    // The writer may be mid-line: keep the bytes after the last newline (as bytes, since a UTF-8
    // character may be cut) for the next read. Copied, so the chunk itself can be freed.
    this.partialLine = Buffer.from(chunk.subarray(lastNewline + 1));
    if (lastNewline === -1) return 0;
    let added = 0;
    for (const line of chunk.toString('utf8', 0, lastNewline).split('\n')) {
      const match = MAP_LINE.exec(line);
      if (match === null) continue;
      const start = Number.parseInt(match[1]!, 16);
      const end = start + Number.parseInt(match[2]!, 16);
      // Size 0 covers nothing; beyond 2^53 the numbers would be rounded.
      if (end <= start || end > Number.MAX_SAFE_INTEGER) continue;
      this.entryStarts.push(start);
      this.entryEnds.push(end);
      this.entryNames.push(match[3]!);
      added++;
    }
    return added;
  }

  private lookup(address: number): SymbolHit | undefined {
    if (this.paintedEntries < this.entryNames.length) this.paint();
    const { starts, ends, owners } = this.segments;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (starts[middle]! <= address) low = middle + 1;
      else high = middle;
    }
    const found = low - 1;
    if (found < 0 || address >= ends[found]!) return undefined;
    const owner = owners[found]!;
    return { symbol: this.entryNames[owner]!, offset: address - this.entryStarts[owner]!, module: JIT_MODULE };
  }

  /**
   * Brings the segments up to date with the entries added since they were built: the new entries
   * are painted among themselves, then laid over the old segments, which they all postdate. So an
   * append costs a pass over the segments, not a sort of every entry.
   */
  private paint(): void {
    const total = this.entryNames.length;
    const fresh = paintEntries(this.entryStarts, this.entryEnds, this.paintedEntries, total);
    this.segments = this.segments.starts.length === 0 ? fresh : overlay(this.segments, fresh);
    this.paintedEntries = total;
  }
}

/** Segments with room for `capacity`, filled by {@link addSegment}; {@link trimmed} ends them. */
interface SegmentBuilder extends Segments {
  count: number;
}

function segmentBuilder(capacity: number): SegmentBuilder {
  return {
    starts: new Float64Array(capacity),
    ends: new Float64Array(capacity),
    owners: new Int32Array(capacity),
    count: 0,
  };
}

/** Appends `[start, end)` owned by `owner`, extending the last segment when it is the same entry's. */
function addSegment(out: SegmentBuilder, start: number, end: number, owner: number): void {
  const last = out.count - 1;
  if (last >= 0 && out.owners[last] === owner && out.ends[last] === start) {
    out.ends[last] = end;
    return;
  }
  out.starts[out.count] = start;
  out.ends[out.count] = end;
  out.owners[out.count++] = owner;
}

/** The filled part of `out`, copied to its exact size. */
function trimmed(out: SegmentBuilder): Segments {
  return {
    starts: out.starts.slice(0, out.count),
    ends: out.ends.slice(0, out.count),
    owners: out.owners.slice(0, out.count),
  };
}

/**
 * Splits the ranges of entries `from` to `to` into disjoint segments, each owned by the latest of
 * them that covers it: a sweep over every start and end, keeping the entries alive there in a heap
 * by file order.
 */
function paintEntries(starts: readonly number[], ends: readonly number[], from: number, to: number): Segments {
  const count = to - from;
  const byStart = new Int32Array(count);
  for (let i = 0; i < count; i++) byStart[i] = from + i;
  byStart.sort((a, b) => starts[a]! - starts[b]!);
  const edges = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    edges[2 * i] = starts[from + i]!;
    edges[2 * i + 1] = ends[from + i]!;
  }
  edges.sort();
  const alive = new LatestFirst(count);
  const out = segmentBuilder(count * 2);
  let next = 0;
  for (let e = 0; e + 1 < edges.length; e++) {
    const left = edges[e]!;
    const right = edges[e + 1]!;
    if (left === right) continue;
    while (next < count && starts[byStart[next]!]! <= left) alive.push(byStart[next++]!);
    // Entries ended by now leave lazily, when they reach the top.
    while (alive.size > 0 && ends[alive.top()]! <= left) alive.pop();
    if (alive.size > 0) addSegment(out, left, right, alive.top());
  }
  return trimmed(out);
}

/** `old` with `fresh` laid over it: where a fresh segment lies, it wins. Both are ascending. */
function overlay(old: Segments, fresh: Segments): Segments {
  // Each fresh segment adds itself and can split one old segment in two.
  const out = segmentBuilder(old.starts.length + 2 * fresh.starts.length);
  let f = 0;
  let added = 0; // fresh segments already in `out`
  for (let o = 0; o < old.starts.length; o++) {
    let start = old.starts[o]!;
    const end = old.ends[o]!;
    const owner = old.owners[o]!;
    for (; f < fresh.starts.length && fresh.starts[f]! < end; f++) {
      if (fresh.starts[f]! > start) addSegment(out, start, fresh.starts[f]!, owner);
      if (added === f) addSegment(out, fresh.starts[f]!, fresh.ends[f]!, fresh.owners[added++]!);
      if (fresh.ends[f]! >= end) break; // it covers the rest of this old segment, maybe more
      start = Math.max(start, fresh.ends[f]!);
    }
    if (f < fresh.starts.length && fresh.starts[f]! < end && fresh.ends[f]! >= end) continue;
    if (start < end) addSegment(out, start, end, owner);
  }
  for (; added < fresh.starts.length; added++) {
    addSegment(out, fresh.starts[added]!, fresh.ends[added]!, fresh.owners[added]!);
  }
  return trimmed(out);
}

/** A max-heap of entry indexes: the top is the latest entry in file order. */
class LatestFirst {
  size = 0;
  private readonly items: Int32Array;

  constructor(capacity: number) {
    this.items = new Int32Array(capacity);
  }

  top(): number {
    return this.items[0]!;
  }

  push(entry: number): void {
    const items = this.items;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (items[parent]! >= entry) break;
      items[at] = items[parent]!;
      at = parent;
    }
    items[at] = entry;
  }

  pop(): void {
    const items = this.items;
    const last = items[--this.size]!;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && items[child + 1]! > items[child]!) child++;
      if (items[child]! <= last) break;
      items[at] = items[child]!;
      at = child;
    }
    items[at] = last;
  }
}

/**
 * The JIT maps of many processes, made on first use. A session sees many processes, most of them
 * short-lived and without a map, so the number kept is capped: past it, the least recently used
 * map is dropped (asked again, it is simply re-read from its file).
 */
export class JitMaps {
  private readonly maps = new Map<number, JitMap>();

  /**
   * @param capacity How many processes' maps to keep. 256 holds every JIT process of a busy host
   *   (each map holds ~100 bytes per compiled function), while a stream of short-lived pids cannot
   *   grow it without bound.
   * @param directory Where the map files are (`/tmp`, unless testing).
   */
  constructor(
    private readonly capacity = 256,
    private readonly directory = '/tmp',
  ) {}

  /** The map of `pid`, made on first use. */
  get(pid: number): JitMap {
    let map = this.maps.get(pid);
    if (map === undefined) {
      map = new JitMap(pid, this.directory);
      if (this.maps.size >= this.capacity) this.maps.delete(this.maps.keys().next().value!);
    } else {
      this.maps.delete(pid); // re-inserted below: a Map iterates in insertion order, oldest first
    }
    this.maps.set(pid, map);
    return map;
  }

  /** `ip` in the JIT map of `pid`: {@link JitMap.resolve}. */
  resolve(pid: number, ip: bigint): SymbolHit | undefined {
    return this.get(pid).resolve(ip);
  }

  /** How many processes' maps are kept. */
  get size(): number {
    return this.maps.size;
  }
}
