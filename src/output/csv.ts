/**
 * The `csv` format (RFC 4180, CRLF line ends): a header `event,cpu,pid,tid,comm,time,<fields…>`,
 * then a row per event. The field columns are the union of every event's fields in order of first
 * appearance; an event without a field leaves its cell empty. A field named like one of the first
 * six columns (sched_process_exec has a `pid`) gets the column `fields.<name>`. `time` is
 * CLOCK_MONOTONIC ns. A cell holding a comma, quote, CR or LF is quoted, its quotes doubled.
 * Booleans are `true`/`false`; arrays and raw byte fields are their elements in decimal, separated
 * by spaces (`1 2 255`).
 */
import { columnShape } from '../decode/column-shape.js';
import type { EventFormat, FormatField } from '../decode/format.js';
import { LeadingDigits } from './digit-words.js';
import { NameBytes } from './names.js';
import { type CompiledRows, type RowPart, compileRows } from './row-code.js';
import { csvCell, writeCsvBytes } from './strings.js';
import { VALUE_BINDINGS, type ContainerStyle, elementBindings, sampleParts, valuePart } from './value-code.js';

const CSV_STYLE: ContainerStyle = {
  stringWriter: 'writeCsvBytes',
  stringBytes: 2,
  arrayOpen: '',
  arrayClose: '',
  separator: 0x20,
};

const SAMPLE_COLUMNS = ['event', 'cpu', 'pid', 'tid', 'comm', 'time'];

/** Compiles csv serializers for a fixed set of events, which decides the columns. */
export class CsvCompiler {
  private readonly names = new NameBytes(csvCell);
  /** Field names in column order. */
  private readonly fieldColumns: string[];

  constructor(formats: ReadonlyMap<string, Pick<EventFormat, 'fields'>>) {
    const seen = new Set<string>();
    for (const format of formats.values()) for (const field of format.fields) seen.add(field.name);
    this.fieldColumns = [...seen];
  }

  /** The header line. */
  header(): string {
    const fields = this.fieldColumns.map((name) => (SAMPLE_COLUMNS.includes(name) ? `fields.${name}` : name));
    return `${[...SAMPLE_COLUMNS, ...fields].map(csvCell).join(',')}\r\n`;
  }

  /** The serializer of event `event` with `fields` (which must be among the writer's formats). */
  compile(event: string, fields: readonly FormatField[]): CompiledRows {
    const values = fields.map(columnShape);
    const byName = new Map(fields.map((field, i) => [field.name, i]));
    const parts: RowPart[] = [
      ...sampleParts({ cpu: `${csvCell(event)},`, pid: ',', tid: ',', comm: ',', time: ',' }),
      ...this.fieldColumns.flatMap((name): RowPart[] => {
        const i = byName.get(name);
        return i === undefined ? [{ text: ',' }] : [{ text: ',' }, valuePart(values[i]!, i, CSV_STYLE)];
      }),
      { text: '\r\n' },
    ];
    for (const name of byName.keys()) {
      if (!this.fieldColumns.includes(name))
        throw new Error(`csv: event ${event} has a field (${name}) with no column`);
    }
    const bindings = {
      ...VALUE_BINDINGS,
      ...elementBindings(values),
      writeCsvBytes,
      names: this.names,
      times: new LeadingDigits(),
    };
    return compileRows(fields, parts, bindings);
  }
}
