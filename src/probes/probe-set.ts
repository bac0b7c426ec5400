/**
 * Creating a session's dynamic probes in tracefs and removing them again. A ProbeSet validates
 * every definition against the kernel's rules and features, resolves uprobe symbols, records
 * ownership, writes the definitions, and removes exactly what it created — on close, at exit,
 * on fatal signals, or when its session is garbage-collected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { resolveUprobeOffset } from '../elf/resolve.js';
import { KernelError } from '../errors.js';
import { type ProbeEventsFile, readProbeProfiles, writeProbeCommand } from '../tracefs/probe-files.js';
import type { AnyProbeDefinition } from './definition.js';
import { parseTracefsReadme, assertSupported, type ProbeFeature } from './features.js';
import { namesOf, resolveNames } from './names.js';
import { parse } from './parse.js';
import { print, printDeleteCommand, probeEventsFile } from './print.js';
import { resolveUprobeSymbols } from './resolve.js';
import { type OwnedProbe, OwnerRegistry, ownerGroup } from './ownership.js';

/** A definition as the API takes it: kernel text or a model (from the builder or parse()). */
export type ProbeInput = string | AnyProbeDefinition;

/** A probe that exists in tracefs because this set created it. */
export interface CreatedProbe extends OwnedProbe {
  /** The name its events are reported under. */
  label: string;
  /** The line written to tracefs. */
  command: string;
  definition: AnyProbeDefinition;
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

/** Turns an input into a validated, fully named, offset-resolved definition. */
function prepareDefinition(input: ProbeInput, defaultGroup: string, features: ReadonlySet<ProbeFeature>): AnyProbeDefinition {
  const parsed = typeof input === 'string' ? parse(input) : input;
  const resolved = resolveUprobeSymbols(parsed, (path, symbol, offset) => resolveUprobeOffset(path, symbol, offset).offset);
  const named = resolveNames(resolved, defaultGroup);
  assertSupported(named, features);
  return named;
}

/**
 * Refuses `MOD:SYMBOL` when MOD is not loaded. Kernels accept such a kprobe and arm it only when
 * the module loads, so without this check a typo in the module name would capture nothing, silently.
 */
function assertModuleLoaded(definition: AnyProbeDefinition): void {
  const location = definition.location;
  const module = location.type === 'ksym' || location.type === 'function' ? location.module : undefined;
  if (module === undefined || existsSync(`/sys/module/${module}`)) return;
  throw new KernelError(`module ${module} is not loaded: the probe on ${module}:${location.type === 'ksym' || location.type === 'function' ? location.symbol : ''} would never fire`, {
    errno: 2,
    code: 'ENOENT',
    syscall: 'open',
    hint: `load it first (modprobe ${module}), or check the module name in /proc/modules`,
  });
}

/** The probes one session created. */
export class ProbeSet {
  readonly probes: CreatedProbe[] = [];
  private removed = false;

  private constructor(private readonly root: string) {}

  /**
   * Creates every probe (labels default to `group:event`). All or nothing: when one fails, the
   * ones created before it are removed and the error is thrown.
   */
  static create(root: string, inputs: readonly { label?: string; input: ProbeInput }[]): ProbeSet {
    const set = new ProbeSet(root);
    const group = ownerGroup(nextSequence++);
    const features = kernelProbeFeatures(root);
    try {
      for (const { label, input } of inputs) set.createOne(label, prepareDefinition(input, group, features));
    } catch (error) {
      set.remove();
      throw error;
    }
    return set;
  }

  private createOne(label: string | undefined, definition: AnyProbeDefinition): void {
    assertModuleLoaded(definition);
    const { group, event } = namesOf(definition);
    const file: ProbeEventsFile = probeEventsFile(definition);
    const command = print(definition);
    const owned: OwnedProbe = { file, group, event };
    ownerRegistry().add(owned);
    try {
      writeProbeCommand(this.root, file, command, `create probe ${group}/${event}`);
    } catch (error) {
      ownerRegistry().delete(owned);
      throw error;
    }
    this.probes.push({ ...owned, label: label ?? `${group}:${event}`, command, definition });
  }

  /**
   * Removes every probe this set created, newest first; idempotent. Call after the perf fds on
   * them are closed (the kernel refuses to delete an event in use). Throws the first failure
   * after trying them all; probes already gone are not an error.
   */
  remove(): void {
    if (this.removed) return;
    let firstError: unknown;
    for (const probe of [...this.probes].reverse()) {
      try {
        writeProbeCommand(this.root, probe.file, printDeleteCommand(probe), `remove probe ${probe.group}/${probe.event}`);
      } catch (error) {
        if (!(error instanceof KernelError && error.code === 'ENOENT')) {
          firstError ??= error;
          continue; // keep it in the registry so a later sweep can still remove it
        }
      }
      ownerRegistry().delete(probe);
      this.probes.splice(this.probes.indexOf(probe), 1);
    }
    if (firstError !== undefined) throw firstError;
    this.removed = true;
  }

  /** True once every probe was removed. */
  get isRemoved(): boolean {
    return this.removed;
  }

  /** Hits and misses per probe label, from kprobe_profile / uprobe_profile. */
  profiles(): Record<string, { hits: number; misses: number }> {
    const entries = readProbeProfiles(this.root);
    const out: Record<string, { hits: number; misses: number }> = {};
    for (const probe of this.probes) {
      const location = probe.definition.location;
      const path = location.type === 'uoffset' ? location.path : undefined;
      const entry = entries.find(
        (e) => (e.name === probe.event || e.name === `${probe.group}/${probe.event}`) && (path === undefined || e.path === path),
      );
      if (entry) out[probe.label] = { hits: entry.hits, misses: entry.misses };
    }
    return out;
  }
}
