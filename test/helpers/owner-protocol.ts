/**
 * What a test and its owner processes (probe-owner-child.ts) share: the commands, the session
 * options, and perf-bridge's errors reduced to plain data, so a refusal compares the same whether
 * it happened in the test's process or in another.
 */
import { ProbeConflictError } from '../../src/index.js';

/** A command to an owner process, one JSON line each. */
export type OwnerCommand =
  { op: 'open'; probes: Record<string, string>; barrier?: string } | { op: 'start' | 'drain' | 'close' | 'park' };

/**
 * Ring pages per CPU for the sessions of the collision tests: they count a few hundred events, and
 * the default rings (32 MiB) take a second to set up under the kernel VMs' emulated CPU.
 */
export const RING_PAGES = 16;

/** An error as a test compares it (the same shape whether it was thrown here or in a child). */
export interface OwnerError {
  /** The class name, e.g. `ProbeConflictError`. */
  name: string;
  message: string;
  /** `instanceof ProbeConflictError`, checked where the error was thrown. */
  conflict: boolean;
  code?: string;
  probe?: string;
  ownerPid?: number;
  hint?: string;
}

/** Reduces a thrown value to an {@link OwnerError}. */
export function describeError(error: unknown): OwnerError {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error), conflict: false };
  const fields = error as Error & { code?: unknown; probe?: unknown; ownerPid?: unknown; hint?: unknown };
  return {
    name: error.constructor.name,
    message: error.message,
    conflict: error instanceof ProbeConflictError,
    code: typeof fields.code === 'string' ? fields.code : undefined,
    probe: typeof fields.probe === 'string' ? fields.probe : undefined,
    ownerPid: typeof fields.ownerPid === 'number' ? fields.ownerPid : undefined,
    hint: typeof fields.hint === 'string' ? fields.hint : undefined,
  };
}
