import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { fixture } from '../helpers/fixtures.js';

// A hand-written format using every field form the decoder knows; offsets as a kernel would lay them out.
const EVERY_FORM = `name: every_form
ID: 9999
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:u8 u8v;	offset:8;	size:1;	signed:0;
	field:s8 s8v;	offset:9;	size:1;	signed:1;
	field:u16 u16v;	offset:10;	size:2;	signed:0;
	field:s16 s16v;	offset:12;	size:2;	signed:1;
	field:bool flag;	offset:14;	size:1;	signed:0;
	field:u32 u32v;	offset:16;	size:4;	signed:0;
	field:s32 s32v;	offset:20;	size:4;	signed:1;
	field:u64 u64v;	offset:24;	size:8;	signed:0;
	field:long s64v;	offset:32;	size:8;	signed:1;
	field:void * ptr;	offset:40;	size:8;	signed:0;
	field:char comm[16];	offset:48;	size:16;	signed:0;
	field:u16 shorts[3];	offset:64;	size:6;	signed:0;
	field:__data_loc char[] path;	offset:72;	size:4;	signed:0;
	field:__rel_loc char[] rel;	offset:76;	size:4;	signed:0;
	field:__data_loc u32[] words;	offset:80;	size:4;	signed:0;
	field:struct blob opaque;	offset:84;	size:12;	signed:0;

print fmt: "every form"
`;

/** Lays out one record of EVERY_FORM: fixed part, then dynamic data from offset 96. */
function everyFormRecord(): Buffer {
  const r = Buffer.alloc(96 + 32 + 8 + 8);
  r.writeUInt8(250, 8);
  r.writeInt8(-5, 9);
  r.writeUInt16LE(65000, 10);
  r.writeInt16LE(-300, 12);
  r.writeUInt8(1, 14);
  r.writeUInt32LE(4_000_000_000, 16);
  r.writeInt32LE(-2_000_000_000, 20);
  r.writeBigUInt64LE(18_000_000_000_000_000_000n, 24);
  r.writeBigInt64LE(-9_000_000_000_000_000_000n, 32);
  r.writeBigUInt64LE(0xffff_8880_1234_5678n, 40);
  r.write('bash\0garbage', 48, 'latin1');
  r.writeUInt16LE(1, 64);
  r.writeUInt16LE(2, 66);
  r.writeUInt16LE(65535, 68);
  const path = Buffer.from('/tmp/ünïcode path\0', 'utf8'); // 20 bytes with NUL
  path.copy(r, 96);
  r.writeUInt32LE((path.length << 16) | 96, 72);
  // __rel_loc: offset counts from the end of the field (76 + 4 = 80): 96 + 20 = 116 → 36.
  Buffer.from('rel\0').copy(r, 116);
  r.writeUInt32LE((4 << 16) | (116 - 80), 76);
  r.writeUInt32LE(7, 120);
  r.writeUInt32LE(0xdeadbeef, 124);
  r.writeUInt32LE((8 << 16) | 120, 80);
  r.fill(0xab, 84, 96);
  return r;
}

function decodeOne(format: string, record: Buffer, size = record.length) {
  const decode = compileDecoder(parseFormat(format));
  // Place the record at an odd offset of a bigger batch: the decoder must honour its start.
  const batch = Buffer.alloc(record.length + 13, 0xee);
  record.copy(batch, 5);
  const errors = { count: 0 };
  const fields = decode(batch, new DataView(batch.buffer, batch.byteOffset, batch.byteLength), 5, size, errors);
  return { fields, errors: errors.count };
}

test('every field form decodes to its JS type and value', () => {
  const { fields, errors } = decodeOne(EVERY_FORM, everyFormRecord());
  assert.equal(errors, 0);
  assert.equal(fields.u8v, 250);
  assert.equal(fields.s8v, -5);
  assert.equal(fields.u16v, 65000);
  assert.equal(fields.s16v, -300);
  assert.equal(fields.flag, true);
  assert.equal(fields.u32v, 4_000_000_000);
  assert.equal(fields.s32v, -2_000_000_000);
  assert.equal(fields.u64v, 18_000_000_000_000_000_000n);
  assert.equal(fields.s64v, -9_000_000_000_000_000_000n);
  assert.equal(fields.ptr, 0xffff_8880_1234_5678n);
  assert.equal(fields.comm, 'bash');
  assert.deepEqual(fields.shorts, new Uint16Array([1, 2, 65535]));
  assert.equal(fields.path, '/tmp/ünïcode path');
  assert.equal(fields.rel, 'rel');
  assert.deepEqual(fields.words, new Uint32Array([7, 0xdeadbeef]));
  assert.deepEqual(fields.opaque, new Uint8Array(12).fill(0xab));
  assert.equal(
    Object.keys(fields).some((k) => k.startsWith('common_')),
    false,
  );
});

test('decoded arrays are copies: reusing the batch buffer does not change them', () => {
  const decode = compileDecoder(parseFormat(EVERY_FORM));
  const record = everyFormRecord();
  const fields = decode(record, new DataView(record.buffer, record.byteOffset, record.byteLength), 0, record.length, {
    count: 0,
  });
  record.fill(0);
  assert.deepEqual(fields.shorts, new Uint16Array([1, 2, 65535]));
  assert.deepEqual(fields.words, new Uint32Array([7, 0xdeadbeef]));
});

test('a char array without NUL stops at the field end; a string never reads past the record', () => {
  const record = everyFormRecord();
  record.write('sixteen-chars-xx', 48, 'latin1');
  assert.equal(decodeOne(EVERY_FORM, record).fields.comm, 'sixteen-chars-xx');
  // __data_loc string whose bytes run to the record end without a NUL.
  const r2 = everyFormRecord();
  r2.write('ABCDEFGH', r2.length - 8, 'latin1');
  r2.writeUInt32LE((8 << 16) | (r2.length - 8), 72);
  assert.equal(decodeOne(EVERY_FORM, r2).fields.path, 'ABCDEFGH');
});

test('an out-of-bounds __data_loc gives an empty value; errors count records, not fields', () => {
  const record = everyFormRecord();
  record.writeUInt32LE((200 << 16) | 96, 72); // length runs past the record
  record.writeUInt32LE((4 << 16) | 0xfff0, 76); // offset far past the record
  record.writeUInt32LE((8 << 16) | 136, 80); // 136 + 8 = 144: ends exactly at the record end
  const { fields, errors } = decodeOne(EVERY_FORM, record);
  assert.equal(fields.path, '');
  assert.equal(fields.rel, '');
  assert.equal((fields.words as Uint32Array).length, 2);
  assert.equal(errors, 1, 'one record, two bad fields: one error');
  record.writeUInt32LE((12 << 16) | 136, 80); // one element too long
  const again = decodeOne(EVERY_FORM, record);
  assert.deepEqual(again.fields.words, new Uint32Array(0));
  assert.equal(again.errors, 1);
});

test('a truncated record decodes the fields that fit, empties the rest, and counts one error', () => {
  const record = everyFormRecord();
  const { fields, errors } = decodeOne(EVERY_FORM, record, 30);
  assert.equal(errors, 1);
  assert.equal(fields.u8v, 250);
  assert.equal(fields.s32v, -2_000_000_000);
  assert.equal(fields.u64v, 0n);
  assert.equal(fields.comm, '');
  assert.equal(fields.path, '');
  assert.deepEqual(fields.shorts, new Uint16Array(0));
  assert.deepEqual(fields.opaque, new Uint8Array(0));
  const empty = decodeOne(EVERY_FORM, record, 0);
  assert.equal(empty.errors, 1);
  assert.equal(empty.fields.u8v, 0);
});

test('a real format: sched_process_exec record as the kernel writes it', () => {
  const record = Buffer.alloc(40);
  record.writeUInt16LE(316, 0);
  record.writeInt32LE(4242, 4);
  record.writeUInt32LE((10 << 16) | 20, 8); // filename at 20, 10 bytes
  record.writeInt32LE(4242, 12);
  record.writeInt32LE(4241, 16);
  record.write('/bin/true\0', 20, 'latin1');
  const { fields, errors } = decodeOne(fixture('formats/linux-6.18', 'sched_sched_process_exec.format'), record);
  assert.equal(errors, 0);
  assert.deepEqual(fields, { filename: '/bin/true', pid: 4242, old_pid: 4241 });
});

test('flexible arrays take the rest of the record', () => {
  const format = fixture('formats/linux-6.18', 'ftrace_function.format');
  const record = Buffer.alloc(40);
  record.writeBigUInt64LE(1n, 24);
  record.writeBigUInt64LE(2n, 32);
  const { fields } = decodeOne(format, record);
  assert.deepEqual(fields.args, new BigUint64Array([1n, 2n]));
  const print = decodeOne(
    fixture('formats/linux-6.18', 'ftrace_print.format'),
    Buffer.concat([Buffer.alloc(16), Buffer.from('hello\n\0\0')]),
  );
  assert.equal(print.fields.buf, 'hello\n');
});

test('odd field names cannot inject code or touch the prototype', () => {
  const format = `name: odd
ID: 1
format:
	field:int __proto__;	offset:8;	size:4;	signed:1;
	field:int constructor;	offset:12;	size:4;	signed:1;
`;
  const record = Buffer.alloc(16);
  record.writeInt32LE(5, 8);
  record.writeInt32LE(6, 12);
  const { fields } = decodeOne(format, record);
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value, 5);
  assert.equal(fields.constructor, 6);
});
