/**
 * The DuckDB table each event is stored in: its name, and one column per sample value and per
 * field, typed so that every value is stored exactly (64-bit integers as BIGINT/UBIGINT, text as
 * VARCHAR, raw bytes as BLOB, arrays of numbers as lists).
 */
import type { ScalarType } from '../decode/c-types.js';
import { type ColumnShape, columnShape } from '../decode/column-shape.js';
import type { EventFormat } from '../decode/format.js';

/** Where a stored column's values come from in an event's columns (`EventColumns`). */
export type ColumnSource =
  /** The run's id in `perf_bridge_runs`. */
  | { kind: 'run' }
  /** The host the events came from (only in the tables the NATS collector writes). */
  | { kind: 'host' }
  /** The sample's CLOCK_MONOTONIC time (ns), as the API and `perf script` give it. */
  | { kind: 'time' }
  /**
   * The same instant on the wall clock, in µs (TIMESTAMPTZ, so that `wall > now() - INTERVAL 1
   * HOUR` works): `time` in whole µs plus the run's offset between the two clocks.
   */
  | { kind: 'wall' }
  | { kind: 'cpu' }
  | { kind: 'pid' }
  | { kind: 'tid' }
  | { kind: 'comm' }
  /** A field of the event, with the shape of its column. */
  | { kind: 'field'; field: string; shape: ColumnShape };

/** One column of an event's table. */
export interface StoredColumn {
  /** The SQL column name (a field's name; a field named like a sample column gets a `field_` prefix). */
  name: string;
  /** The DuckDB type, as SQL writes it. */
  type: string;
  source: ColumnSource;
}

/** An event's table. */
export interface EventTable {
  /** The event as the session names it (`group:name`, or a probe's label). */
  event: string;
  /** The table's name: an SQL identifier (see {@link tableNames}). */
  table: string;
  columns: StoredColumn[];
}

/** The sample columns every event table starts with. */
const SAMPLE_COLUMNS: readonly StoredColumn[] = [
  { name: 'run', type: 'UINTEGER', source: { kind: 'run' } },
  { name: 'time', type: 'UBIGINT', source: { kind: 'time' } },
  { name: 'wall', type: 'TIMESTAMP WITH TIME ZONE', source: { kind: 'wall' } },
  { name: 'cpu', type: 'UINTEGER', source: { kind: 'cpu' } },
  { name: 'pid', type: 'UINTEGER', source: { kind: 'pid' } },
  { name: 'tid', type: 'UINTEGER', source: { kind: 'tid' } },
  { name: 'comm', type: 'VARCHAR', source: { kind: 'comm' } },
];

const INT_TYPES: Readonly<Record<string, string>> = {
  '1s': 'TINYINT',
  '1u': 'UTINYINT',
  '2s': 'SMALLINT',
  '2u': 'USMALLINT',
  '4s': 'INTEGER',
  '4u': 'UINTEGER',
  '8s': 'BIGINT',
  '8u': 'UBIGINT',
};

/** The DuckDB type of an integer of `size` bytes. */
function intType({ size, signed }: ScalarType): string {
  return INT_TYPES[`${size}${signed ? 's' : 'u'}`]!;
}

/** The DuckDB type a column of `shape` is stored as. */
export function sqlType(shape: ColumnShape): string {
  switch (shape.kind) {
    case 'int':
      return intType(shape);
    case 'int64':
      return intType({ size: 8, signed: shape.signed });
    case 'bool':
      return 'BOOLEAN';
    case 'string':
      return 'VARCHAR';
    case 'elements':
      // Bytes (u8, or a type we do not know) are a BLOB; arrays of wider numbers, a list of them.
      return shape.element.size === 1 && !shape.element.signed ? 'BLOB' : `${intType(shape.element)}[]`;
  }
}

/**
 * Table names for `events`, in order: the event's name with every character outside
 * `[A-Za-z0-9_]` made `_` (`syscalls:sys_enter_openat` → `syscalls_sys_enter_openat`), prefixed
 * with `e_` when it would start with a digit, and suffixed with `_2`, `_3`, … when two events
 * would share a name.
 */
export function tableNames(events: readonly string[]): string[] {
  const taken = new Set<string>(RESERVED_TABLES);
  return events.map((event) => {
    const base = event.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9]|$)/, 'e_');
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** The tables the store keeps for itself (SQL names are case-insensitive). */
export const RUNS_TABLE = 'perf_bridge_runs';
const RESERVED_TABLES = [RUNS_TABLE];

/** The `host` column of collected tables, after `run`. */
const HOST_COLUMN: StoredColumn = { name: 'host', type: 'VARCHAR', source: { kind: 'host' } };

/**
 * The columns of an event's table, from its format; `withHost`: with a `host` column after `run`
 * (the tables of events collected from several hosts).
 */
export function eventTable(
  event: string,
  table: string,
  format: Pick<EventFormat, 'fields'>,
  withHost = false,
): EventTable {
  const sample = withHost ? [SAMPLE_COLUMNS[0]!, HOST_COLUMN, ...SAMPLE_COLUMNS.slice(1)] : SAMPLE_COLUMNS;
  const sampleNames = new Set(sample.map((column) => column.name));
  const fields = format.fields.map((field): StoredColumn => {
    const shape = columnShape(field);
    const name = sampleNames.has(field.name) ? `field_${field.name}` : field.name;
    return { name, type: sqlType(shape), source: { kind: 'field', field: field.name, shape } };
  });
  return { event, table, columns: [...sample, ...fields] };
}

/** `name` quoted as an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The `CREATE TABLE IF NOT EXISTS` statement of `table`. */
export function createTableSql(table: EventTable): string {
  const columns = table.columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table.table)} (${columns.join(', ')})`;
}

/** The runs table: one row per event of each run, with the run's host, kernel and times. */
export const CREATE_RUNS_SQL =
  `CREATE TABLE IF NOT EXISTS ${RUNS_TABLE} (` +
  'run UINTEGER, host VARCHAR, kernel VARCHAR, started TIMESTAMPTZ, ended TIMESTAMPTZ, ' +
  'event VARCHAR, table_name VARCHAR, delivered UBIGINT, stored UBIGINT, lost_store UBIGINT, ' +
  'run_lost_kernel UBIGINT)';
