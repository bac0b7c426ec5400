/**
 * Compiles one decoder per event from its format, so no format work happens per record. The
 * decoder is generated source: a flat object literal per record, one bounds check for all fixed
 * fields, and per-field checks only when a record is shorter than the format says.
 */
import { type EventFormat, type FieldDecoding, type FormatField, assertNumericLayout, fieldEnd } from './format.js';
import { type DecodeErrorCounter, readArray, readCString, resolveDynamic } from './field-readers.js';

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

/** The JS expression reading a field, assuming the field lies inside the record. */
function readExpression(field: FormatField, index: number): string {
  const at = `s + ${field.offset}`;
  const d = field.decoding;
  switch (d.kind) {
    case 'int':
      switch (d.size) {
        case 1:
          return d.signed ? `v.getInt8(${at})` : `b[${at}]`;
        case 2:
          return `v.get${d.signed ? 'Int' : 'Uint'}16(${at}, true)`;
        case 4:
          return `v.get${d.signed ? 'Int' : 'Uint'}32(${at}, true)`;
        case 8:
          return `v.getBig${d.signed ? 'Int' : 'Uint'}64(${at}, true)`;
      }
      break;
    case 'bool':
      return `b[${at}] !== 0`;
    case 'chars':
      return `readCString(b, ${at}, ${at} + ${d.size})`;
    case 'array':
      return `readArray(b, ${at}, ${d.count * d.element.size}, elements[${index}])`;
    case 'bytes':
      return `readArray(b, ${at}, ${d.size}, undefined)`;
    case 'flexible':
      return d.text ? `readCString(b, ${at}, s + n)` : `readArray(b, ${at}, n - ${field.offset}, elements[${index}])`;
    case 'dynamic': {
      const loc = `resolveDynamic(v, s, n, ${field.offset}, ${d.relative}, e)`;
      return d.text ? `dynamicString(b, s, ${loc})` : `dynamicArray(b, s, ${loc}, elements[${index}])`;
    }
  }
  return 'undefined';
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

function dynamicString(b: Buffer, s: number, packed: number): string {
  if (packed < 0) return '';
  const offset = Math.floor(packed / 0x40000);
  return readCString(b, s + offset, s + offset + (packed % 0x40000));
}

function dynamicArray(b: Buffer, s: number, packed: number, element: Parameters<typeof readArray>[3]) {
  if (packed < 0) return readArray(b, 0, 0, element);
  return readArray(b, s + Math.floor(packed / 0x40000), packed % 0x40000, element);
}

/** Builds the decoder of an event's own fields (the `common_*` ones are left out). */
export function compileDecoder(format: Pick<EventFormat, 'fields'>): FieldsDecoder {
  const fields = format.fields;
  assertNumericLayout(fields);
  const minSize = fields.reduce((max, field) => Math.max(max, fieldEnd(field)), 0);
  const full = fields.map((field, i) => `${key(field.name)}: ${readExpression(field, i)}`);
  const partial = fields.map(
    (field, i) =>
      `${key(field.name)}: n >= ${fieldEnd(field)} ? ${readExpression(field, i)} : ${emptyExpression(field.decoding, i)}`,
  );
  const elements = fields.map((field) => {
    const d = field.decoding;
    return d.kind === 'array' || d.kind === 'dynamic' || d.kind === 'flexible' ? d.element : undefined;
  });
  // Errors count records, not fields: a record with several bad fields adds one.
  const source = `
    return function decodeFields(b, v, s, n, e) {
      const errorsBefore = e.count;
      if (n >= ${minSize}) {
        const fields = { ${full.join(', ')} };
        if (e.count > errorsBefore) e.count = errorsBefore + 1;
        return fields;
      }
      const fields = { ${partial.join(', ')} };
      e.count = errorsBefore + 1;
      return fields;
    };`;
  const factory = new Function(
    'readCString',
    'readArray',
    'resolveDynamic',
    'dynamicString',
    'dynamicArray',
    'elements',
    source,
  );
  return factory(readCString, readArray, resolveDynamic, dynamicString, dynamicArray, elements) as FieldsDecoder;
}
