/** How perf-bridge spells addresses and file offsets. */

/** `0x` and lower-case hex digits, as the kernel, readelf and perf print addresses and file offsets. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
