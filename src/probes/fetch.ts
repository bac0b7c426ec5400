/**
 * Typed fetch expressions for the builder: `deref(reg('si')).as('string')`
 * builds the same {@link FetchNode} tree the parser builds from
 * `+0(%si):string`, and carries the decoded value type (`string`) at compile
 * time so the builder can type the event's fields.
 *
 * Value types follow what the record holds: 8..32-bit numbers and `char`
 * decode to `number`; 64-bit numbers to `bigint`; `symbol` is an address
 * (an unsigned long the kernel only *prints* as `sym+off`), so also `bigint`;
 * string types to `string`; bitfields to `number`; numeric arrays to typed
 * arrays (as the decoder copies them) and `char[N]` to a string. Without `.as()` a fetch has the kernel's default
 * type, an unsigned long (u64 in 4.15, x64 since 4.20): `bigint`.
 */
import type { ArgType, BasicTypeName, FetchNode, FieldValue, StringTypeName } from './definition.js';
import { ProbeDefinitionError } from './errors.js';
import type { X86Register } from './registers.js';
import { parseType } from './parse-arg.js';

type BitfieldSpec = `b${number}@${number}/${8 | 16 | 32 | 64}`;

/** The type spellings `.as()` takes: kernel type syntax, e.g. `x32`, `string`, `u8[16]`, `b4@2/32`. */
export type TypeSpec = BasicTypeName | `${BasicTypeName}[${number}]` | BitfieldSpec | `${BitfieldSpec}[${number}]`;

type ElementValue<S extends string> = S extends 'u64' | 's64' | 'x64' | 'symbol'
  ? bigint
  : S extends 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'x8' | 'x16' | 'x32' | 'char'
    ? number
    : S extends StringTypeName
      ? string
      : S extends `b${string}`
        ? number
        : never;

/**
 * What an array field decodes to: the decoder copies numeric arrays into typed arrays (no per-element
 * allocation), and a `char[N]` array is text, so a string.
 */
type ArrayValue<S extends string> = S extends 'char'
  ? string
  : S extends 'u8' | 'x8'
    ? Uint8Array
    : S extends 's8'
      ? Int8Array
      : S extends 'u16' | 'x16'
        ? Uint16Array
        : S extends 's16'
          ? Int16Array
          : S extends 'u32' | 'x32'
            ? Uint32Array
            : S extends 's32'
              ? Int32Array
              : S extends 'u64' | 'x64' | 'symbol'
                ? BigUint64Array
                : S extends 's64'
                  ? BigInt64Array
                  : S extends StringTypeName
                    ? readonly string[]
                    : S extends `b${string}/8`
                      ? Uint8Array
                      : S extends `b${string}/16`
                        ? Uint16Array
                        : S extends `b${string}/32`
                          ? Uint32Array
                          : S extends `b${string}/64`
                            ? BigUint64Array
                            : never;

/** The JavaScript type a field of type spelling `S` decodes to. */
export type ValueOfType<S extends string> = S extends `${infer Element}[${number}]`
  ? ArrayValue<Element>
  : ElementValue<S>;

declare const valueBrand: unique symbol;

/** A fetch expression with an optional type; `T` is the decoded value type. */
export class Fetch<T extends FieldValue = bigint> {
  /** Compile-time only: the decoded value type. */
  declare readonly [valueBrand]?: T;
  readonly node: FetchNode;
  readonly type?: ArgType;

  constructor(node: FetchNode, type?: ArgType) {
    this.node = node;
    if (type !== undefined) this.type = type;
  }

  /** The same fetch with a type, in kernel syntax (`'x32'`, `'string'`, `'u8[4]'`, `'b3@0/8'`). */
  as<S extends TypeSpec>(type: S): Fetch<ValueOfType<S>> {
    try {
      return new Fetch<ValueOfType<S>>(this.node, parseType(type, 0, '.as()'));
    } catch (error) {
      if (error instanceof ProbeDefinitionError)
        throw new ProbeDefinitionError(`.as('${type}'): ${error.problem}`, { code: error.code, hint: error.hint });
      throw error;
    }
  }
}

/** `%REG`: a register (x86_64 pt_regs name: `di`, `si`, `dx`, `ax`, ...). */
export function reg(name: X86Register): Fetch {
  return new Fetch({ op: 'reg', name });
}

/** `$stack`: the stack pointer. */
export function stackPointer(): Fetch {
  return new Fetch({ op: 'stack' });
}

/** `$stackN`: the Nth word on the stack, from 0. */
export function stack(index: number): Fetch {
  return new Fetch({ op: 'stackN', index });
}

/** `$retval`: the return value (return probes only). */
export function retval(): Fetch {
  return new Fetch({ op: 'retval' });
}

/** `$comm`: the current task's command name. */
export function comm(): Fetch<string> {
  return new Fetch<string>({ op: 'comm' });
}

/** `$argN`: function argument N, from 1 (kernel probes at function entry; return probes on 6.9+). */
export function arg(index: number): Fetch {
  return new Fetch({ op: 'arg', index });
}

/** `value` as a bigint, or a ProbeDefinitionError naming the builder call when it is not an integer. */
function integer(value: unknown, call: string, code: 'BAD_MEM_ADDR' | 'BAD_IMM'): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new ProbeDefinitionError(`${call}: ${String(value)} is not an integer`, {
    code,
    hint: 'give an integer (a bigint such as 0xffffffff81000000n for values past 2^53)',
  });
}

/** `target`'s expression, or a ProbeDefinitionError when it is not a fetch (e.g. undefined). */
function fetchNode(target: unknown, call: string): FetchNode {
  if (target instanceof Fetch) return target.node;
  throw new ProbeDefinitionError(`${call}: the target ${String(target)} is not a fetch expression`, {
    code: 'BAD_FETCH_ARG',
    hint: "build it with reg('di'), arg(1), stack(0), retval(), deref(...), ...",
  });
}

/** `@ADDR`: memory at an absolute address. */
export function atAddress(address: bigint | number): Fetch {
  return new Fetch({ op: 'memAddr', address: integer(address, 'atAddress()', 'BAD_MEM_ADDR') });
}

/** `@SYM[+|-OFFSET]`: memory at a kernel data symbol (kernel probes only). */
export function atSymbol(symbol: string, offset = 0): Fetch {
  return new Fetch({ op: 'memSymbol', symbol, offset });
}

/** `@+OFFSET`: memory at a file offset of the probed binary (uprobes only). */
export function atFileOffset(offset: number): Fetch {
  return new Fetch({ op: 'fileOffset', offset });
}

/** `\IMM`: an immediate number. */
export function imm(value: bigint | number): Fetch {
  return new Fetch({ op: 'imm', value: integer(value, 'imm()', 'BAD_IMM') });
}

/** `\"TEXT"`: an immediate string (no spaces, `:`, `#` or quotes). */
export function immString(value: string): Fetch<string> {
  return new Fetch<string>({ op: 'immString', value });
}

/** `+OFFSET(target)`: memory at target's value + offset (kernel memory in kprobes, the process's in uprobes). */
export function deref(target: Fetch<FieldValue>, offset = 0): Fetch {
  return new Fetch({ op: 'deref', offset, user: false, target: fetchNode(target, 'deref()') });
}

/** `+uOFFSET(target)`: user-space memory at target's value + offset, from a kernel probe (5.3+). */
export function uderef(target: Fetch<FieldValue>, offset = 0): Fetch {
  return new Fetch({ op: 'deref', offset, user: true, target: fetchNode(target, 'uderef()') });
}
