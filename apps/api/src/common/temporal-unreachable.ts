import { isGrpcServiceError } from '@temporalio/client';

/** gRPC DEADLINE_EXCEEDED (4) and UNAVAILABLE (14): "Temporal is not answering", not "Temporal refused this request". */
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([4, 14]);

/**
 * True when an error (or one of its causes: the client wraps gRPC errors in ServiceError) says the
 * Temporal frontend could not be reached, e.g. while Temporal restarts.
 */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && UNREACHABLE_CODES.has(e.code)) return true;
  }
  return false;
}
