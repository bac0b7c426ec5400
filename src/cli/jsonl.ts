/** Serialising events as JSON lines, with 64-bit integers written as exact JSON numbers. */
import type { TraceEvent } from '../decode/records.js';

function value(v: unknown): string {
  switch (typeof v) {
    case 'bigint':
      return v.toString(); // digits, not a float: lossless for consumers that read big numbers
    case 'number':
    case 'boolean':
      return String(v);
    case 'string':
      return JSON.stringify(v);
    case 'undefined':
      return 'null';
    default:
      if (ArrayBuffer.isView(v)) {
        const items = Array.from(v as unknown as ArrayLike<number | bigint>, value);
        return `[${items.join(',')}]`;
      }
      if (Array.isArray(v)) return `[${v.map(value).join(',')}]`;
      if (v !== null && typeof v === 'object') return object(v as Record<string, unknown>);
      return 'null';
  }
}

function object(o: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of Object.keys(o)) parts.push(`${JSON.stringify(key)}:${value(o[key])}`);
  return `{${parts.join(',')}}`;
}

/** One JSON line (without the newline): keys event, cpu, pid, tid, comm, time, fields. */
export function eventToJsonLine(event: TraceEvent): string {
  const { cpu, pid, tid, time } = event;
  return (
    `{"event":${JSON.stringify(event.event)},"cpu":${cpu},"pid":${pid},"tid":${tid},` +
    `"comm":${JSON.stringify(event.comm)},"time":${time},"fields":${object(event.fields)}}`
  );
}
