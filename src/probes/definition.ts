/**
 * The dynamic-probe definition model: one plain, immutable value that both the
 * text parser and the typed builder produce, and that the printer turns back
 * into the exact line the kernel reads from `kprobe_events`, `uprobe_events`
 * or `dynamic_events`.
 *
 * The model stores what a definition *says*, not what the kernel derives from
 * it: a missing group or event name stays missing (see names.ts for the
 * names the kernel would pick), an unnamed argument gets the kernel's own
 * `argN` name at parse time, and numbers are plain values (their spelling,
 * decimal or hex, is the printer's choice).
 */

/** Which tracefs probe family a definition belongs to, and so which file it is written to. */
export type ProbeKind =
  /** `p`/`r` on a kernel symbol or address: `kprobe_events`. */
  | 'kprobe'
  /** `p`/`r` on `PATH:OFFSET`: `uprobe_events`. */
  | 'uprobe'
  /** `f` on a kernel function entry/exit (Linux 6.5+): `dynamic_events`. */
  | 'fprobe'
  /** `t` on a kernel tracepoint (Linux 6.5+): `dynamic_events`. */
  | 'tprobe';

/** Where a probe is placed; the variant must match the definition's {@link ProbeKind}. */
export type ProbeLocation =
  /** kprobe: `[MOD:]SYMBOL[+OFFSET]`. */
  | { readonly type: 'ksym'; readonly module?: string; readonly symbol: string; readonly offset: number }
  /** kprobe: a kernel text address (`KADDR`). */
  | { readonly type: 'kaddr'; readonly address: bigint }
  /**
   * uprobe: `PATH:OFFSET[(REF_CTR_OFFSET)]`, OFFSET being a file offset. A PATH without `/` is a
   * library name (`libc`, `libc.so.6`), resolved to a file before printing.
   */
  | { readonly type: 'uoffset'; readonly path: string; readonly offset: number; readonly refCtrOffset?: number }
  /**
   * uprobe by ELF symbol, `PATH:SYMBOL[+OFFSET]`. The kernel does not accept
   * this form: it must be turned into `uoffset` (see resolve.ts) before printing.
   */
  | {
      readonly type: 'usym';
      readonly path: string;
      readonly symbol: string;
      readonly offset: number;
      readonly refCtrOffset?: number;
    }
  /** fprobe: `[MOD:]FUNCTION`. */
  | { readonly type: 'function'; readonly module?: string; readonly symbol: string }
  /** tprobe: a tracepoint name. */
  | { readonly type: 'tracepoint'; readonly name: string };

/**
 * How a fetch argument gets its value: a tree whose leaves read a register,
 * the stack, a variable or memory, and whose `deref` nodes read memory at
 * (child value + offset).
 */
export type FetchNode =
  /** `%REG`. */
  | { readonly op: 'reg'; readonly name: string }
  /** `$stack`: the stack pointer itself. */
  | { readonly op: 'stack' }
  /** `$stackN`: the Nth word on the stack (N ≥ 0). */
  | { readonly op: 'stackN'; readonly index: number }
  /** `$retval`: the return value (return probes only). */
  | { readonly op: 'retval' }
  /** `$comm`: the current task's name (a string). */
  | { readonly op: 'comm' }
  /** `$argN`: the Nth function argument, N ≥ 1 (kernel function entry, or return with 6.9+). */
  | { readonly op: 'arg'; readonly index: number }
  /** `@ADDR`: memory at an absolute address. */
  | { readonly op: 'memAddr'; readonly address: bigint }
  /** `@SYM[+|-OFFSET]`: memory at a kernel data symbol (kernel probes only). */
  | { readonly op: 'memSymbol'; readonly symbol: string; readonly offset: number }
  /** `@+OFFSET`: memory at a file offset of the probed binary (uprobes only). */
  | { readonly op: 'fileOffset'; readonly offset: number }
  /** `\IMM`: an immediate number. */
  | { readonly op: 'imm'; readonly value: bigint }
  /** `\"TEXT"`: an immediate string. */
  | { readonly op: 'immString'; readonly value: string }
  /** `+|-[u]OFFSET(FETCHARG)`: memory at the child's value + offset; `user` reads user space (`+u`). */
  | { readonly op: 'deref'; readonly offset: number; readonly user: boolean; readonly target: FetchNode };

/** Fixed-size numeric types; their fields decode to numbers (8..32 bit) or bigints (64 bit). */
export const NUMERIC_TYPES = [
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  'x8',
  'x16',
  'x32',
  'x64',
  'char',
  'symbol',
] as const;

/** Types stored as a `__data_loc char[]` string in the record. */
export const STRING_TYPES = ['string', 'ustring', 'symstr', '%pd', '%pD'] as const;

/** A numeric type name (`char` is a u8 printed as a character; `symbol` is an address printed as `sym+off`). */
export type NumericTypeName = (typeof NUMERIC_TYPES)[number];
/** A string type name (`%pd`/`%pD` read a dentry's/file's name, Linux 6.10+). */
export type StringTypeName = (typeof STRING_TYPES)[number];
/** Any type name other than a bitfield. */
export type BasicTypeName = NumericTypeName | StringTypeName;

/** The type of an argument, `FETCHARG:TYPE`; absent means the kernel default (an unsigned long). */
export type ArgType =
  | { readonly kind: 'basic'; readonly name: BasicTypeName; readonly arrayLength?: number }
  /** `b<width>@<offset>/<container>`: `width` bits at bit `offset` of a `container`-bit value. */
  | {
      readonly kind: 'bitfield';
      readonly width: number;
      readonly offset: number;
      readonly container: 8 | 16 | 32 | 64;
      readonly arrayLength?: number;
    };

/** One `NAME=FETCHARG[:TYPE]` of a definition; it becomes the event field `name`. */
export interface ProbeArg {
  readonly name: string;
  readonly fetch: FetchNode;
  readonly type?: ArgType;
}

/** A decoded field value: what a field of each type becomes in JavaScript. */
export type FieldValue =
  | number
  | bigint
  | string
  | readonly string[]
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array;

/** Field names to decoded values; the fields of a definition whose types are only known at run time. */
export type ProbeFields = Readonly<Record<string, FieldValue>>;

/**
 * Marks the compile-time field types of a definition. It is never set at run
 * time; it only lets TypeScript carry the fields from the builder to the
 * decoder (see {@link FieldsOf}).
 */
export const fieldsBrand: unique symbol = Symbol('perf-bridge.probeFields');

/**
 * A dynamic probe definition.
 *
 * `F` is the compile-time shape of the event's fields; the builder fills it
 * in, while parsed text gets the general {@link ProbeFields}.
 */
export interface ProbeDefinition<F extends object = ProbeFields> {
  readonly kind: ProbeKind;
  /** True for kretprobes, uretprobes and fprobe exits. */
  readonly isReturn: boolean;
  /**
   * How a return probe is spelled: `prefix` is `r...` (every kernel), `suffix`
   * is `...%return` (Linux 5.10+, and the only form fprobes have). Present
   * exactly when {@link isReturn} is true.
   */
  readonly returnSyntax?: 'prefix' | 'suffix';
  /** kretprobe/fprobe-exit instance count, 1..4096; absent means the kernel default. */
  readonly maxactive?: number;
  /** Event group (tracefs `events/<group>/`); absent means the caller's or the kernel's default. */
  readonly groupName?: string;
  /** Event name; absent means the kernel generates one (see names.ts). */
  readonly eventName?: string;
  readonly location: ProbeLocation;
  readonly args: readonly ProbeArg[];
  /**
   * A tracefs filter expression over the event's fields (`ret < 0`), set with the builder's
   * `filter()` (hence not named `filter`, which is that method); the session checks it against the
   * event's format once the probe exists. Not part of the kernel text: print() leaves it out and
   * parse() never sets it.
   */
  readonly filterExpression?: string;
  /** Compile-time only; see {@link fieldsBrand}. */
  readonly [fieldsBrand]?: F;
}

/** Any definition, whatever its compile-time fields; what functions that only read definitions take. */
export type AnyProbeDefinition = ProbeDefinition<object>;

/** Flattens an intersection into one object type so editors and errors show plain fields. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The field types a definition's events decode to, e.g. `{ filename: string; flags: number }`. */
export type FieldsOf<D> = D extends { readonly [fieldsBrand]?: infer F } ? Simplify<F> : never;

/** Kernel limits the model is checked against (values from kernel/trace/trace_probe.h and friends). */
export const LIMITS = {
  /** MAX_EVENT_NAME_LEN (64) includes the NUL: names are at most 63 characters. */
  maxNameLength: 63,
  /** MAX_ARG_NAME_LEN. */
  maxArgNameLength: 32,
  /** MAX_ARGSTR_LEN: the text after `NAME=`, type included. */
  maxArgExpressionLength: 63,
  /** MAX_TRACE_ARGS (128 in 4.15 too, where extra arguments were silently dropped). */
  maxArgs: 128,
  /** MAX_ARRAY_LEN. */
  maxArrayLength: 64,
  /** KRETPROBE_MAXACTIVE_MAX (and RETHOOK_MAXACTIVE_MAX for fprobes). */
  maxMaxactive: 4096,
  /** PARAM_MAX_STACK = THREAD_SIZE / sizeof(long): 16 KiB / 8 on x86_64 without KASAN. */
  maxStackIndex: 2048,
  /** FETCH_INSN_MAX (16) minus the END instruction. */
  maxFetchOps: 15,
  /** MAX_PROBE_EVENT_SIZE: bytes of argument data in one event (recent kernels). */
  maxEventDataSize: 3072,
  /** trace_parse_run_command() takes lines of at most WRITE_BUFSIZE - 2 characters. */
  maxDefinitionLength: 4094,
  /** A kprobe symbol offset is checked against UINT_MAX. */
  maxSymbolOffset: 0xffffffff,
} as const;

/** Field names the kernel reserves (reserved_field_names[] in trace_probe.c). */
export const RESERVED_FIELD_NAMES: readonly string[] = [
  'common_type',
  'common_flags',
  'common_preempt_count',
  'common_pid',
  'common_tgid',
  '__probe_ip',
  '__probe_ret_ip',
  '__probe_func',
];

/** Byte size of one element of `type` in the record (string types are a 4-byte data_loc). */
export function typeElementSize(type: ArgType | undefined): number {
  if (type === undefined) return 8;
  if (type.kind === 'bitfield') return type.container / 8;
  switch (type.name) {
    case 'u8':
    case 's8':
    case 'x8':
    case 'char':
      return 1;
    case 'u16':
    case 's16':
    case 'x16':
      return 2;
    case 'u32':
    case 's32':
    case 'x32':
      return 4;
    case 'u64':
    case 's64':
    case 'x64':
    case 'symbol':
      return 8;
    default:
      return 4;
  }
}

/**
 * A plain copy of `def` holding only the model's own keys (no builder methods,
 * no keys set to undefined), so definitions compare with deepStrictEqual.
 */
export function plainDefinition<F extends object>(def: ProbeDefinition<F>): ProbeDefinition<F> {
  return {
    kind: def.kind,
    isReturn: def.isReturn,
    ...(def.returnSyntax !== undefined && { returnSyntax: def.returnSyntax }),
    ...(def.maxactive !== undefined && { maxactive: def.maxactive }),
    ...(def.groupName !== undefined && { groupName: def.groupName }),
    ...(def.eventName !== undefined && { eventName: def.eventName }),
    location: def.location,
    args: def.args,
    ...(def.filterExpression !== undefined && { filterExpression: def.filterExpression }),
  };
}

/** True when `name` is one of the basic (non-bitfield) type names. */
export function isBasicTypeName(name: string): name is BasicTypeName {
  return (NUMERIC_TYPES as readonly string[]).includes(name) || (STRING_TYPES as readonly string[]).includes(name);
}
