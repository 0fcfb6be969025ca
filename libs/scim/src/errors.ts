/**
 * One error taxonomy for everything the SCIM client can fail with.
 *
 * Temporal turns a thrown class's `name` into the failure type that retry policies match on,
 * so every class sets `name` from a string literal: a minifier renaming classes must not
 * change what `nonRetryableErrorTypes` sees.
 */

/** Where a failing request went; never carries credentials (URLs are redacted before they get here). */
export interface ScimErrorContext {
  method?: string;
  url?: string;
  status?: number;
  /** A standard SCIM `scimType` from an error body, e.g. `invalidFilter`, `invalidCursor`. */
  scimType?: string;
  /** The shortened SCIM `detail`, only where the rule of ./untrusted-answer keeps it. */
  detail?: string;
  cause?: unknown;
}

/** Builds the message every error shares: what went wrong, then method, URL and HTTP status. */
function composeMessage(summary: string, ctx: ScimErrorContext): string {
  const where = [ctx.method, ctx.url].filter(Boolean).join(' ');
  const parts: string[] = [];
  if (where) parts.push(where);
  if (ctx.status !== undefined) parts.push(`HTTP ${ctx.status}`);
  let message = parts.length > 0 ? `${parts.join(' -> ')}: ${summary}` : summary;
  if (ctx.scimType) message += ` [scimType=${ctx.scimType}]`;
  if (ctx.detail) message += ` (server said: ${ctx.detail})`;
  return message;
}

/** Base class of every SCIM client error. */
export class ScimError extends Error {
  readonly retryable: boolean;
  readonly method?: string;
  readonly url?: string;
  readonly status?: number;
  readonly scimType?: string;
  readonly detail?: string;

  constructor(summary: string, ctx: ScimErrorContext = {}, retryable = false) {
    super(composeMessage(summary, ctx), ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = 'ScimError';
    this.retryable = retryable;
    this.method = ctx.method;
    this.url = ctx.url;
    this.status = ctx.status;
    this.scimType = ctx.scimType;
    this.detail = ctx.detail;
  }
}

/** 401/403 or a rejected OAuth2 client: retrying with the same credentials cannot help. */
export class ScimAuthError extends ScimError {
  constructor(summary: string, ctx: ScimErrorContext = {}) {
    super(summary, ctx, false);
    this.name = 'ScimAuthError';
  }
}

/** Something the operator must fix in the connector or task: URL, endpoint, filter, TLS trust, page size. */
export class ScimConfigError extends ScimError {
  constructor(summary: string, ctx: ScimErrorContext = {}) {
    super(summary, ctx, false);
    this.name = 'ScimConfigError';
  }
}

/** Transient: throttling, 5xx, connection resets, timeouts. `retryAfterMs` comes from `Retry-After`. */
export class ScimRetryableError extends ScimError {
  readonly retryAfterMs?: number;

  constructor(summary: string, ctx: ScimErrorContext & { retryAfterMs?: number } = {}) {
    super(summary, ctx, true);
    this.name = 'ScimRetryableError';
    this.retryAfterMs = ctx.retryAfterMs;
  }
}

/**
 * The server answered, but not with SCIM: HTML login pages, proxies, truncated JSON. The body is
 * described (kind and size, see `describeBody`), never quoted: it may echo the credentials.
 */
export class ScimProtocolError extends ScimError {
  /** What the body was, in our words (`an HTML page (1.2 KiB)`). */
  readonly body?: string;

  constructor(summary: string, ctx: ScimErrorContext & { body?: string } = {}) {
    super(ctx.body !== undefined ? `${summary}; the body is ${ctx.body}` : summary, ctx, false);
    this.name = 'ScimProtocolError';
    this.body = ctx.body;
  }
}

/** Paging could not be completed, so the listing must not be treated as the full set. */
export class ScimIncompleteReadError extends ScimError {
  constructor(summary: string, ctx: ScimErrorContext = {}) {
    super(summary, ctx, false);
    this.name = 'ScimIncompleteReadError';
  }
}

/**
 * The server rejected a cursor (`invalidCursor`/`expiredCursor`). Listings restart the pass
 * themselves; retrying is useful because a fresh pass gets a fresh cursor.
 */
export class ScimCursorError extends ScimError {
  constructor(summary: string, ctx: ScimErrorContext = {}) {
    super(summary, ctx, true);
    this.name = 'ScimCursorError';
  }
}

/**
 * A response was larger than the connector's `maxResponseBytes`: the same request would be just as
 * large next time, so only a smaller page (or a higher limit) helps.
 */
export class ScimResponseTooLargeError extends ScimError {
  constructor(summary: string, ctx: ScimErrorContext = {}) {
    super(summary, ctx, false);
    this.name = 'ScimResponseTooLargeError';
  }
}

/** Failure type names a Temporal retry policy should list in `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_SCIM_ERROR_TYPES: string[] = [
  'ScimAuthError',
  'ScimConfigError',
  'ScimProtocolError',
  'ScimIncompleteReadError',
  'ScimResponseTooLargeError',
];

/** True when retrying the same call later may succeed; unknown (non-SCIM) errors count as retryable. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ScimError) return err.retryable;
  if (err !== null && typeof err === 'object' && 'retryable' in err && typeof err.retryable === 'boolean') {
    return err.retryable;
  }
  return true;
}

/** Cuts source data (a rejected record) down to a short excerpt for a message or a log line. */
export function excerptOf(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Removes secrets from an error's texts in place (message, detail, url, stack) and returns it. */
export function redactScimError<E extends ScimError>(err: E, redact: (text: string) => string): E {
  const texts = err as unknown as Record<'message' | 'detail' | 'url' | 'stack', string | undefined>;
  for (const key of ['message', 'detail', 'url', 'stack'] as const) {
    const value = texts[key];
    if (typeof value === 'string') texts[key] = redact(value);
  }
  return err;
}
