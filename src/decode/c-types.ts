/** Sizes and signedness of the C scalar types that appear in tracefs format files (x86_64). */

/** A scalar element type as stored in a record. */
export interface ScalarType {
  size: 1 | 2 | 4 | 8;
  signed: boolean;
}

const SCALARS: Record<string, ScalarType> = {};

function define(size: ScalarType['size'], signed: boolean, names: string[]): void {
  for (const name of names) SCALARS[name] = { size, signed };
}

define(1, false, ['unsigned char', 'u8', '__u8', 'uint8_t', 'bool', '_Bool']);
define(1, true, ['char', 'signed char', 's8', '__s8', 'int8_t']);
define(2, false, ['unsigned short', 'unsigned short int', 'u16', '__u16', 'uint16_t', '__le16', '__be16', 'umode_t']);
define(2, true, ['short', 'short int', 'signed short', 's16', '__s16', 'int16_t']);
define(4, false, [
  'unsigned int',
  'unsigned',
  'u32',
  '__u32',
  'uint32_t',
  '__le32',
  '__be32',
  'uint',
  'uid_t',
  'gid_t',
  'dev_t',
  'gfp_t',
]);
define(4, true, ['int', 'signed int', 'signed', 's32', '__s32', 'int32_t', 'pid_t', 'tid_t']);
define(8, false, [
  'unsigned long',
  'unsigned long int',
  'unsigned long long',
  'u64',
  '__u64',
  'uint64_t',
  '__le64',
  '__be64',
  'size_t',
  'sector_t',
  'ino_t',
  'cpumask_t',
]);
define(8, true, ['long', 'long int', 'long long', 'signed long', 's64', '__s64', 'int64_t', 'ssize_t', 'loff_t']);

/** Looks up a scalar C type by name (qualifiers such as `const` ignored); pointers are 8 bytes. */
export function scalarType(cType: string): ScalarType | undefined {
  const name = cType
    .replace(/\b(const|volatile)\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (name.endsWith('*')) return { size: 8, signed: false };
  return SCALARS[name];
}

/** True for the C character types whose arrays hold text. */
export function isCharType(cType: string): boolean {
  const name = cType.replace(/\b(const|volatile)\b/g, '').trim();
  return name === 'char' || name === 'signed char';
}
