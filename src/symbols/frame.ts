/** One frame of a captured call chain, symbolized as far as the symbol sources allow. */
export interface StackFrame {
  /** The instruction pointer (a return address for every frame but the first of each context). */
  ip: bigint;
  /** The function that holds `ip`, when a symbol source knows it. */
  symbol?: string;
  /** `ip`'s distance from the start of `symbol` (or from the start of `module` when no symbol is known). */
  offset?: number;
  /**
   * Where `ip` lies: a kernel module's name (`[kernel]` for the kernel itself), a mapped file's
   * path, or `[jit]` for code from a `/tmp/perf-PID.map`.
   */
  module?: string;
}

/** What a symbol source says about one address. */
export interface SymbolHit {
  symbol: string;
  /** The address's distance from the symbol's start. */
  offset: number;
  module?: string;
}
