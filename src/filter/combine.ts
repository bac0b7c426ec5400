/**
 * Several filters on one event as one: the kernel takes a single filter per perf event (a second
 * PERF_EVENT_IOC_SET_FILTER fails with EEXIST), so the user's filter and perf-bridge's own are joined.
 */

/**
 * `filters` joined with `&&`, each in parentheses, for one event: the user's filter and
 * perf-bridge's own (`common_pid != 123 && common_pid != 456`). A single filter comes back as it is,
 * none (or only blank ones) as undefined. The filters must be canonical texts from
 * `compileFilter`; the result can exceed the length limit, so check it again with
 * `compileFilter(result, …)` (src/filter/compile.ts) before setting it.
 */
export function allOfFilters(filters: readonly string[]): string | undefined {
  const present = filters.filter((filter) => filter.trim() !== '');
  if (present.length <= 1) return present[0];
  return present.map((filter) => `(${filter})`).join(' && ');
}
