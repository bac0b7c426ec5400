/**
 * Creating a session's dynamic probes in tracefs and removing them again. A ProbeSet validates
 * every definition against the kernel's rules and features, resolves uprobe symbols, records
 * ownership, writes the definitions, and removes exactly what it created — on close, at exit,
 * on fatal signals, or when its session is garbage-collected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { checkUprobeFileOffset } from '../elf/file-offset.js';
import { isLibraryName, resolveLibraryPath } from '../elf/library-path.js';
import { resolveUprobeOffset } from '../elf/resolve.js';
import { ProbeConflictError } from '../errors.js';
import { ProbeDefinitionError } from './errors.js';
import { type ProbeEventsFile, readProbeProfiles, writeProbeCommand } from '../tracefs/probe-files.js';
import { assertNameFree, createdLine, removeIfOurs } from './claims.js';
import { plainDefinition, type AnyProbeDefinition } from './definition.js';
import { parseTracefsReadme, assertSupported, type ProbeFeature } from './features.js';
import { namesOf } from './names.js';
import { parse } from './parse.js';
import { print, probeEventsFile } from './print.js';
import { installProbeCleanup } from '../lifecycle/teardown.js';
import { withProbeLock } from './probe-lock.js';
import { sweepDead } from './sweep.js';
import { resolveUprobeSymbols } from './resolve.js';
import { defaultLabel, nameSessionProbes, rememberSymbol } from './session-names.js';
import { validate } from './validate.js';
import { type OwnedProbe, OwnerRegistry, ownerGroup, type RegistryScan, scanRegistry } from './ownership.js';

/**
 * A definition as the API takes it: kernel text (a bare `PATH:SYMBOL` or `LIBRARY:SYMBOL` is an
 * entry uprobe) or a model (from the builder or parse()).
 */
export type ProbeInput = string | AnyProbeDefinition;

/** What {@link checkedDefinition} needs to know of the session. */
export interface CheckOptions {
  /**
   * The processes the session traces (empty or absent: system-wide). A uprobe on a library name
   * (`libc`) goes to the library the first of them that maps one mapped, else to the ld.so cache's.
   */
  readonly pids?: readonly number[] | undefined;
}

/** A probe that exists in tracefs because this set created it. */
export interface CreatedProbe extends OwnedProbe {
  /** The name its events are reported under. */
  label: string;
  definition: AnyProbeDefinition;
  /** The line tracefs listed for it right after creation. */
  line: string;
}

/** A probe a set could not remove, and why. */
export interface ProbeLeftBehind {
  /** `GROUP/EVENT`. */
  probe: string;
  /**
   * `busy`: the kernel refused (another tracer has it open or enabled); it stays recorded and is
   * removed by a later close(), at exit, or by the sweep once this process is gone.
   * `shared`: another tool added probe points to its event; perf-bridge will not remove theirs.
   */
  reason: 'busy' | 'shared';
  /** The kernel's refusal, for `busy`. */
  error?: Error;
}

let nextSequence = 0;
let registry: OwnerRegistry | undefined;

function ownerRegistry(): OwnerRegistry {
  registry ??= new OwnerRegistry();
  return registry;
}

/** The features of the running kernel's probe syntax, from tracefs README. */
function kernelProbeFeatures(root: string): ReadonlySet<ProbeFeature> {
  try {
    return parseTracefsReadme(readFileSync(join(root, 'README'), 'utf8'));
  } catch {
    return new Set();
  }
}

/** `definition` with a uprobe target given as a library name replaced by the library's file. */
function withLibraryResolved(definition: AnyProbeDefinition, pids: readonly number[]): AnyProbeDefinition {
  const location = definition.location;
  if (location.type !== 'uoffset' && location.type !== 'usym') return definition;
  if (!isLibraryName(location.path)) return definition;
  const { path } = resolveLibraryPath(location.path, { pids });
  return { ...plainDefinition(definition), location: { ...location, path } };
}

/**
 * `input` as a validated definition whose uprobe target, if any, is a file offset in an
 * executable segment of an existing ELF file; a library name (`libc:malloc`) is resolved first,
 * through the maps of `options.pids`, then the ld.so cache. Returns a plain definition (no
 * builder methods). Reads ELF files, /proc and the cache, never tracefs.
 */
export function checkedDefinition(input: ProbeInput, options: CheckOptions = {}): AnyProbeDefinition {
  const definition = withLibraryResolved(
    typeof input === 'string' ? parse(input) : validate(input),
    options.pids ?? [],
  );
  const resolveSymbol = (path: string, symbol: string, offset: number) =>
    resolveUprobeOffset(path, symbol, offset).offset;
  // A plain copy: a builder's methods (its filter() above all) are no part of what sessions read.
  const checked = plainDefinition(resolveUprobeSymbols(definition, resolveSymbol, checkUprobeFileOffset));
  return rememberSymbol(checked, definition);
}

/**
 * Refuses `MOD:SYMBOL` when MOD is not loaded. Kernels accept such a kprobe and arm it only when
 * the module loads, so without this check a typo in the module name would capture nothing, silently.
 */
function assertModuleLoaded(definition: AnyProbeDefinition): void {
  const location = definition.location;
  const module = location.type === 'ksym' || location.type === 'function' ? location.module : undefined;
  if (module === undefined || existsSync(`/sys/module/${module}`)) return;
  const symbol = location.type === 'ksym' || location.type === 'function' ? location.symbol : '';
  throw new ProbeDefinitionError(`module ${module} is not loaded: the probe on ${module}:${symbol} would never fire`, {
    code: 'MODULE_NOT_LOADED',
    hint:
      `load it first (modprobe ${module}), or check the module name in /proc/modules; ` +
      `if ${module} is a shared library, write ${module}:${symbol} alone (an entry uprobe), or give the ` +
      "library's file name (libc.so.6) or path: a '.' or '/' before the ':' makes a uprobe",
    where: { part: 'location' },
  });
}

/** Refuses two definitions with one GROUP/EVENT before anything is written. */
function assertDistinctNames(definitions: readonly AnyProbeDefinition[]): void {
  const seen = new Set<string>();
  for (const definition of definitions) {
    const { group, event } = namesOf(definition);
    const probe = `${group}/${event}`;
    if (seen.has(probe)) {
      throw new ProbeConflictError(`probe ${probe} is defined twice in this session`, {
        probe,
        hint: 'give each probe its own event name (NAME in p:GROUP/NAME), or leave the names out for unique defaults',
      });
    }
    seen.add(probe);
  }
}

/** The probes one session created. */
export class ProbeSet {
  readonly probes: CreatedProbe[] = [];
  /** Probes given up on because other tools share their event (never retried). */
  private readonly abandoned: ProbeLeftBehind[] = [];
  /** Probes the kernel has not let go of yet, from the latest removal attempt. */
  private busy: ProbeLeftBehind[] = [];
  /** Probes already reported in a process warning. */
  private readonly warned = new Set<string>();

  private constructor(
    private readonly root: string,
    private readonly registry: OwnerRegistry,
  ) {}

  /**
   * Creates every probe from definitions already checked with {@link checkedDefinition}. Probes
   * without an event name get one unique in the session (session-names.ts); labels default to the
   * event name, or `group:event` in a group the user named. Every name is checked before the first
   * write; all or nothing: when one fails, the ones created before it are removed and the error is
   * thrown.
   */
  static create(root: string, inputs: readonly { label?: string; definition: AnyProbeDefinition }[]): ProbeSet {
    const group = ownerGroup(nextSequence++);
    const features = kernelProbeFeatures(root);
    const prepared = nameSessionProbes(inputs, group).map(({ label, definition }) => {
      // A module that is not loaded first: `p libc:malloc` more likely means a library than a kprobe.
      assertModuleLoaded(definition);
      assertSupported(definition, features);
      return { label: label ?? defaultLabel(definition, group), definition };
    });
    assertDistinctNames(prepared.map((p) => p.definition));
    const set = new ProbeSet(root, ownerRegistry());
    withProbeLock(root, () => {
      const scan = scanRegistry(set.registry.dir);
      // Probes of perf-bridge processes that died (SIGKILL, crash) go first. What the kernel will
      // not let go of yet never fails this session: cleanup() reports it, a later sweep retries.
      sweepDead(root, scan);
      try {
        for (const { label, definition } of prepared) set.createOne(scan, label, definition);
      } catch (error) {
        set.discard();
        throw error;
      }
    });
    return set;
  }

  /** Checks the name is free, records it, writes it, and confirms exactly our line appeared. */
  private createOne(scan: RegistryScan, label: string, definition: AnyProbeDefinition): void {
    const { group, event } = namesOf(definition);
    const file: ProbeEventsFile = probeEventsFile(definition);
    assertNameFree(this.root, scan, file, group, event);
    const owned: OwnedProbe = { file, group, event, command: print(definition), line: null };
    this.registry.add(owned);
    let line: string;
    try {
      writeProbeCommand(this.root, file, owned.command, `create probe ${group}/${event}`);
      line = createdLine(this.root, owned);
    } catch (error) {
      this.forget(owned); // not written, or not ours alone: nothing of it may be removed
      throw error;
    }
    const created: CreatedProbe = { ...owned, line, label, definition };
    this.probes.push(created); // from here on remove() takes care of it, whatever fails next
    this.registry.confirm(owned, line);
  }

  /** Drops a probe from the record; a failure to save leaves a stale entry that sweeps find gone. */
  private forget(probe: OwnedProbe): void {
    try {
      this.registry.delete(probe);
    } catch {
      // The probe is not in tracefs (or not ours): its stale entry never leads to a removal.
    }
  }

  /**
   * Removes every probe this set created, newest first, each only while its event is exactly what
   * was written. Call after the perf fds on them are closed. Never throws: what the kernel keeps
   * (EBUSY) stays recorded and is retried by the next call, at exit, or by a later sweep; see
   * {@link leftBehind}. Each probe left behind is reported once in a `PERF_BRIDGE_PROBE_LEFT` warning.
   */
  remove(): void {
    if (this.probes.length === 0) return;
    let busy: ProbeLeftBehind[] = [];
    try {
      withProbeLock(this.root, () => {
        for (const probe of [...this.probes].reverse()) {
          const name = `${probe.group}/${probe.event}`;
          const outcome = removeIfOurs(this.root, probe, 'remove probe');
          if (outcome.status === 'failed') {
            busy.push({ probe: name, reason: 'busy', error: outcome.error });
            continue; // keep it recorded so a later attempt or sweep can still remove it
          }
          if (outcome.status === 'shared') this.abandoned.push({ probe: name, reason: 'shared' });
          this.probes.splice(this.probes.indexOf(probe), 1);
          this.forget(probe);
        }
      });
    } catch (error) {
      // No lock (another process holds it; nothing else in the loop throws): all stay recorded.
      busy = this.probes.map((p) => ({ probe: `${p.group}/${p.event}`, reason: 'busy', error: error as Error }));
    }
    this.busy = busy;
    this.warnNewlyLeft();
  }

  /** One process warning per probe, the first time it is left behind. */
  private warnNewlyLeft(): void {
    for (const left of this.leftBehind()) {
      if (this.warned.has(left.probe)) continue;
      this.warned.add(left.probe);
      const why =
        left.reason === 'busy'
          ? `the kernel refused (${left.error?.message ?? 'busy'}); retried at exit, or swept after this process ends`
          : 'other tools added probe points to its event; perf-bridge leaves them and it alone';
      process.emitWarning(`probe ${left.probe} was not removed: ${why}`, { code: 'PERF_BRIDGE_PROBE_LEFT' });
    }
  }

  /**
   * Removes the probes of a set no session will own (its creation failed part-way). What the
   * kernel keeps is removed at exit, as a session's would be.
   */
  discard(): void {
    this.remove();
    if (this.isRemoved) return;
    installProbeCleanup({
      remove: () => {
        this.remove();
      },
    });
  }

  /** True once no probe of this set is left to remove. */
  get isRemoved(): boolean {
    return this.probes.length === 0;
  }

  /** Probes that could not be removed: still busy after the latest attempt, or shared with other tools. */
  leftBehind(): ProbeLeftBehind[] {
    return [...this.busy, ...this.abandoned];
  }

  /** Hits and misses per probe label, from kprobe_profile / uprobe_profile. */
  profiles(): Record<string, { hits: number; misses: number }> {
    const entries = readProbeProfiles(this.root);
    const out: Record<string, { hits: number; misses: number }> = {};
    for (const probe of this.probes) {
      const location = probe.definition.location;
      const path = location.type === 'uoffset' ? location.path : undefined;
      const entry = entries.find(
        (e) =>
          (e.name === probe.event || e.name === `${probe.group}/${probe.event}`) &&
          (path === undefined || e.path === path),
      );
      if (entry) out[probe.label] = { hits: entry.hits, misses: entry.misses };
    }
    return out;
  }
}
