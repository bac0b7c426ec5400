// Compile-time checks of the builder's field types. This file fails `tsc` if
// the types are wrong: the Expect<Equal<...>> lines need exact types, and
// every `@ts-expect-error` line must really be an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fexit, kprobe, kretprobe, tprobe, uprobe, uretprobe } from '../../src/probes/builder.js';
import type { FieldsOf, ProbeDefinition } from '../../src/probes/definition.js';
import { arg, comm, deref, imm, immString, reg, retval, stack } from '../../src/probes/fetch.js';

// Two types are equal when no type can tell them apart; T is used once in each signature on purpose.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type-equality idiom needs T
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const open = kprobe('do_sys_openat2')
  .arg('filename', deref(reg('si'), 0).as('string'))
  .arg('flags', reg('dx').as('x32'));
type OpenFields = FieldsOf<typeof open>;
export type OpenCheck = Expect<Equal<OpenFields, { readonly filename: string; readonly flags: number }>>;
// The builder is the definition: it can be used where a typed definition is expected.
const asDefinition: ProbeDefinition<{ filename: string; flags: number }> = open;

const ret = kretprobe('vfs_read', { maxactive: 16 }).arg('ret', retval().as('s64')).arg('who', comm());
export type RetCheck = Expect<Equal<FieldsOf<typeof ret>, { readonly ret: bigint; readonly who: string }>>;

const mixed = kprobe('vfs_read')
  .arg('count', arg(3))
  .arg('bytes', deref(reg('si')).as('u8[16]'))
  .arg('words', deref(reg('si')).as('x64[2]'))
  .arg('names', deref(reg('di')).as('string[4]'))
  .arg('bits', reg('dx').as('b3@2/32'))
  .arg('sym', reg('ax').as('symbol'))
  .arg('letter', deref(reg('si')).as('char'))
  .arg(stack(0).as('s16'))
  .arg(imm(7))
  .arg('text', immString('hi'));
export type MixedCheck = Expect<
  Equal<
    FieldsOf<typeof mixed>,
    {
      readonly count: bigint;
      readonly bytes: Uint8Array;
      readonly words: BigUint64Array;
      readonly names: readonly string[];
      readonly bits: number;
      readonly sym: bigint;
      readonly letter: number;
      readonly arg8: number;
      readonly arg9: bigint;
      readonly text: string;
    }
  >
>;

const user = uretprobe('/bin/bash', 'readline').arg('line', deref(retval()).as('string'));
export type UserCheck = Expect<Equal<FieldsOf<typeof user>, { readonly line: string }>>;
export type EmptyCheck = Expect<
  Equal<
    // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no arguments, no fields
    FieldsOf<ReturnType<typeof tprobe>>,
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the empty field record is the type under test
    {}
  >
>;

// These must not compile; they sit in a function that never runs, which returns what it declares
// so that every declaration is used.
function mustNotCompile(ev: { readonly fields: OpenFields }): unknown[] {
  const name: string = ev.fields.filename;
  const flags: number = ev.fields.flags;
  // @ts-expect-error filename is a string
  const wrong: number = ev.fields.filename;
  // @ts-expect-error there is no such field
  const mode: unknown = ev.fields.mode;
  // @ts-expect-error flags is a number, not a bigint
  const big: bigint = ev.fields.flags;
  // @ts-expect-error a field name can be used once
  kprobe('x').arg('a', reg('di')).arg('a', reg('si'));
  // @ts-expect-error x86_64 has no %rax in pt_regs naming
  reg('rax');
  // @ts-expect-error not a kernel type name
  reg('di').as('int');
  // @ts-expect-error the fields differ
  const other: ProbeDefinition<{ filename: number; flags: number }> = open;
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- an fexit without arguments: no fields
  const exitFields: FieldsOf<ReturnType<typeof fexit>> = {};
  return [name, flags, wrong, mode, big, other, exitFields, uprobe];
}

test('typed builder results are definitions whose field types are known at compile time', () => {
  assert.equal(typeof mustNotCompile, 'function');
  assert.equal(asDefinition.kind, 'kprobe');
  assert.deepEqual(
    mixed.args.map((a) => a.name),
    ['count', 'bytes', 'words', 'names', 'bits', 'sym', 'letter', 'arg8', 'arg9', 'text'],
    'unnamed arguments get the kernel names the types predicted',
  );
  assert.equal(ret.maxactive, 16);
  assert.equal(user.location.type, 'usym');
});
