/**
 * The tracefs probes a session created: removed by close(), or else at exit, on a fatal signal or
 * after the session is garbage-collected; what the kernel keeps is reported once per probe.
 */
import { installProbeCleanup, probeFinalizer, weakProbeCleanup, type Closable } from '../lifecycle/teardown.js';
import type { ProbeSet } from '../probes/probe-set.js';
import type { ProbeStats, SessionStats } from './stats.js';

/** A session's probe set and the hooks that remove it when the session does not. */
export class SessionProbes {
  private readonly unregisterCleanup: () => void;
  /** Probe hit counts read just before the probes were removed, for stats() after close. */
  private lastProfiles: SessionStats['probes'] = {};
  private notRemoved: SessionStats['probesNotRemoved'] = [];

  /** Hooks removal of `probeSet` to `session`'s teardown: exit, fatal signals, collection. */
  constructor(
    session: Closable,
    private readonly probeSet: ProbeSet,
  ) {
    this.unregisterCleanup = installProbeCleanup(weakProbeCleanup(new WeakRef(session), probeSet));
    // The token is this object, not the session: the registry must not keep the session alive.
    probeFinalizer.register(session, { probeSet, unregister: this.unregisterCleanup }, this);
  }

  /** Keeps the probes' hit counts, read now, for stats() once the probes are gone. */
  rememberProfiles(): void {
    this.lastProfiles = this.probeSet.profiles();
  }

  /** Hit counts (live while `capturing`, else as last remembered) and the probes not removed. */
  stats(capturing: boolean): ProbeStats {
    return {
      probes: capturing ? this.probeSet.profiles() : this.lastProfiles,
      probesNotRemoved: [...this.notRemoved],
    };
  }

  /**
   * Removes the probes; once all are gone the teardown hooks are dropped. Never throws: a probe the
   * kernel keeps is reported (a process warning from the probe set, and stats), and retried by the
   * next call, at exit, or by a later sweep once this process is gone.
   */
  remove(): void {
    this.probeSet.remove();
    if (this.probeSet.isRemoved) {
      probeFinalizer.unregister(this);
      this.unregisterCleanup();
    }
    this.notRemoved = this.probeSet
      .leftBehind()
      .map(({ probe, reason, error }) => ({ probe, reason, ...(error ? { message: error.message } : {}) }));
  }
}
