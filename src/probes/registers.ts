/**
 * x86_64 register names as probe events spell them (`%ax`, not `%rax`).
 *
 * The kernel looks `%NAME` up with regs_query_register_offset(), whose table
 * (arch/x86/kernel/ptrace.c, `regoffset_table`) holds the field names of
 * `struct pt_regs`. On x86_64 that struct has no ds/es/fs/gs fields (they are
 * under CONFIG_X86_32 only), so `%ds` etc. are rejected there. Lookup is an
 * exact, case-sensitive strcmp().
 */

/** Every register name the x86_64 kernel accepts after `%`, in pt_regs order. */
export const X86_64_REGISTERS = [
  'r15',
  'r14',
  'r13',
  'r12',
  'r11',
  'r10',
  'r9',
  'r8',
  'bx',
  'cx',
  'dx',
  'si',
  'di',
  'bp',
  'ax',
  'orig_ax',
  'ip',
  'cs',
  'flags',
  'sp',
  'ss',
] as const;

/** A register name valid in a `%REG` fetch argument on x86_64. */
export type X86Register = (typeof X86_64_REGISTERS)[number];

/**
 * The registers that carry integer arguments 1..6 in the System V x86_64 ABI,
 * for callers who know the calling convention of the probed function
 * (kernel functions and most user-space C code).
 */
export const X86_64_ARGUMENT_REGISTERS: readonly X86Register[] = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

const REGISTER_SET: ReadonlySet<string> = new Set(X86_64_REGISTERS);

/** True when `name` (without `%`) is a register the x86_64 kernel knows. */
export function isX86Register(name: string): name is X86Register {
  return REGISTER_SET.has(name);
}

// Spellings people reach for (assembler names, sub-registers) mapped to the
// pt_regs name that holds them, so an error can say exactly what to write.
const ALIASES: Readonly<Record<string, X86Register>> = (() => {
  const table: Record<string, X86Register> = {
    rip: 'ip',
    eip: 'ip',
    eflags: 'flags',
    rflags: 'flags',
    orig_rax: 'orig_ax',
    orig_eax: 'orig_ax',
  };
  for (const r of ['ax', 'bx', 'cx', 'dx'] as const) {
    table[`r${r}`] = r;
    table[`e${r}`] = r;
    table[`${r[0]}l`] = r;
    table[`${r[0]}h`] = r;
  }
  for (const r of ['si', 'di', 'bp', 'sp'] as const) {
    table[`r${r}`] = r;
    table[`e${r}`] = r;
    table[`${r}l`] = r;
  }
  for (let n = 8; n <= 15; n++) {
    const r = `r${n}` as X86Register;
    for (const suffix of ['d', 'w', 'b', 'l']) table[`r${n}${suffix}`] = r;
  }
  return table;
})();

/**
 * Explains why `name` is not a register and what to write instead;
 * used in error hints.
 */
export function registerHint(name: string): string {
  const lower = name.toLowerCase();
  if (lower !== name && isX86Register(lower)) {
    return `register names are case-sensitive: write %${lower}`;
  }
  const alias = ALIASES[lower];
  if (alias !== undefined) {
    return `the kernel uses struct pt_regs field names, which cover the whole 64-bit register: write %${alias}`;
  }
  if (['ds', 'es', 'fs', 'gs'].includes(lower)) {
    return `%${lower} exists in pt_regs only on 32-bit x86; x86_64 probes cannot read it`;
  }
  return `x86_64 registers are ${X86_64_REGISTERS.map((r) => `%${r}`).join(', ')}`;
}
