/**
 * The `jsonl` format: one JSON object per line, with the keys in the order the CLI has always
 * written them: event, cpu, pid, tid, comm, time (CLOCK_MONOTONIC ns), fields.
 * 64-bit integers are exact decimal digits, arrays are arrays of numbers, so the line parsed
 * with a bigint-aware parser equals the decoded object of the same event.
 */
import { columnShape } from '../decode/column-shape.js';
import type { FormatField } from '../decode/format.js';
import { LeadingDigits } from './digit-words.js';
import { NameBytes } from './names.js';
import { type CompiledRows, type RowPart, compileRows } from './row-code.js';
import { writeJsonBytes, writeJsonText } from './strings.js';
import { VALUE_BINDINGS, type ContainerStyle, elementBindings, sampleParts, valuePart } from './value-code.js';

const JSON_STYLE: ContainerStyle = {
  stringWriter: 'writeJsonBytes',
  stringBytes: 2,
  arrayOpen: '[',
  arrayClose: ']',
  separator: 0x2c,
};

/** Compiles jsonl serializers; one per writer, shared by its events. */
export class JsonlCompiler {
  private readonly names = new NameBytes((name) => JSON.stringify(name));

  /** The serializer of event `event` with `fields`. */
  compile(event: string, fields: readonly FormatField[]): CompiledRows {
    const values = fields.map(columnShape);
    const parts: RowPart[] = [
      ...sampleParts({
        cpu: `{"event":${JSON.stringify(event)},"cpu":`,
        pid: ',"pid":',
        tid: ',"tid":',
        comm: ',"comm":',
        time: ',"time":',
      }),
      { text: ',"fields":{' },
      ...values.flatMap((value, i): RowPart[] => [
        { text: `${i > 0 ? ',' : ''}${JSON.stringify(fields[i]!.name)}:` },
        valuePart(value, i, JSON_STYLE),
      ]),
      { text: '}}\n' },
    ];
    const bindings = {
      ...VALUE_BINDINGS,
      ...elementBindings(values),
      writeJsonBytes,
      writeJsonText,
      names: this.names,
      times: new LeadingDigits(),
    };
    return compileRows(fields, parts, bindings);
  }
}
