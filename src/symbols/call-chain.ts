/**
 * The call chain a sample carries when its event was opened with PERF_SAMPLE_CALLCHAIN. It sits
 * between the fixed sample fields and the raw data (see decode/records.ts):
 *
 *   40 nr (u64)   48 ips[nr] (u64 each)   48 + 8·nr raw size (u32)   52 + 8·nr raw data
 *
 * The ips are grouped by where they ran: each group opens with a context marker, a u64 in the
 * last 4095 values (PERF_CONTEXT_KERNEL = -128, PERF_CONTEXT_USER = -512, …), then its frames,
 * innermost first.
 */

/** Offset of the chain's length inside a sample record. */
export const CHAIN_LENGTH_OFFSET = 40;
/** Offset of the chain's first ip. */
export const CHAIN_IPS_OFFSET = 48;

/** The low word of PERF_CONTEXT_KERNEL (-128 as a u64; its high word is all ones). */
const CONTEXT_KERNEL = 0xffffff80;
/** The low word of PERF_CONTEXT_USER (-512). */
const CONTEXT_USER = 0xfffffe00;
/** The low word of PERF_CONTEXT_MAX (-4095): every marker is at or above it. */
const CONTEXT_MAX = 0xfffff001;

/** Where a frame ran, from the context marker before it. */
export type FrameSpace = 'kernel' | 'user' | 'other';

/**
 * The offset of the raw size of the sample at `pos` (`size` bytes long) that carries a call chain,
 * or -1 when the chain does not fit in the record.
 */
export function rawSizeOffset(view: DataView, pos: number, size: number): number {
  if (CHAIN_IPS_OFFSET + 4 > size) return -1;
  const high = view.getUint32(pos + CHAIN_LENGTH_OFFSET + 4, true);
  const length = view.getUint32(pos + CHAIN_LENGTH_OFFSET, true);
  // A chain is at most a few hundred frames (kernel.perf_event_max_stack ≤ 65535 and record sizes are u16).
  if (high !== 0 || CHAIN_IPS_OFFSET + 8 * length + 4 > size) return -1;
  return pos + CHAIN_IPS_OFFSET + 8 * length;
}

/** Whether the u64 whose words are `low`, `high` is a context marker rather than an ip. */
export function isContextMarker(low: number, high: number): boolean {
  return high === 0xffffffff && low >= CONTEXT_MAX;
}

/** The space a context marker opens (the hypervisor and guest ones are 'other'). */
export function markerSpace(low: number): FrameSpace {
  if (low === CONTEXT_KERNEL) return 'kernel';
  if (low === CONTEXT_USER) return 'user';
  return 'other';
}
