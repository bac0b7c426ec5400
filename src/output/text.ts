/**
 * The `text` format: one line per event, like `perf script`:
 *
 *     loadgen  1234/1234   [001]     0.001234: syscalls:sys_enter_getppid: __syscall_nr=110
 *
 * comm (right-aligned in 16 columns), pid/tid, the CPU (three digits), the time in seconds with
 * microseconds (since the trace began, or the CLOCK_MONOTONIC value itself), the event, then
 * `field=value` pairs. Strings are quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\xXX` escapes
 * (the names too, unquoted); 64-bit integers are exact; arrays are `[1,2,3]`. On x86_64 the `id` of
 * raw_syscalls:sys_enter / sys_exit is followed by the syscall's name: `id=39 (getpid)`.
 */
import { columnShape } from '../decode/column-shape.js';
import type { FormatField } from '../decode/format.js';
import { digitCount, writeAscii, writeSeconds, writeUint32 } from './digits.js';
import { NameBytes } from './names.js';
import { COMM_PART, type CompiledRows, type RowPart, compileRows, fieldLocals } from './row-code.js';
import { escapeText, writeTextBytes } from './strings.js';
import { X86_64_SYSCALL_NAMES } from './syscalls-x86_64.js';
import { VALUE_BINDINGS, type ContainerStyle, elementBindings, valuePart } from './value-code.js';

const TEXT_STYLE: ContainerStyle = {
  stringWriter: 'writeTextBytes',
  stringBytes: 2,
  arrayOpen: '[',
  arrayClose: ']',
  separator: 0x2c,
};

/** Columns the time takes (right-aligned), as `perf script`'s: `    0.001234`. */
const TIME_WIDTH = 12;
/** Most bytes a time takes: a sign, 2^64 ns in whole seconds (11 digits), '.', six digits. */
const TIME_MAX_BYTES = 1 + 11 + 1 + 6 + TIME_WIDTH;
const PID_WIDTH = 6;
const TWO_32 = 4294967296;
const TWO_53 = 2 ** 53;

/** Events whose `id` field is a syscall number. */
const SYSCALL_EVENTS = new Set(['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit']);

/** What the text format shows as time. */
export interface TextTime {
  /** CLOCK_MONOTONIC ns at which the trace began. */
  timeOrigin: bigint;
  /** Show the monotonic time itself rather than the time since timeOrigin. */
  absoluteTime: boolean;
}

/** Writes n right-aligned in `width` columns. */
function writeUintPadStart(o: Uint8Array, p: number, n: number, width: number): number {
  for (let pad = digitCount(n); pad < width; pad++) o[p++] = 32;
  return writeUint32(o, p, n);
}

/** Writes n left-aligned in `width` columns. */
function writeUintPadEnd(o: Uint8Array, p: number, n: number, width: number): number {
  const start = p;
  p = writeUint32(o, p, n);
  while (p - start < width) o[p++] = 32;
  return p;
}

/** Writes n with leading zeros to three digits (the CPU). */
function writeUintZeroPad3(o: Uint8Array, p: number, n: number): number {
  for (let pad = digitCount(n); pad < 3; pad++) o[p++] = 48;
  return writeUint32(o, p, n);
}

/** `ns` (a bigint) as seconds with six decimals, right-aligned: the exact path beyond 2^53 ns. */
function secondsText(ns: bigint): string {
  const negative = ns < 0n;
  const micros = (negative ? -ns : ns) / 1000n;
  const text = `${negative ? '-' : ''}${micros / 1000000n}.${String(micros % 1000000n).padStart(6, '0')}`;
  return text.padStart(TIME_WIDTH);
}

/**
 * The writer of a row's time (the halves of its CLOCK_MONOTONIC ns) as `time` says, and how to
 * move the time origin later: the writer reads it at every row, from the closure.
 */
function timeWriter(time: TextTime): {
  write: (o: Uint8Array, p: number, low: number, high: number) => number;
  setOrigin: (timeOrigin: bigint) => void;
} {
  let base = 0n;
  let baseNumber = 0;
  let baseExact = true;
  const setOrigin = (timeOrigin: bigint) => {
    base = time.absoluteTime ? 0n : timeOrigin;
    baseNumber = Number(base);
    baseExact = base >= 0n && base <= BigInt(TWO_53);
  };
  setOrigin(time.timeOrigin);
  const write = (o: Uint8Array, p: number, low: number, high: number) => {
    // Both below 2^53: their difference is exact in a double.
    if (baseExact && high < 0x200000) return writeSeconds(o, p, high * TWO_32 + low - baseNumber, TIME_WIDTH);
    return writeAscii(o, p, secondsText(((BigInt(high) << 32n) | BigInt(low)) - base));
  };
  return { write, setOrigin };
}

/** Writes ` (name)` after a syscall id (64-bit halves) that has a name in `names`. */
function syscallNameWriter(
  names: readonly Uint8Array[],
): (o: Uint8Array, p: number, low: number, high: number) => number {
  return (o, p, low, high) => {
    const name = high === 0 ? names[low] : undefined;
    if (name === undefined || name.length === 0) return p;
    o[p++] = 32;
    o[p++] = 40; // '('
    for (const byte of name) o[p++] = byte;
    o[p++] = 41;
    return p;
  };
}

/** Compiles text serializers; one per writer, shared by its events. */
export class TextCompiler {
  private readonly names = new NameBytes((name) => escapeText(name).padStart(16));
  private readonly time: ReturnType<typeof timeWriter>;
  private readonly writeSyscallName: ReturnType<typeof syscallNameWriter>;
  /** Bytes of the longest syscall name. */
  private readonly longestSyscall: number;

  constructor(time: TextTime) {
    this.time = timeWriter(time);
    const table = process.arch === 'x64' ? X86_64_SYSCALL_NAMES : [];
    const syscallNames = table.map((name) => Buffer.from(name, 'latin1'));
    this.writeSyscallName = syscallNameWriter(syscallNames);
    this.longestSyscall = syscallNames.reduce((max, name) => Math.max(max, name.length), 0);
  }

  /** Times are written as seconds since `timeOrigin` from now on (unless absolute). */
  setTimeOrigin(timeOrigin: bigint): void {
    this.time.setOrigin(timeOrigin);
  }

  /** The serializer of event `event` with `fields`. */
  compile(event: string, fields: readonly FormatField[]): CompiledRows {
    const values = fields.map(columnShape);
    const parts: RowPart[] = [
      COMM_PART,
      { text: ' ' },
      { code: `p = writeUintPadStart(o, p, pid[r], ${PID_WIDTH});`, maxBytes: 10 },
      { text: '/' },
      { code: `p = writeUintPadEnd(o, p, tid[r], ${PID_WIDTH});`, maxBytes: 10 },
      { text: ' [' },
      { code: 'p = writeUintZeroPad3(o, p, cpu[r]);', maxBytes: 10 },
      { text: '] ' },
      { code: 'p = writeTime(o, p, time[2 * r], time[2 * r + 1]);', maxBytes: TIME_MAX_BYTES },
      { text: `: ${escapeText(event)}:` },
      ...values.flatMap((value, i): RowPart[] => {
        const field = fields[i]!;
        const parts: RowPart[] = [{ text: ` ${field.name}=` }, valuePart(value, i, TEXT_STYLE)];
        if (SYSCALL_EVENTS.has(event) && field.name === 'id' && value.kind === 'int64') {
          const { values: halves } = fieldLocals(i);
          const code = `p = writeSyscallName(o, p, ${halves}[2 * r], ${halves}[2 * r + 1]);`;
          parts.push({ code, maxBytes: this.longestSyscall + 3 });
        }
        return parts;
      }),
      { text: '\n' },
    ];
    const bindings = {
      ...VALUE_BINDINGS,
      ...elementBindings(values),
      writeTextBytes,
      writeUintPadStart,
      writeUintPadEnd,
      writeUintZeroPad3,
      writeTime: this.time.write,
      writeSyscallName: this.writeSyscallName,
      names: this.names,
    };
    return compileRows(fields, parts, bindings);
  }
}
