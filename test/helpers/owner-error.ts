/** Errors of perf-bridge calls, reduced to plain data so tests can compare them across processes. */
import { ProbeConflictError } from '../../src/index.js';

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
