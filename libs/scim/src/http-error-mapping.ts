import type { ScimErrorContext } from './errors';
import { ScimAuthError, ScimConfigError, ScimCursorError, ScimError, ScimProtocolError, ScimRetryableError } from './errors';
import { parseRetryAfter } from './retry-after';
import type { AnswerSource } from './untrusted-answer';
import { describeRedirect, errorAnswerFacts } from './untrusted-answer';

/** The request an error is about; `url` must already be redacted. */
export interface RequestDescription {
  method: string;
  url: string;
}

type HeaderValue = string | string[] | undefined;

const CURSOR_SCIM_TYPES = new Set(['invalidcursor', 'expiredcursor']);

/**
 * Maps a non-2xx HTTP answer to the error taxonomy, going by status first because error bodies are
 * unreliable. What of the body reaches the message follows `errorAnswerFacts` (nothing of a
 * 401/403 or a token endpoint's answer, at most a short SCIM `detail` otherwise); headers are
 * never quoted.
 */
export function errorFromResponse(
  req: RequestDescription,
  status: number,
  headers: Record<string, HeaderValue>,
  bodyText: string,
  now: number = Date.now(),
  options: { source?: AnswerSource; scrub?: (text: string) => string } = {},
): ScimError {
  const { scimType, detail } = errorAnswerFacts(status, bodyText, options.source, options.scrub);
  const ctx: ScimErrorContext = { method: req.method, url: req.url, status, scimType, detail };
  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);

  if (status === 401) {
    return new ScimAuthError('the server rejected the credentials (check username/password, token or OAuth2 client)', ctx);
  }
  if (status === 403) {
    return new ScimAuthError('the credentials are valid but lack permission to read this endpoint', ctx);
  }
  if (status === 429) {
    return new ScimRetryableError('the server is throttling requests (rate limited)', { ...ctx, retryAfterMs });
  }
  if (status === 408) {
    return new ScimRetryableError('the server timed out waiting for the request', { ...ctx, retryAfterMs });
  }
  if (status === 400 && scimType !== undefined && CURSOR_SCIM_TYPES.has(scimType.toLowerCase())) {
    return new ScimCursorError('the server no longer accepts this paging cursor', ctx);
  }
  if (status === 400) {
    const summary =
      scimType?.toLowerCase() === 'invalidfilter'
        ? 'the server rejected the filter (unsupported attribute or operator, or invalid syntax)'
        : scimType?.toLowerCase() === 'invalidcount'
          ? 'the server rejected the page size (lower the connector pageSize)'
          : 'the server rejected the request as invalid';
    return new ScimConfigError(summary, ctx);
  }
  if (status === 404) {
    return new ScimConfigError('endpoint or resource not found (check the base URL and resource path)', ctx);
  }
  if (status === 501) {
    return new ScimConfigError('the server does not implement this request (unsupported filter, paging or endpoint)', ctx);
  }
  if (status >= 300 && status < 400) {
    const location = headers['location'];
    const target = Array.isArray(location) ? location[0] : location;
    return new ScimConfigError(`the server redirects ${describeRedirect(req.url, target)}; set the base URL to the final address`, ctx);
  }
  if (status === 503 || status >= 500) {
    return new ScimRetryableError(status === 503 ? 'the server is temporarily unavailable' : 'the server failed (5xx)', {
      ...ctx,
      retryAfterMs,
    });
  }
  if (status >= 400) {
    return new ScimConfigError('the server refused the request', ctx);
  }
  return new ScimProtocolError(`unexpected HTTP status ${status}`, ctx);
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
]);

/** Walks `cause` chains because undici wraps socket errors (`fetch failed` → `ECONNREFUSED`). */
function errorChain(err: unknown): { code?: string; name?: string; message: string }[] {
  const out: { code?: string; name?: string; message: string }[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== 'object') {
      out.push({ message: String(current) });
      break;
    }
    const e = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    out.push({
      code: typeof e.code === 'string' ? e.code : undefined,
      name: typeof e.name === 'string' ? e.name : undefined,
      message: typeof e.message === 'string' ? e.message : '',
    });
    // AggregateError (happy-eyeballs connects) hides the real reason in `errors`.
    current = e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
  }
  return out;
}

/** Maps a transport failure (no HTTP answer) to the taxonomy: TLS trust and bad hosts are config, the rest retryable. */
export function errorFromNetwork(req: RequestDescription, err: unknown, timeoutMs: number): ScimError {
  if (err instanceof ScimError) return err;
  const chain = errorChain(err);
  const ctx: ScimErrorContext = { method: req.method, url: req.url, cause: err };
  const first = chain[0]?.message ?? String(err);

  const timeout = chain.find(
    (e) =>
      e.name === 'TimeoutError' ||
      e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT' ||
      e.code === 'UND_ERR_CONNECT_TIMEOUT',
  );
  if (timeout) return new ScimRetryableError(`no complete answer within ${timeoutMs} ms (timeout)`, ctx);

  // A reset during the handshake mentions TLS too, so go by code and only fall back to the message without one.
  const tls = chain.find(
    (e) =>
      (e.code !== undefined && (TLS_CODES.has(e.code) || /^ERR_(TLS|SSL)_/.test(e.code))) ||
      (e.code === undefined && /certificate/i.test(e.message)),
  );
  if (tls) {
    return new ScimConfigError(
      `TLS verification failed: ${tls.message || tls.code} (${tls.code ?? 'TLS'}); supply the server's CA as tls.caPem or fix the certificate/host name`,
      ctx,
    );
  }
  const notFound = chain.find((e) => e.code === 'ENOTFOUND');
  if (notFound) return new ScimConfigError(`host name does not resolve (ENOTFOUND); check the base URL`, ctx);

  const network = chain.find((e) => e.code !== undefined && RETRYABLE_NETWORK_CODES.has(e.code));
  if (network) return new ScimRetryableError(`network error ${network.code}: ${network.message}`, ctx);

  const aborted = chain.find((e) => e.name === 'AbortError');
  if (aborted) return new ScimRetryableError(`request aborted: ${aborted.message}`, ctx);

  return new ScimRetryableError(`request failed: ${first}`, ctx);
}
