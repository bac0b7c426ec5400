/** The errors of shipping events through NATS JetStream. */
import { PerfBridgeError } from '../errors.js';

/** Why shipping failed. */
export type ShipErrorCode =
  /** `nats` or `apache-arrow` is not installed (optional peer dependencies). */
  | 'SHIP_MODULE_MISSING'
  /** No NATS server answered at the URLs given. */
  | 'NATS_UNREACHABLE'
  /** The server answered but has no JetStream, or refused the stream or consumer. */
  | 'JETSTREAM_FAILED'
  /** The publisher's worker failed (its message says why). */
  | 'WORKER_FAILED';

/** A shipping failure: what went wrong, and in `hint` what to do. */
export class ShipError extends PerfBridgeError {
  constructor(
    readonly code: ShipErrorCode,
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super(message, { hint, cause });
  }
}
