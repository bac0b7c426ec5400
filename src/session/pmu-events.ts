/**
 * Kprobes through the perf_kprobe PMU (`/sys/bus/event_source/devices/kprobe`, Linux 4.17+):
 * perf_event_open creates the probe itself, nothing is written to tracefs, and the probe is gone
 * with the fd. Only probes without fetch arguments can go this way.
 */
import { readFileSync } from 'node:fs';

import { compileDecoder } from '../decode/compile.js';
import { parseFormat } from '../decode/format.js';
import { kernelErrorFrom } from '../errors.js';
import type { ResolvedEvent } from './resolved-event.js';
import type { AnyProbeDefinition } from '../probes/definition.js';
import { renderLocation } from '../probes/render.js';

const PMU_DIR = '/sys/bus/event_source/devices/kprobe';

/**
 * True when `def` can be opened through the PMU: a kprobe or kretprobe without fetch arguments
 * and without maxactive (the PMU has no way to pass it, and dropping it silently would lose events).
 */
export function fitsKprobePmu(def: AnyProbeDefinition): boolean {
  return (
    def.kind === 'kprobe' &&
    def.args.length === 0 &&
    def.maxactive === undefined &&
    (def.location.type === 'ksym' || def.location.type === 'kaddr')
  );
}

/** The default label of a PMU kprobe: `kprobe:SYM[+OFFS]`, `kretprobe:SYM`, or by address. */
export function pmuKprobeLabel(def: AnyProbeDefinition): string {
  const location = def.location;
  const place = location.type === 'ksym' || location.type === 'kaddr' ? renderLocation(location, false) : 'unknown';
  return `${def.isReturn ? 'kretprobe' : 'kprobe'}:${place}`;
}

const NO_PMU_HINT =
  'the kprobe PMU needs Linux 4.17+ with CONFIG_KPROBE_EVENTS; ' +
  'create the probe through kprobe_events instead (kprobePmu: false)';

function readPmuFile(file: string): string {
  const path = `${PMU_DIR}/${file}`;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw kernelErrorFrom(error, missing ? `kernel has no perf_kprobe PMU (${path} is missing)` : `reading ${path}`, {
      hint: missing ? NO_PMU_HINT : undefined,
    });
  }
}

/**
 * The record layout of a PMU kprobe matches a tracefs kprobe without arguments: the common fields,
 * then the probed address (kprobe) or the function and return addresses (kretprobe). This is the
 * `format` the kernel shows for such probes (checked against Linux 6.1 and 6.18 kprobe_events).
 */
function pmuFormat(isReturn: boolean): string {
  const common = [
    'field:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;',
    'field:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;',
    'field:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;',
    'field:int common_pid;\toffset:4;\tsize:4;\tsigned:1;',
  ];
  const own = isReturn
    ? [
        'field:unsigned long __probe_func;\toffset:8;\tsize:8;\tsigned:0;',
        'field:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;',
      ]
    : ['field:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;'];
  return `name: perf_kprobe\nID: 0\nformat:\n${[...common, '', ...own].map((l) => `\t${l}`).join('\n')}\n`;
}

/** The perf event that opens `def` through the kprobe PMU, reported under `label`. */
export function pmuKprobeEvent(def: AnyProbeDefinition, label: string): ResolvedEvent {
  const type = Number.parseInt(readPmuFile('type'), 10);
  // format/retprobe reads "config:<bit>": the bit of attr.config that asks for a return probe.
  const retprobeBit = BigInt(/config:(\d+)/.exec(readPmuFile('format/retprobe'))?.[1] ?? '0');
  const location = def.location;
  const format = parseFormat(pmuFormat(def.isReturn));
  const config = def.isReturn ? 1n << retprobeBit : 0n;
  const spec =
    location.type === 'ksym'
      ? {
          type,
          config,
          config1String: location.module ? `${location.module}:${location.symbol}` : location.symbol,
          config2: BigInt(location.offset),
        }
      : { type, config, config1: 0n, config2: location.type === 'kaddr' ? location.address : 0n };
  return { name: label, spec, format, decode: compileDecoder(format) };
}
