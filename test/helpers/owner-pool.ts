/**
 * Owner processes shared by the tests of one file. Starting one costs seconds under the kernel
 * VMs' emulated CPU (node and ~50 modules over 9p), so tests borrow them and give them back with
 * no session open; owners a test parked, killed or could not close are dropped.
 */
import { ProbeOwner } from './probe-owner.js';

/** A set of idle {@link ProbeOwner}s. */
export class OwnerPool {
  private readonly idle: Promise<ProbeOwner>[] = [];
  /** Every owner this pool started: a live one keeps the test process from exiting, so all are ended. */
  private readonly started: Promise<ProbeOwner>[] = [];

  /** Starts `count` owners now, so they boot while other tests run. */
  prestart(count: number): void {
    for (let i = 0; i < count; i++) this.idle.push(this.startOne());
  }

  /** An owner with no session: an idle one, or a new one. */
  take(): Promise<ProbeOwner> {
    return this.idle.shift() ?? this.startOne();
  }

  /** Takes `count` owners at once. */
  takeMany(count: number): Promise<ProbeOwner[]> {
    return Promise.all(Array.from({ length: count }, () => this.take()));
  }

  /** Gives owners back after closing any session they still hold (which removes its probes). */
  async give(...owners: ProbeOwner[]): Promise<void> {
    await Promise.all(
      owners.map(async (owner) => {
        if (!owner.isUsable) return;
        try {
          if ((await owner.close()).ok) {
            this.idle.push(Promise.resolve(owner));
            return;
          }
        } catch {
          // No answer: the owner is broken and ends below; the test's own failure says more.
        }
        await owner.end();
      }),
    );
  }

  /** Ends every owner still running, idle or not (parked ones stay: they must outlive the test). */
  async endAll(): Promise<void> {
    this.idle.length = 0;
    const settled = await Promise.allSettled(this.started);
    const owners = settled.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
    await Promise.all(owners.map((owner) => owner.end()));
  }

  private startOne(): Promise<ProbeOwner> {
    const starting = ProbeOwner.start();
    starting.catch(() => {
      // Reported by whichever test takes it.
    });
    this.started.push(starting);
    return starting;
  }
}
