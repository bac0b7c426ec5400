/**
 * What the running kernel's filter language has beyond the base every supported kernel shares.
 * From Linux 6.1 to 6.18 the syntax of `parse_pred` is the same except for `.function` (6.2) and
 * `CPUS{…}` with cpumask fields (6.6); the special fields (`trace_define_generic_fields`) differ
 * too. Nothing in tracefs describes these read-only, so {@link detectFilterGrammar} asks the kernel.
 */
import { readFileSync } from 'node:fs';

/** The special fields filters may name, and what each is. */
export const SPECIAL_FIELDS = {
  CPU: 'cpu',
  cpu: 'cpu',
  common_cpu: 'cpu',
  COMM: 'comm',
  comm: 'comm',
  common_comm: 'comm',
} as const satisfies Record<string, 'cpu' | 'comm'>;

/** A name of {@link SPECIAL_FIELDS}. */
export type SpecialFieldName = keyof typeof SPECIAL_FIELDS;

/** The parts of the filter language that vary between kernels. */
export interface FilterGrammar {
  /**
   * The special fields this kernel resolves after the event's own fields: of CPU, cpu, common_cpu
   * (the CPU the event fires on) and COMM, comm, common_comm (the current task's name).
   */
  readonly specialFields: ReadonlySet<string>;
  /** `field.ustring`: a `char *` field read as a user-space string (Linux 6.0+). */
  readonly userStrings: boolean;
  /** `field.function == name`: an address compared with a kernel function's range (Linux 6.2+). */
  readonly functionNames: boolean;
  /** `CPUS{list}` values and filtering on `__data_loc cpumask_t` fields (Linux 6.6+). */
  readonly cpuMasks: boolean;
  /** The kernel's CPU count (nr_cpu_ids): `CPUS{…}` may not name a CPU at or above it. Undefined: unknown. */
  readonly possibleCpus: number | undefined;
}

/**
 * What every kernel perf-bridge supports has (Linux 6.1): CPU, cpu, common_cpu, COMM, comm and
 * `.ustring`; no `.function`, no `CPUS{…}`. For tests, and for when the kernel cannot be asked.
 */
export const BASELINE_FILTER_GRAMMAR: FilterGrammar = Object.freeze({
  specialFields: new Set<string>(['CPU', 'cpu', 'common_cpu', 'COMM', 'comm']),
  userStrings: true,
  functionNames: false,
  cpuMasks: false,
  possibleCpus: undefined,
});

/** The probe of each special field: a comparison that is valid for its kind. */
function specialFieldProbe(name: SpecialFieldName): string {
  return SPECIAL_FIELDS[name] === 'cpu' ? `${name} == 0` : `${name} == "x"`;
}

/** Accepted by every kernel: if `tryFilter` refuses it, `tryFilter` does not work. */
const SANITY_PROBE = 'common_pid == 0';

/**
 * Asks the kernel which parts of the filter language it has, with one probe filter per part
 * (nine in all).
 *
 * Why probes: tracefs has no read-only description of the filter grammar, the kernel version says
 * nothing of backports, and a perf fd's `PERF_EVENT_IOC_SET_FILTER` answers only EINVAL with no
 * error_log — so each feature is tried on its own in the smallest filter that needs it. Writing
 * a tracefs `filter` file instead would change a global event for every other tracer.
 *
 * `tryFilter(expression)` must open a new perf fd on a tracepoint (each time: the kernel refuses
 * a second filter on the same perf event with EEXIST), set `expression` on it with
 * PERF_EVENT_IOC_SET_FILTER, close it, and return whether the kernel accepted it. The tracepoint
 * must have no field of its own named like a special field (CPU, cpu, common_cpu, COMM, comm,
 * common_comm), which would shadow it; sched:sched_switch or syscalls:sys_enter_getppid do.
 *
 * `.function` needs a field of 8 bytes, which no event is sure to have, so it is not probed: it is
 * taken to be there when `CPUS{…}` is (6.6 implies 6.2), and absent otherwise (on 6.2–6.5 that
 * refuses a filter the kernel would take, never the reverse).
 *
 * @param possibleCpus the kernel's CPU count; by default read from /sys/devices/system/cpu/possible.
 * @throws Error when `tryFilter` refuses `common_pid == 0`, which every kernel accepts.
 */
export function detectFilterGrammar(
  tryFilter: (expression: string) => boolean,
  possibleCpus: number | undefined = readPossibleCpus(),
): FilterGrammar {
  if (!tryFilter(SANITY_PROBE)) {
    throw new Error(`tryFilter refused '${SANITY_PROBE}', which every kernel accepts: it does not set filters`);
  }
  const names = Object.keys(SPECIAL_FIELDS) as SpecialFieldName[];
  const specialFields = new Set<string>(names.filter((name) => tryFilter(specialFieldProbe(name))));
  const cpuMasks = tryFilter('common_pid == CPUS{0}');
  return Object.freeze({
    specialFields,
    userStrings: tryFilter('common_pid.ustring == 0'),
    functionNames: cpuMasks,
    cpuMasks,
    possibleCpus,
  });
}

/** nr_cpu_ids: one more than the last CPU in /sys/devices/system/cpu/possible, or undefined. */
export function readPossibleCpus(path = '/sys/devices/system/cpu/possible'): number | undefined {
  try {
    const last = /(\d+)\s*$/.exec(readFileSync(path, 'utf8').trim())?.[1];
    return last === undefined ? undefined : Number(last) + 1;
  } catch {
    return undefined;
  }
}
