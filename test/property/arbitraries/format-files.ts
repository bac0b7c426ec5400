/**
 * Generated tracefs `format` files, each with the layout the parser must read back from it. The
 * expected decodings are stated per kind of declaration, from the kernel's conventions, not derived
 * from the parser's own tables.
 */
import fc from 'fast-check';

import type { FormatField } from '../../../src/decode/format.js';

/** A scalar C type as a format file spells it, with its size and signedness on x86_64. */
interface Scalar {
  cType: string;
  size: 1 | 2 | 4 | 8;
  signed: boolean;
}

// A sample of what kernels write, pointers included; `char` is here only as a scalar (a char array is text).
const SCALARS: readonly Scalar[] = [
  { cType: 'unsigned char', size: 1, signed: false },
  { cType: 'u8', size: 1, signed: false },
  { cType: 'signed char', size: 1, signed: true },
  { cType: 's8', size: 1, signed: true },
  { cType: 'unsigned short', size: 2, signed: false },
  { cType: '__u16', size: 2, signed: false },
  { cType: 'short', size: 2, signed: true },
  { cType: 'unsigned int', size: 4, signed: false },
  { cType: 'u32', size: 4, signed: false },
  { cType: 'int', size: 4, signed: true },
  { cType: 'pid_t', size: 4, signed: true },
  { cType: 'unsigned long', size: 8, signed: false },
  { cType: 'u64', size: 8, signed: false },
  { cType: 'long', size: 8, signed: true },
  { cType: 'loff_t', size: 8, signed: true },
  { cType: 'const char *', size: 8, signed: false },
  { cType: 'void *', size: 8, signed: false },
  { cType: 'struct sk_buff *', size: 8, signed: false },
];

const BOOLS = ['bool', '_Bool'] as const;
const CHAR_TYPES = ['char', 'signed char', 'const char'] as const;
const OPAQUE_TYPES = ['struct in6_addr', 'union ktime', 'enum hrtimer_mode', 'guid_t'] as const;
const SYMBOLIC_LENGTHS = ['TASK_COMM_LEN', '2*2', 'NR_CPUS'] as const;

/** One generated `field:` declaration and the field the parser must read from its line. */
export interface GeneratedField {
  /** The text between `field:` and the first `;`. */
  declaration: string;
  /** The parsed field expected: name, cType, offset, size, signed and decoding. */
  expected: FormatField;
  /** Whether the line carries a `signed:` column (kernels before 3.x had none). */
  hasSignedColumn: boolean;
}

/** A whole generated format file and what parseFormat must return for it. */
export interface GeneratedFormat {
  text: string;
  name: string;
  id: number;
  printFormat: string;
  fields: GeneratedField[];
}

type Declared = Omit<FormatField, 'name' | 'offset' | 'signed'> & {
  declare: (name: string) => string;
  signedFlag: boolean;
};

/** The sizes the decoder reads as integers. */
function isIntegerSize(size: number): size is 1 | 2 | 4 | 8 {
  return size === 1 || size === 2 || size === 4 || size === 8;
}

const scalar = fc.constantFrom(...SCALARS);
// Elements of typed arrays: no `char *` strings, and no `signed char`, whose arrays are text.
const elementScalar = scalar.filter((s) => !s.cType.includes('char *') && s.cType !== 'signed char');

/** `T name`: integers (a signed column picks the sign), bools, and opaque types as integers or bytes. */
const plainDeclaration: fc.Arbitrary<Declared> = fc.oneof(
  scalar.map((s): Declared => ({
    cType: s.cType,
    size: s.size,
    signedFlag: s.signed,
    decoding: { kind: 'int', size: s.size, signed: s.signed },
    declare: (name: string) => `${s.cType} ${name}`,
  })),
  fc.constantFrom(...BOOLS).map((cType): Declared => ({
    cType,
    size: 1,
    signedFlag: false,
    decoding: { kind: 'bool' },
    declare: (name: string) => `${cType} ${name}`,
  })),
  fc.tuple(fc.constantFrom(...OPAQUE_TYPES), fc.integer({ min: 1, max: 64 })).map(([cType, size]): Declared => ({
    cType,
    size,
    signedFlag: false,
    // An unknown type of an integer's size reads as an unsigned integer; any other size as bytes.
    decoding: isIntegerSize(size) ? { kind: 'int', size, signed: false } : { kind: 'bytes', size },
    declare: (name: string) => `${cType} ${name}`,
  })),
);

/** The length inside `[...]`: the number itself, or a macro name the kernel did not expand. */
function lengthText(count: number, symbolic: string | null): string {
  return symbolic ?? String(count);
}

/** `char name[N]` (text) and `T name[N]` (typed arrays). */
const arrayDeclaration: fc.Arbitrary<Declared> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...CHAR_TYPES),
      fc.integer({ min: 1, max: 64 }),
      fc.option(fc.constantFrom(...SYMBOLIC_LENGTHS)),
    )
    .map(([cType, size, symbolic]): Declared => ({
      cType,
      size,
      signedFlag: true,
      decoding: { kind: 'chars', size },
      declare: (name: string) => `${cType} ${name}[${lengthText(size, symbolic)}]`,
    })),
  fc
    .tuple(elementScalar, fc.integer({ min: 1, max: 16 }), fc.option(fc.constantFrom(...SYMBOLIC_LENGTHS)))
    .map(([element, count, symbolic]): Declared => ({
      cType: element.cType,
      size: element.size * count,
      signedFlag: element.signed,
      decoding: { kind: 'array', element: { size: element.size, signed: element.signed }, count },
      declare: (name: string) => `${element.cType} ${name}[${lengthText(count, symbolic)}]`,
    })),
);

/** `__data_loc T[] name` / `__rel_loc T[] name`: text, typed elements, or unknown elements. */
const dynamicDeclaration: fc.Arbitrary<Declared> = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc
        .constantFrom(...CHAR_TYPES)
        .map((cType) => ({ cType, text: true, element: { size: 1, signed: true } as const })),
      elementScalar.map((s) => ({ cType: s.cType, text: false, element: { size: s.size, signed: s.signed } })),
      fc.constantFrom(...OPAQUE_TYPES).map((cType) => ({ cType, text: false, element: undefined })),
    ),
    fc.boolean(),
  )
  .map(([relative, { cType, text, element }, brackets]): Declared => {
    const type = `__${relative ? 'rel' : 'data'}_loc ${cType}${brackets ? '[]' : ''}`;
    return {
      cType: type,
      size: 4,
      signedFlag: false,
      decoding: { kind: 'dynamic', relative, text, element },
      declare: (name: string) => `${type} ${name}`,
    };
  });

/** `T name[]` with size 0: the rest of the record. */
const flexibleDeclaration: fc.Arbitrary<Declared> = fc
  .oneof(
    fc.constantFrom(...CHAR_TYPES).map((cType) => ({ cType, text: true, element: { size: 1, signed: true } as const })),
    elementScalar.map((s) => ({ cType: s.cType, text: false, element: { size: s.size, signed: s.signed } })),
  )
  .map(({ cType, text, element }): Declared => ({
    cType,
    size: 0,
    signedFlag: false,
    decoding: { kind: 'flexible', text, element },
    declare: (name: string) => `${cType} ${name}[]`,
  }));

/** Field names: C identifiers that are not `common_*` (those go to commonFields). */
export const fieldName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/)
  .filter((name) => !name.startsWith('common_'));

/** One field of a generated format; without a `signed:` column every field reads as unsigned. */
export const generatedField: fc.Arbitrary<GeneratedField> = fc
  .tuple(
    fc.oneof(plainDeclaration, arrayDeclaration, dynamicDeclaration, flexibleDeclaration),
    fieldName,
    fc.nat(4096),
    fc.boolean(),
  )
  .map(([declared, name, offset, hasSignedColumn]) => {
    const signed = hasSignedColumn && declared.signedFlag;
    const decoding =
      declared.decoding.kind === 'int' && !hasSignedColumn
        ? { ...declared.decoding, signed: false }
        : declared.decoding;
    return {
      declaration: declared.declare(name),
      expected: { name, cType: declared.cType, offset, size: declared.size, signed, decoding },
      hasSignedColumn,
    };
  });

const COMMON_FIELDS: readonly { declaration: string; size: number; signed: boolean }[] = [
  { declaration: 'unsigned short common_type', size: 2, signed: false },
  { declaration: 'unsigned char common_flags', size: 1, signed: false },
  { declaration: 'unsigned char common_preempt_count', size: 1, signed: false },
  { declaration: 'int common_pid', size: 4, signed: true },
];

/** The whitespace kernels (and hand-edited copies) put before and between the columns. */
const layout = fc.record({ indent: fc.constantFrom('\t', ' ', '  '), separator: fc.constantFrom('\t', ' ', '') });

function fieldLine(
  declaration: string,
  offset: number,
  size: number,
  signed: boolean | undefined,
  { indent, separator }: { indent: string; separator: string },
): string {
  const signedColumn = signed === undefined ? '' : `${separator}signed:${signed ? 1 : 0};`;
  return `${indent}field:${declaration};${separator}offset:${offset};${separator}size:${size};${signedColumn}`;
}

/** A complete format file: header, the four common fields, the event's fields, print fmt. */
export const generatedFormat: fc.Arbitrary<GeneratedFormat> = fc
  .record({
    name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,30}$/),
    id: fc.integer({ min: 1, max: 1_000_000 }),
    fields: fc.array(generatedField, { maxLength: 12 }),
    layout,
    printArgs: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n"]/g, '').trim()),
  })
  .map(({ name, id, fields, layout: spacing, printArgs }) => {
    const printFormat = `"${printArgs}", REC->x`;
    const common = COMMON_FIELDS.map((f, i) => fieldLine(f.declaration, [0, 2, 3, 4][i]!, f.size, f.signed, spacing));
    const own = fields.map((f) =>
      fieldLine(
        f.declaration,
        f.expected.offset,
        f.expected.size,
        f.hasSignedColumn ? f.expected.signed : undefined,
        spacing,
      ),
    );
    const text = [
      `name: ${name}`,
      `ID: ${id}`,
      'format:',
      ...common,
      '',
      ...own,
      '',
      `print fmt: ${printFormat}`,
      '',
    ].join('\n');
    return { text, name, id, printFormat, fields };
  });

/** The number of lines that look like field lines (each must land in exactly one list). */
export function fieldLineCount(text: string): number {
  return text.split('\n').filter((line) => /^\s*field:/.test(line)).length;
}
