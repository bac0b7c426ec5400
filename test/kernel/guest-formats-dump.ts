/**
 * Guest-side half of collectGuestFormats (formats.ts): run by node inside a
 * kernel VM, it writes every tracefs `events/<system>/<event>/format` file
 * into one JSON object (relative path -> contents) in `$PERF_BRIDGE_VM_OUT`.
 *
 * One node process instead of a shell loop: under the emulated CPU, a fork
 * and exec per file costs ~20 s for the ~1500 files, this about 3 s.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TRACEFS_EVENTS = '/sys/kernel/tracing/events';

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

const out = process.env.PERF_BRIDGE_VM_OUT;
if (!out) throw new Error('PERF_BRIDGE_VM_OUT is not set; this script runs inside a kernel VM');

const formats: Record<string, string> = {};
for (const system of subdirs(TRACEFS_EVENTS)) {
  for (const event of subdirs(join(TRACEFS_EVENTS, system))) {
    try {
      // tracefs reports size 0; readFileSync then reads up to EOF.
      formats[`events/${system}/${event}/format`] = readFileSync(
        join(TRACEFS_EVENTS, system, event, 'format'),
        'latin1',
      );
    } catch (err) {
      // A few event directories have no format file; nothing to collect there.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
writeFileSync(join(out, 'formats.json'), JSON.stringify(formats));
console.log(`collected ${Object.keys(formats).length} format files`);
