/**
 * Process names (`comm`) by thread and time, as perf tracks them: seeded from /proc when a session
 * starts, then kept current by the COMM / FORK / EXIT side-band records that come with the samples.
 * A name is looked up at the sample's own time, so a sample taken before an exec keeps the old name
 * even when the exec's record was read first (from another CPU's ring), and a thread that exited
 * before its samples were decoded still has its name.
 */
import { readFileSync } from 'node:fs';

import type { SideBandListener } from './side-band.js';

/** One name a thread had from `since` (ns, CLOCK_MONOTONIC) on, with the names it had before. */
export interface NameSpan {
  readonly comm: string;
  readonly since: number;
  /** The name before this one: kept only while samples from then may still be in the rings. */
  older: NameSpan | undefined;
}

/**
 * How long, in ns of event time, names that were replaced and threads that exited are kept: a
 * sample can wait in a ring this long (a reader held back by backpressure) and still be named.
 */
const KEEP_NS = 10e9;

/** Before every other time: a name read from /proc, valid for every sample until a record changes it. */
const ALWAYS = -Infinity;

/** The name of a thread at the time of its sample, in `span` or the spans before it. */
export function nameAt(span: NameSpan, time: number): string {
  let current = span;
  while (current.since > time && current.older !== undefined) current = current.older;
  return current.comm;
}

/** Thread names by tid, over time. */
export class ProcessNames implements SideBandListener {
  private readonly spans = new Map<number, NameSpan>();
  /** Threads that exited, oldest first, with their exit time. */
  private readonly exits: { tid: number; time: number }[] = [];
  /** The newest record time applied: what "old" is measured from. */
  private newest = 0;

  /**
   * Names read from /proc, for threads seen before any record named them. `since` is ALWAYS at
   * the first start; on a restart it is the time of the restart, so that older samples keep the
   * names they had.
   */
  seed(comms: ReadonlyMap<number, { comm: string }>, since: number = ALWAYS): void {
    for (const [tid, { comm }] of comms) {
      const span = this.spans.get(tid);
      if (span === undefined) this.spans.set(tid, { comm, since, older: undefined });
      else if (span.comm !== comm) this.insert(tid, comm, since);
    }
  }

  /**
   * The name spans of `tid`, newest first. A thread no record and no seed named (it started
   * before a restart, or its fork record was lost) is read from /proc once; one that is gone is
   * shown as perf shows it, `:TID`.
   */
  spanOf(tid: number): NameSpan {
    let span = this.spans.get(tid);
    if (span === undefined) {
      span = { comm: readComm(tid) ?? `:${tid}`, since: ALWAYS, older: undefined };
      this.spans.set(tid, span);
    }
    return span;
  }

  /** The name of `tid` at `time`. */
  nameOf(tid: number, time: number): string {
    return nameAt(this.spanOf(tid), time);
  }

  renamed(tid: number, comm: string, time: number): void {
    this.insert(tid, comm, time);
  }

  forked(tid: number, parentTid: number, time: number): void {
    this.insert(tid, this.nameOf(parentTid, time), time);
  }

  exited(tid: number, time: number): void {
    this.exits.push({ tid, time });
    this.newest = Math.max(this.newest, time);
  }

  /**
   * Forgets what no sample can need any more: threads that exited, and names replaced, more than
   * KEEP_NS before the newest record. Called between batches.
   */
  prune(): void {
    const horizon = this.newest - KEEP_NS;
    let gone = 0;
    while (gone < this.exits.length && this.exits[gone]!.time < horizon) {
      const { tid, time } = this.exits[gone++]!;
      // A reused tid has a newer span than its exit: keep that one.
      const span = this.spans.get(tid);
      if (span !== undefined && span.since <= time) this.spans.delete(tid);
    }
    this.exits.splice(0, gone);
    for (const span of this.spans.values()) {
      if (span.older === undefined) continue;
      let newer = span;
      while (newer.older !== undefined && newer.since >= horizon) newer = newer.older;
      newer.older = undefined;
    }
  }

  /** Adds `comm` from `since` on, in time order among the spans already there. */
  private insert(tid: number, comm: string, since: number): void {
    this.newest = Math.max(this.newest, since);
    const head = this.spans.get(tid);
    if (head === undefined || head.since <= since) {
      this.spans.set(tid, { comm, since, older: head });
      return;
    }
    // A record read late (from another ring) that is older than what we have: slot it in.
    let newer = head;
    while (newer.older !== undefined && newer.older.since > since) newer = newer.older;
    newer.older = { comm, since, older: newer.older };
  }
}

/** /proc/TID/comm, or undefined when the thread is gone. */
function readComm(tid: number): string | undefined {
  if (tid === 0) return 'swapper';
  try {
    return readFileSync(`/proc/${tid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}
