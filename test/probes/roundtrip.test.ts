// Property tests over many generated definitions: for every valid model m,
// parse(print(m)) deep-equals m and print() is a fixed point; and mangled
// text is either refused with a ProbeDefinitionError or parses to something
// that prints back consistently (never any other exception).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  ArgType,
  BasicTypeName,
  FetchNode,
  ProbeArg,
  ProbeDefinition,
  ProbeKind,
  ProbeLocation,
} from '../../src/probes/definition.js';
import { NUMERIC_TYPES, STRING_TYPES } from '../../src/probes/definition.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';
import { parse } from '../../src/probes/parse.js';
import { print } from '../../src/probes/print.js';
import { X86_64_REGISTERS } from '../../src/probes/registers.js';
import { validate } from '../../src/probes/validate.js';
import { validateArg } from '../../src/probes/validate-arg.js';
import { seededRandom } from '../helpers/random.js';

const rng = seededRandom;

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;
const ident = (r: Rand, prefix: string): string => `${prefix}${int(r, 0, 999)}${pick(r, ['', '_x', 'Y', '_'])}`;

function location(r: Rand, kind: ProbeKind, isReturn: boolean): ProbeLocation {
  const module = chance(r, 0.2) ? { module: pick(r, ['ext4', 'nf_conntrack', 'xfs']) } : {};
  switch (kind) {
    case 'kprobe':
      if (chance(r, 0.15)) return { type: 'kaddr', address: 0xffffffff81000000n + BigInt(int(r, 0, 0xffffff)) };
      return {
        type: 'ksym',
        ...module,
        symbol: pick(r, ['vfs_read', 'do_sys_openat2', 'tcp_sendmsg', 'foo.isra.0', '_raw_spin_lock']),
        offset: isReturn || chance(r, 0.6) ? 0 : int(r, 1, 4096),
      };
    case 'uprobe': {
      const ref = chance(r, 0.2) ? { refCtrOffset: int(r, 1, 0xfffff) } : {};
      return {
        type: 'uoffset',
        path: pick(r, ['/bin/bash', '/usr/lib/x86_64-linux-gnu/libc.so.6', './a.out', '/opt/app:v2/bin/app']),
        offset: int(r, 0, 0xffffff),
        ...ref,
      };
    }
    case 'fprobe':
      return { type: 'function', ...module, symbol: pick(r, ['vfs_read', 'vfs_write', 'ksys_read']) };
    case 'tprobe':
      return { type: 'tracepoint', name: pick(r, ['sched_switch', 'sys_enter', '9p_client_req']) };
  }
}

function leaf(r: Rand): FetchNode {
  switch (int(r, 0, 10)) {
    case 0:
      return { op: 'reg', name: pick(r, X86_64_REGISTERS) };
    case 1:
      return { op: 'stack' };
    case 2:
      return { op: 'stackN', index: int(r, 0, 64) };
    case 3:
      return { op: 'retval' };
    case 4:
      return { op: 'comm' };
    case 5:
      return { op: 'arg', index: int(r, 1, 8) };
    case 6:
      return { op: 'memAddr', address: BigInt(int(r, 0, 2 ** 40)) };
    case 7:
      return { op: 'memSymbol', symbol: pick(r, ['jiffies', 'init_task', 'nr_cpu_ids']), offset: int(r, -64, 64) };
    case 8:
      return { op: 'fileOffset', offset: int(r, 0, 0xfffff) };
    case 9:
      return { op: 'imm', value: BigInt(int(r, -1000, 1000)) * (chance(r, 0.2) ? 1_000_000_000_000n : 1n) };
    default:
      return { op: 'immString', value: pick(r, ['', 'x', '(optimized)', 'a=b', 'hello_world']) };
  }
}

function fetch(r: Rand): FetchNode {
  let node = leaf(r);
  for (let depth = int(r, 0, 3); depth > 0; depth--) {
    const offset = chance(r, 0.3) ? 0 : int(r, -256, 256);
    node = { op: 'deref', offset, user: chance(r, 0.15), target: node };
  }
  return node;
}

function type(r: Rand): ArgType | undefined {
  const array = chance(r, 0.15) ? { arrayLength: int(r, 1, 64) } : {};
  switch (int(r, 0, 4)) {
    case 0:
      return undefined;
    case 1: {
      const container = pick(r, [8, 16, 32, 64] as const);
      const width = int(r, 1, container);
      return { kind: 'bitfield', width, offset: int(r, 0, container - width), container, ...array };
    }
    case 2:
      return { kind: 'basic', name: pick<BasicTypeName>(r, STRING_TYPES), ...array };
    default:
      return { kind: 'basic', name: pick<BasicTypeName>(r, NUMERIC_TYPES), ...array };
  }
}

function definition(r: Rand): ProbeDefinition {
  const kind = pick(r, ['kprobe', 'kprobe', 'uprobe', 'uprobe', 'fprobe', 'tprobe'] as const);
  const isReturn = kind !== 'tprobe' && chance(r, 0.4);
  const loc = location(r, kind, isReturn);
  const returnSyntax = !isReturn
    ? undefined
    : kind === 'fprobe'
      ? 'suffix'
      : loc.type === 'kaddr'
        ? 'prefix'
        : pick(r, ['prefix', 'suffix'] as const);
  const maxactive =
    isReturn && (kind === 'kprobe' || kind === 'fprobe') && chance(r, 0.3) ? int(r, 1, 4096) : undefined;
  const names = int(r, 0, 3);
  const base = {
    kind,
    isReturn,
    ...(returnSyntax !== undefined && { returnSyntax }),
    ...(maxactive !== undefined && { maxactive }),
    ...(names >= 2 && { groupName: ident(r, 'grp') }),
    ...((names === 1 || names === 2) && { eventName: ident(r, 'ev') }),
    location: loc,
  };
  const args: ProbeArg[] = [];
  const names_ = new Set<string>();
  for (let tries = int(r, 0, 12); tries > 0; tries--) {
    const t = type(r);
    const candidate: ProbeArg = {
      name: chance(r, 0.3) ? `arg${args.length + 1}` : ident(r, 'a'),
      fetch: fetch(r),
      ...(t !== undefined && { type: t }),
    };
    try {
      validateArg(candidate, base, args.length, names_);
      args.push(candidate);
      names_.add(candidate.name);
    } catch (error) {
      if (!(error instanceof ProbeDefinitionError)) throw error;
    }
  }
  return { ...base, args };
}

test('parse(print(m)) deep-equals m for 600 generated definitions', () => {
  const r = rng(0x5eed);
  let argCount = 0;
  for (let i = 0; i < 600; i++) {
    const m = definition(r);
    try {
      validate(m);
    } catch (error) {
      // e.g. the event grew past MAX_PROBE_EVENT_SIZE; rare, and not what this test is about.
      if (error instanceof ProbeDefinitionError && error.code === 'EVENT_TOO_BIG') continue;
      throw error;
    }
    const text = print(m);
    assert.deepEqual(parse(text), m, text);
    assert.equal(print(parse(text)), text);
    argCount += m.args.length;
  }
  assert.ok(argCount > 1000, `the generator produced ${argCount} arguments`);
});

test('mangled definitions are refused cleanly or stay consistent', () => {
  const r = rng(42);
  const alphabet = [
    ' ',
    ':',
    '/',
    '%',
    '$',
    '@',
    '+',
    '-',
    '(',
    ')',
    '[',
    ']',
    '=',
    '\\',
    '"',
    '#',
    '.',
    '0',
    'x',
    'u',
    'r',
    'p',
    '\n',
    '\t',
    '*',
  ];
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const text = print(definition(r));
    const at = int(r, 0, text.length);
    const mangled = chance(r, 0.5)
      ? text.slice(0, at) + pick(r, alphabet) + text.slice(at)
      : text.slice(0, at) + text.slice(at + 1);
    try {
      const def = parse(mangled);
      // e.g. 'PATH:0x10' mangled into 'PATH:x10', a symbol: valid, but not printable until resolved.
      if (def.location.type === 'usym') continue;
      const again = print(def);
      assert.deepEqual(parse(again), def, mangled);
    } catch (error) {
      if (!(error instanceof ProbeDefinitionError))
        throw new Error(`unexpected ${String(error)} for ${JSON.stringify(mangled)}`, { cause: error });
      assert.equal(error.definition, mangled);
      refused++;
    }
  }
  assert.ok(refused > 500, `${refused} mangled texts were refused`);
});
