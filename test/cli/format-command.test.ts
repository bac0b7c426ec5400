/**
 * `format`: the JavaScript type it prints for each field is the type the decoders really produce —
 * checked on real events of a command, and on every tracepoint of this kernel through its compiled
 * decoder — and `--ts` prints a TypeScript type that parses and names every field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ts from 'typescript';

import { javaScriptType } from '../../src/cli/format-command.js';
import { compileDecoder } from '../../src/decode/compile.js';
import { type EventFormat, parseFormat } from '../../src/decode/format.js';
import { openSession } from '../../src/session/session.js';
import { listEvents, parseEventName, readEventFormat } from '../../src/tracefs/events.js';
import { runCli } from './cli-process.js';

/** The type name of a decoded value: typeof for primitives, the class for objects. */
function typeName(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return value.constructor.name;
}

function formatOf(event: string): EventFormat {
  return parseFormat(readEventFormat(parseEventName(event)));
}

/** The JS TYPE column of `format EVENT`, by field. */
async function printedTypes(event: string): Promise<Map<string, string>> {
  const { code, stdout, stderr } = await runCli(['format', event]);
  assert.equal(code, 0, stderr);
  const [header, ...rows] = stdout.trimEnd().split('\n');
  assert.match(header!, /^FIELD +JS TYPE +C TYPE +OFFSET +SIZE$/);
  return new Map(rows.map((row) => row.split(/ {2,}/) as [string, string]));
}

test('format prints the type each field of a real event has, with its C type, offset and size', async () => {
  const events = ['sched:sched_process_exec', 'raw_syscalls:sys_enter', 'sched:sched_switch'];
  const session = openSession({ events, command: ['/bin/sh', '-c', 'sleep 0.05; /bin/true'] });
  const seen = new Map<string, Record<string, unknown>>();
  session.onBatch((batch) => {
    for (const event of batch) if (!seen.has(event.event)) seen.set(event.event, event.fields);
  });
  session.start();
  await session.command!.exited;
  session.close();
  for (const event of events) {
    const fields = seen.get(event);
    assert.ok(fields, `an event of ${event}`);
    const printed = await printedTypes(event);
    const format = formatOf(event);
    assert.deepEqual([...printed.keys()], Object.keys(fields), `the fields of ${event}, in order`);
    for (const field of format.fields) {
      assert.equal(printed.get(field.name), typeName(fields[field.name]), `${event} ${field.name}`);
    }
  }
  const { stdout } = await runCli(['format', 'raw_syscalls:sys_enter']);
  assert.match(stdout, /^args +BigUint64Array +unsigned long\[6\] +16 +48$/m);
  assert.match(stdout, /^id +bigint +long +8 +8$/m);
});

test("on every tracepoint of this kernel, each field's type is what its compiled decoder makes", () => {
  const kinds = new Set<string>();
  let fields = 0;
  for (const event of listEvents()) {
    let format: EventFormat;
    try {
      format = formatOf(event);
    } catch {
      continue; // an event removed since the listing
    }
    // An all-zero record: every __data_loc is empty, every value the type's zero.
    const size = format.fields.reduce((end, field) => Math.max(end, field.offset + field.size), 0);
    const bytes = Buffer.alloc(size);
    const decoded = compileDecoder(format)(bytes, new DataView(bytes.buffer), 0, size, { count: 0 });
    for (const field of format.fields) {
      kinds.add(field.decoding.kind);
      fields++;
      assert.equal(javaScriptType(field.decoding), typeName(decoded[field.name]), `${event} ${field.name}`);
    }
  }
  assert.ok(fields > 1000, `${fields} fields checked`);
  for (const kind of ['int', 'chars', 'array', 'dynamic']) assert.ok(kinds.has(kind), `a field decoded as ${kind}`);
});

test('--ts prints a TypeScript field map that parses and has every field with its type', async () => {
  const event = 'sched:sched_switch';
  const { code, stdout, stderr } = await runCli(['format', '--ts', event]);
  assert.equal(code, 0, stderr);
  const source = `type Fields = ${stdout};\n`;
  const output = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { strict: true } });
  assert.deepEqual(
    output.diagnostics?.map((d) => d.messageText),
    [],
    'it parses',
  );
  assert.match(stdout, /^\{\n {2}'sched:sched_switch': \{\n/);
  for (const field of formatOf(event).fields) {
    assert.match(stdout, new RegExp(`^ {4}${field.name}: ${javaScriptType(field.decoding)};$`, 'm'));
  }
});

test('format of an event that does not exist names it', async () => {
  const result = await runCli(['format', '--ts', 'nosuch:event']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no trace event nosuch:event/);
  assert.equal(result.stdout, '');
});
