/**
 * What the output tests compare with: parsers for the three formats (a bigint-aware JSON parser,
 * an RFC 4180 CSV parser, the text format's line shape) and the decoded objects of the same events
 * in the form those parsers give.
 */
import { existsSync, readFileSync } from 'node:fs';

import type { TraceEvent } from '../../src/decode/records.js';

/** A JSON value with every integer parsed as a bigint (no float appears in the output). */
export type JsonValue = bigint | boolean | string | null | JsonValue[] | { [key: string]: JsonValue };

/** Parses one JSON text; integers become bigints, so 64-bit values are compared exactly. */
export function parseJsonBigInt(text: string): JsonValue {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`bad JSON at ${at} (${what}): ${text.slice(Math.max(0, at - 20), at + 20)}`);
  };
  const value = (): JsonValue => {
    const c = text[at];
    if (c === '{') {
      at++;
      const object: Record<string, JsonValue> = {};
      if (text[at] === '}') return (at++, object);
      for (;;) {
        const key = string();
        if (text[at++] !== ':') fail('colon');
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        const next = text[at++];
        if (next === '}') return object;
        if (next !== ',') fail('comma in object');
      }
    }
    if (c === '[') {
      at++;
      const array: JsonValue[] = [];
      if (text[at] === ']') return (at++, array);
      for (;;) {
        array.push(value());
        const next = text[at++];
        if (next === ']') return array;
        if (next !== ',') fail('comma in array');
      }
    }
    if (c === '"') return string();
    for (const [word, result] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) return ((at += word.length), result);
    }
    const number = /^-?(0|[1-9]\d*)/.exec(text.slice(at, at + 24));
    if (number === null) return fail('value');
    if (/[.eE]/.test(text[at + number[0].length] ?? '')) fail('a float');
    at += number[0].length;
    return BigInt(number[0]);
  };
  const string = (): string => {
    // eslint-disable-next-line no-control-regex -- a raw control character is what makes a JSON string bad
    const match = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(at));
    if (match === null) return fail('string');
    at += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const result = value();
  if (at !== text.length) fail('trailing text');
  return result;
}

/** A field value as the JSON parser gives it: numbers and 64-bit values as bigints, typed arrays as arrays. */
export function asParsed(value: unknown): JsonValue {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'bigint' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => BigInt(v));
  throw new Error(`unexpected field value ${String(value)}`);
}

/** A decoded event as its jsonl line parses. */
export function eventAsParsed(event: TraceEvent): JsonValue {
  const fields: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(event.fields)) {
    Object.defineProperty(fields, key, {
      value: asParsed(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    event: event.event,
    cpu: BigInt(event.cpu),
    pid: BigInt(event.pid),
    tid: BigInt(event.tid),
    comm: event.comm,
    time: event.time,
    fields,
  };
}

/** Parses RFC 4180 text (CRLF or LF line ends) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let at = 0;
  while (at < text.length) {
    const c = text[at]!;
    if (c === '"' && cell === '') {
      // A quoted cell: up to the quote not followed by another.
      at++;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote < 0) throw new Error('csv: unterminated quoted cell');
        cell += text.slice(at, quote);
        at = quote + 1;
        if (text[at] !== '"') break;
        cell += '"';
        at++;
      }
      if (at < text.length && !/[,\r\n]/.test(text[at]!)) throw new Error(`csv: text after a quoted cell at ${at}`);
      continue;
    }
    if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || (c === '\r' && text[at + 1] === '\n')) {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      if (c === '\r') at++;
    } else {
      cell += c;
    }
    at++;
  }
  if (cell !== '' || row.length > 0) throw new Error('csv: the last line has no line end');
  return rows;
}

/** The text format's escapes undone (see src/output/strings.ts escapeText). */
export function unescapeText(s: string): string {
  return s.replace(/\\(["\\nrt]|x[0-9a-f]{2})/g, (_, e: string) => {
    if (e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e;
  });
}

/** One text line taken apart. */
export interface TextLine {
  comm: string;
  pid: number;
  tid: number;
  cpu: string;
  seconds: string;
  event: string;
  /** What follows `event:` (the field=value pairs, each after a space). */
  fields: string;
}

/** Parses a text-format line (the comm taken as everything before the pid column). */
export function parseTextLine(line: string): TextLine {
  const match = /^(.{16,}?) +(\d+)\/(\d+) *\[(\d{3,})\] +(-?\d+\.\d{6}): (\S+):(.*)$/s.exec(line);
  if (match === null) throw new Error(`not a text line: ${JSON.stringify(line)}`);
  return {
    comm: unescapeText(match[1]!.trimStart()),
    pid: Number(match[2]),
    tid: Number(match[3]),
    cpu: match[4]!,
    seconds: match[5]!,
    event: match[6]!,
    fields: match[7]!,
  };
}

/** The jsonl, csv or text output of a decoded field value, for comparison with a parsed cell. */
export function csvCellOf(value: unknown): string {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, String).join(' ');
  return String(value);
}

/** A field value as the text format writes it (strings quoted and escaped). */
export function textValueOf(value: unknown): string {
  if (typeof value === 'string') return `"${escapeForTest(value)}"`;
  if (ArrayBuffer.isView(value))
    return `[${Array.from(value as unknown as ArrayLike<number | bigint>, String).join(',')}]`;
  return String(value);
}

/** The text format's escaping, written independently of the implementation's. */
function escapeForTest(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/** Sorts events into time order, ties by cpu then tid (what every format writes is in time order). */
export function inTimeOrder<T extends { time: bigint }>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** A parsed value as one comparable string (bigints marked, keys in order). */
export function canonical(value: JsonValue): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** The csv cell of each column for a decoded event. */
export function csvRowOf(event: TraceEvent, header: readonly string[]): string[] {
  const sample: Record<string, string> = {
    event: event.event,
    cpu: String(event.cpu),
    pid: String(event.pid),
    tid: String(event.tid),
    comm: event.comm,
    time: String(event.time),
  };
  return header.map((column, i) => {
    if (i < 6) return sample[column]!;
    const name = column.startsWith('fields.') ? column.slice(7) : column;
    return Object.hasOwn(event.fields, name) ? csvCellOf(event.fields[name]) : '';
  });
}

/** Syscall names by number, read from the kernel header here (independently of the generated table). */
export function syscallNames(): Map<bigint, string> {
  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  if (process.arch !== 'x64' || !existsSync(header)) return new Map();
  const defines = readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm);
  return new Map(Array.from(defines, (m) => [BigInt(m[2]!), m[1]!]));
}

/** What follows `event:` in the text line of a decoded event. */
export function textFieldsOf(event: TraceEvent, syscalls: ReadonlyMap<bigint, string>): string {
  return Object.entries(event.fields)
    .map(([name, value]) => {
      const syscall = event.event.startsWith('raw_syscalls:') && name === 'id' && syscalls.get(value as bigint);
      return ` ${name}=${textValueOf(value)}${syscall ? ` (${syscall})` : ''}`;
    })
    .join('');
}

/** `ns` as the text format's seconds: microseconds truncated toward zero. */
export function secondsOf(ns: bigint): string {
  const micros = (ns < 0n ? -ns : ns) / 1000n;
  return `${ns < 0n ? '-' : ''}${micros / 1000000n}.${String(micros % 1000000n).padStart(6, '0')}`;
}
