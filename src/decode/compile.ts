/**
 * Compiles one decoder per event from its format, so no format work happens per record. The
 * decoder is generated source: a flat object literal per record, one bounds check for all fixed
 * fields, and per-field checks only when a record is shorter than the format says.
 */
import { type EventFormat, type FieldDecoding, type FormatField, assertNumericLayout, fieldEnd } from './format.js';
import { type DecodeErrorCounter, dynamicText, readArray, readDynamicArray, resolveDynamic } from './field-readers.js';
import { generateFunction, intReadExpression, perRecordBody } from './generated-code.js';
import { sharedStrings } from './string-cache.js';
import { WideField, WideReader } from './wide-ints.js';

/** Decodes the raw tracepoint data at [start, start + size) of the batch into a fields object. */
export type FieldsDecoder = (
  bytes: Buffer,
  view: DataView,
  start: number,
  size: number,
  errors: DecodeErrorCounter,
) => Record<string, unknown>;

const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function key(name: string): string {
  return SAFE_KEY.test(name) && name !== '__proto__' ? name : `[${JSON.stringify(name)}]`;
}

/**
 * The JS expression reading a field, assuming the field lies inside the record. Text goes through
 * the shared string cache (`strings`), 64-bit integers through the field's own WideField
 * (`wide<index>`).
 */
function readExpression(field: FormatField, index: number): string {
  const at = `s + ${field.offset}`;
  const d = field.decoding;
  switch (d.kind) {
    case 'int':
      return d.size === 8 ? `wide${index}.read(b, v, ${at})` : intReadExpression(d.size, d.signed, at);
    case 'bool':
      return `b[${at}] !== 0`;
    case 'chars':
      return `strings.text(b, v, ${at}, ${at} + ${d.size})`;
    case 'array':
      return `readArray(b, ${at}, ${d.count * d.element.size}, elements[${index}])`;
    case 'bytes':
      return `readArray(b, ${at}, ${d.size}, undefined)`;
    case 'flexible':
      return d.text
        ? `strings.text(b, v, ${at}, s + n)`
        : `readArray(b, ${at}, n - ${field.offset}, elements[${index}])`;
    case 'dynamic':
      return d.text
        ? `dynamicText(strings, b, v, s, n, ${field.offset}, ${d.relative}, e)`
        : `readDynamicArray(b, s, resolveDynamic(v, s, n, ${field.offset}, ${d.relative}, e), elements[${index}])`;
  }
}

/** The value a field takes when the record is too short to hold it. */
function emptyExpression(decoding: FieldDecoding, index: number): string {
  switch (decoding.kind) {
    case 'int':
      return decoding.size === 8 ? '0n' : '0';
    case 'bool':
      return 'false';
    case 'chars':
      return "''";
    case 'flexible':
    case 'dynamic':
      return decoding.text ? "''" : `readArray(b, 0, 0, elements[${index}])`;
    case 'array':
    case 'bytes':
      return `readArray(b, 0, 0, elements[${index}])`;
  }
}

/** Builds the decoder of an event's own fields (the `common_*` ones are left out). */
export function compileDecoder(format: Pick<EventFormat, 'fields'>): FieldsDecoder {
  const fields = format.fields;
  assertNumericLayout(fields);
  const whole = fields.map((field, i) => `${key(field.name)}: ${readExpression(field, i)}`);
  const partial = fields.map((field, i) => {
    const value = `n >= ${fieldEnd(field)} ? ${readExpression(field, i)} : ${emptyExpression(field.decoding, i)}`;
    return `${key(field.name)}: ${value}`;
  });
  const elements = fields.map((field) => {
    const d = field.decoding;
    return d.kind === 'array' || d.kind === 'dynamic' || d.kind === 'flexible' ? d.element : undefined;
  });
  const reader = new WideReader();
  const wide = Object.fromEntries(
    fields.flatMap((field, i) => {
      const d = field.decoding;
      return d.kind === 'int' && d.size === 8 ? [[`wide${i}`, new WideField(reader, d.signed)]] : [];
    }),
  );
  const bindings = {
    readArray,
    resolveDynamic,
    readDynamicArray,
    dynamicText,
    strings: sharedStrings,
    elements,
    ...wide,
  };
  // The short-record path in a function of its own: the decoder stays small enough for V8 to
  // inline it, and what it calls, into the record walker.
  const decodePartial = generateFunction(
    bindings,
    `return function decodePartial(b, v, s, n, e) {\n      return { ${partial.join(', ')} };\n    };`,
  );
  const body = perRecordBody(
    fields,
    `const fields = { ${whole.join(', ')} };`,
    'const fields = decodePartial(b, v, s, n, e);',
    'return fields;',
  );
  return generateFunction(
    { ...bindings, decodePartial },
    `return function decodeFields(b, v, s, n, e) {${body}\n    };`,
  ) as FieldsDecoder;
}
