/**
 * Names for the frames of call chains: kernel frames from /proc/kallsyms, user frames through the
 * process's mappings and the mapped file's ELF symbols, or the JIT map a runtime wrote
 * (`/tmp/perf-PID.map`, Node's `--perf-basic-prof`) for code in anonymous memory.
 *
 * Mappings come from the session's side-band (PERF_RECORD_MMAP2, FORK, exec COMMs), seeded from
 * /proc/PID/maps for processes that were running before the capture: so a process that exited
 * before its batch was decoded is still symbolized.
 */
import type { StackFrame } from './frame.js';
import type { FrameSpace } from './call-chain.js';
import { ElfSymbolizer, fileOffsetOf } from './elf-symbolizer.js';
import { JitMaps } from './jit-map.js';
import { KernelSymbols } from './kernel-symbols.js';
import { type Mapping, ProcessMappings } from './process-maps.js';

/** What the side-band tells about processes' address spaces (see decode/side-band.ts). */
export interface MappingListener {
  /** Process `pid` mapped executable `mapping`. */
  mapped(pid: number, mapping: Mapping): void;
  /** Process `childPid` was forked from `parentPid` (with a copy of its mappings). */
  processForked(parentPid: number, childPid: number): void;
  /** Process `pid` exec'd: its old mappings are gone. */
  processExec(pid: number): void;
  /** Process `pid` ended (its mappings stay known for the samples still to be decoded). */
  processExited(pid: number): void;
}

/** Symbolizes frames for one session; also the listener of the session's mapping side-band. */
export class Symbolizer implements MappingListener {
  private kernelSymbols: KernelSymbols | undefined;
  private readonly mappings = new ProcessMappings();
  private readonly elf = new ElfSymbolizer();
  private readonly jit = new JitMaps();
  /** Bumped for a process whenever its address space changes, so cached stacks of it go stale. */
  private readonly generations = new Map<number, number>();

  /**
   * `kernel`: kernel frames will be asked for, so /proc/kallsyms is read now rather than in the
   * middle of the first batch; `onHiddenKernel` is told once when its addresses are hidden.
   */
  constructor(kernel: boolean, onHiddenKernel: () => void) {
    if (kernel) {
      this.kernelSymbols = KernelSymbols.read();
      if (this.kernelSymbols.hidden) onHiddenKernel();
    }
  }

  /**
   * Reads the mappings of `pids` and the symbols of every file they map now: a table takes from
   * milliseconds (a small program) to 0.4 s (the node binary) to build, which in the first batch
   * would hold the reader up while the rings fill.
   */
  prepare(pids: readonly number[]): void {
    for (const pid of pids) {
      this.mappings.seed(pid);
      for (const mapping of this.mappings.mappings(pid)) this.elf.resolve(mapping, mapping.start, pid);
    }
  }

  /** The mapping generation of `pid` (see {@link generations}). */
  generation(pid: number): number {
    return this.generations.get(pid) ?? 0;
  }

  /** The frame of `ip`, which ran in `space` in process `pid`. */
  frame(ip: bigint, space: FrameSpace, pid: number): StackFrame {
    if (space === 'kernel') {
      this.kernelSymbols ??= KernelSymbols.read();
      const hit = this.kernelSymbols.resolve(ip);
      return hit === undefined ? { ip } : { ip, ...hit };
    }
    if (space === 'user') return this.userFrame(ip, pid);
    return { ip };
  }

  private userFrame(ip: bigint, pid: number): StackFrame {
    const mapping = this.mappings.find(pid, ip);
    if (mapping === undefined) {
      const jitHit = this.jit.resolve(pid, ip);
      return jitHit === undefined ? { ip } : { ip, ...jitHit };
    }
    const hit = this.elf.resolve(mapping, ip, pid);
    if (hit !== undefined) return { ip, ...hit };
    return { ip, offset: Number(fileOffsetOf(mapping, ip)), module: mapping.path };
  }

  mapped(pid: number, mapping: Mapping): void {
    this.mappings.mapped(pid, mapping);
    this.changed(pid);
  }

  processForked(parentPid: number, childPid: number): void {
    this.mappings.forked(parentPid, childPid);
    this.changed(childPid);
  }

  processExec(pid: number): void {
    this.mappings.exec(pid);
    this.changed(pid);
  }

  processExited(pid: number): void {
    this.mappings.exited(pid);
  }

  private changed(pid: number): void {
    this.generations.set(pid, this.generation(pid) + 1);
  }
}
