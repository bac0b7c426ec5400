/** Hand-built columnar batches and formats for the aggregation tests, with the decoder's own column classes. */
import {
  ColumnArena,
  StringColumn,
  type Column,
  type ColumnBatch,
  type EventColumns,
} from '../../src/decode/columns.js';
import { parseFormat, type EventFormat } from '../../src/decode/format.js';

/** The sample values of one row; what is not given is 0 (`comm` 'x'). */
export interface SampleRow {
  readonly pid?: number;
  readonly tid?: number;
  readonly cpu?: number;
  readonly comm?: string;
  readonly time?: bigint;
}

/** One event's columns: the sample columns from `rows`, the field columns as given. */
export function eventColumns(rows: readonly SampleRow[], fields: Record<string, Column> = {}): EventColumns {
  return {
    length: rows.length,
    pid: Uint32Array.from(rows, (row) => row.pid ?? 0),
    tid: Uint32Array.from(rows, (row) => row.tid ?? row.pid ?? 0),
    cpu: Uint32Array.from(rows, (row) => row.cpu ?? 0),
    comm: rows.map((row) => row.comm ?? 'x'),
    time: BigUint64Array.from(rows, (row) => row.time ?? 0n),
    fields,
  };
}

/** `count` rows with nothing but `time` set (all 0 otherwise). */
export function rowsOf(count: number): SampleRow[] {
  return Array.from({ length: count }, (_, i) => ({ time: BigInt(i) }));
}

/** A StringColumn (the decoder's) holding `values`. */
export function stringColumn(values: readonly string[]): StringColumn {
  const bytes = values.map((value) => Buffer.from(value));
  const total = bytes.reduce((sum, b) => sum + b.length, 0);
  const arena = new ColumnArena();
  arena.reset(StringColumn.arenaBytes(values.length, total));
  const column = new StringColumn(values.length, total, arena);
  for (const b of bytes) column.push(b, 0, b.length);
  return column;
}

/** A batch of the given events' columns. */
export function batchOf(events: Record<string, EventColumns>): ColumnBatch {
  const map = new Map(Object.entries(events));
  return { length: [...map.values()].reduce((sum, c) => sum + c.length, 0), events: map };
}

/** A format named `name` with fields declared as `TYPE NAME:SIZE` (`s64 value:8`, `__data_loc char[] path:4`). */
export function formatOf(name: string, fields: readonly string[]): EventFormat {
  let offset = 8;
  const lines = fields.map((spec) => {
    const [declaration, size] = spec.split(':') as [string, string];
    const line = `\tfield:${declaration};\toffset:${offset};\tsize:${size};\tsigned:${/^(s\d+|int|long|short|pid_t)\b/.test(declaration) ? 1 : 0};`;
    offset += Number(size);
    return line;
  });
  return parseFormat(
    `name: ${name}\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n${lines.join('\n')}\n`,
  );
}

/** Formats by event name. */
export function formatsOf(...formats: EventFormat[]): Map<string, EventFormat> {
  return new Map(formats.map((format) => [format.name, format]));
}

/** Histogram lines (`[2, 4)   3 |@@@   |`) as label → count. */
export function histogramCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^([[(][^\])]*[\])])\s+(\d+) \|[@ ]*\|$/gm))
    counts.set(match[1]!, Number(match[2]));
  return counts;
}
