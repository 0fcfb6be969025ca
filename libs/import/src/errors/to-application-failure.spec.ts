import { ApplicationFailure } from '@temporalio/common';
import { ScimAuthError, ScimRetryableError } from '@app/scim';
import { MIN_SERVER_RETRY_DELAY_MS, toApplicationFailure } from './to-application-failure';

const failure = (err: unknown) => toApplicationFailure(err) as ApplicationFailure;

describe('toApplicationFailure', () => {
  it("takes a server's Retry-After of a second or more as the next retry's delay", () => {
    const f = failure(new ScimRetryableError('rate limited', { retryAfterMs: 30_000 }));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type: 'ScimRetryableError', nonRetryable: false, nextRetryDelay: 30_000 });
  });

  it.each([0, 1, MIN_SERVER_RETRY_DELAY_MS - 1])('waits at least the minimum after a Retry-After of %i ms (no instant retries)', (ms) => {
    expect(failure(new ScimRetryableError('busy', { retryAfterMs: ms })).nextRetryDelay).toBe(MIN_SERVER_RETRY_DELAY_MS);
  });

  it('leaves the delay to the retry policy when the server names none', () => {
    expect(failure(new ScimRetryableError('busy')).nextRetryDelay).toBeUndefined();
  });

  it('keeps an authentication error non-retryable under its own type', () => {
    expect(failure(new ScimAuthError('rejected'))).toMatchObject({ type: 'ScimAuthError', nonRetryable: true });
  });
});
