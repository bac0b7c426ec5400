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

/**
 * Reduces a thrown value to an {@link OwnerError}. Fields the error lacks are left out rather than
 * set to undefined, which JSON would drop: an error compares the same before and after the pipe.
 */
export function describeError(error: unknown): OwnerError {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error), conflict: false };
  const fields = error as Error & { code?: unknown; probe?: unknown; ownerPid?: unknown; hint?: unknown };
  const described: OwnerError = {
    name: error.constructor.name,
    message: error.message,
    conflict: error instanceof ProbeConflictError,
  };
  if (typeof fields.code === 'string') described.code = fields.code;
  if (typeof fields.probe === 'string') described.probe = fields.probe;
  if (typeof fields.ownerPid === 'number') described.ownerPid = fields.ownerPid;
  if (typeof fields.hint === 'string') described.hint = fields.hint;
  return described;
}
