/**
 * Generated code writing one field's value of row r, for the formats that share it: integers and
 * booleans are written alike in every format; strings and arrays take the format's writers, named
 * in the bindings (see ContainerStyle and elementBindings). And the sample columns as jsonl and
 * csv write them alike (sampleParts).
 */
import { storeInt32, storeInt64, storeUint32, storeUint64 } from './digit-words.js';
import { MAX_INT64_BYTES, maxIntBytes } from './digits.js';
import { writeElements } from './elements.js';
import type { ColumnShape } from '../decode/column-shape.js';
import { COMM_PART, type RowPart, constantCode, fieldLocals } from './row-code.js';

/** The helpers generated row code calls, in scope under these names. */
export const VALUE_BINDINGS = { storeInt32, storeInt64, storeUint32, storeUint64, writeElements };

/** How a format writes strings and arrays. */
export interface ContainerStyle {
  /** The binding writing UTF-8 bytes (o, p, data, from, to) as an escaped string. */
  stringWriter: string;
  /** Fixed bytes the string writer adds (quotes). */
  stringBytes: number;
  /** Text before and after an array's elements, and the byte between elements. */
  arrayOpen: string;
  arrayClose: string;
  separator: number;
}

/**
 * The sample columns cpu, pid, tid, comm and time as jsonl and csv write them, each after its
 * label: in decimal, the time through the binding `times` (a LeadingDigits).
 */
export function sampleParts(labels: { cpu: string; pid: string; tid: string; comm: string; time: string }): RowPart[] {
  return [
    { text: labels.cpu },
    { code: 'p = storeUint32(d, p, cpu[r]);', maxBytes: 10 },
    { text: labels.pid },
    { code: 'p = storeUint32(d, p, pid[r]);', maxBytes: 10 },
    { text: labels.tid },
    { code: 'p = storeUint32(d, p, tid[r]);', maxBytes: 10 },
    { text: labels.comm },
    COMM_PART,
    { text: labels.time },
    { code: 'p = times.write(o, d, p, time[2 * r], time[2 * r + 1]);', maxBytes: MAX_INT64_BYTES },
  ];
}

/**
 * The part writing field i (read as `value`) of row r. Arrays need their element type in scope as
 * `e${i}`: see elementBindings.
 */
export function valuePart(value: ColumnShape, i: number, style: ContainerStyle): RowPart {
  const { values, offsets } = fieldLocals(i);
  switch (value.kind) {
    case 'int':
      return {
        code: `p = ${value.signed ? 'storeInt32' : 'storeUint32'}(d, p, ${values}[r]);`,
        maxBytes: maxIntBytes(value.size),
      };
    case 'int64':
      return {
        code: `p = ${value.signed ? 'storeInt64' : 'storeUint64'}(o, d, p, ${values}[2 * r], ${values}[2 * r + 1]);`,
        maxBytes: MAX_INT64_BYTES,
      };
    case 'bool':
      return {
        code: `if (${values}[r] !== 0) { ${constantCode('true')} } else { ${constantCode('false')} }`,
        maxBytes: 5,
      };
    case 'string':
      return {
        code: `p = ${style.stringWriter}(o, p, ${values}, ${offsets}[r], ${offsets}[r + 1]);`,
        maxBytes: style.stringBytes,
      };
    case 'elements':
      return {
        code: `${constantCode(style.arrayOpen)}
        p = writeElements(o, p, ${values}, ${offsets}[r], ${offsets}[r + 1], e${i}, ${style.separator});
        ${constantCode(style.arrayClose)}`,
        maxBytes: Buffer.byteLength(style.arrayOpen + style.arrayClose),
      };
  }
}

/** The element types of the array fields among `values`, as bindings `e${i}`. */
export function elementBindings(values: readonly ColumnShape[]): Record<string, unknown> {
  const bindings: Record<string, unknown> = {};
  values.forEach((value, i) => {
    if (value.kind === 'elements') bindings[`e${i}`] = value.element;
  });
  return bindings;
}
