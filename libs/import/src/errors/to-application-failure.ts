import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ScimError, ScimRetryableError } from '@app/scim';
import { NON_RETRYABLE_IMPORT_ERROR_TYPES } from './import-errors';

/**
 * The shortest wait a server's Retry-After can ask for between attempts: `Retry-After: 0` taken
 * literally spent all ten attempts of an activity in half a second.
 */
export const MIN_SERVER_RETRY_DELAY_MS = 1000;

/**
 * The one place where errors become Temporal failures. SCIM errors keep their taxonomy name as
 * the failure type (retry policies match on it) and their own retryability; Retry-After becomes
 * `nextRetryDelay`, at least MIN_SERVER_RETRY_DELAY_MS. Engine configuration errors never retry. Anything else (database hiccups,
 * sockets) is retryable. `redact` removes connector secrets from the message.
 */
export function toApplicationFailure(err: unknown, redact: (text: string) => string = (t) => t): Error {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (err instanceof ScimError) {
    return ApplicationFailure.create({
      type: err.name,
      message: redact(err.message),
      nonRetryable: !err.retryable,
      nextRetryDelay:
        err instanceof ScimRetryableError && err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, MIN_SERVER_RETRY_DELAY_MS) : undefined,
    });
  }
  if (err instanceof Error) {
    return ApplicationFailure.create({
      type: err.name,
      message: redact(err.message),
      nonRetryable: NON_RETRYABLE_IMPORT_ERROR_TYPES.includes(err.name),
    });
  }
  return ApplicationFailure.create({ type: 'Error', message: redact(String(err)), nonRetryable: false });
}
