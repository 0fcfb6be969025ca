import {
  NON_RETRYABLE_SCIM_ERROR_TYPES,
  ScimAuthError,
  ScimConfigError,
  ScimCursorError,
  ScimError,
  ScimIncompleteReadError,
  ScimProtocolError,
  ScimResponseTooLargeError,
  ScimRetryableError,
  isRetryable,
  redactScimError,
} from './errors';
import { errorFromNetwork, errorFromResponse } from './http-error-mapping';

const req = { method: 'GET', url: 'https://scim.example.com/v2/Users?startIndex=1&count=200' };
const scimError = (status: number, scimType?: string, detail = 'nope') =>
  JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), scimType, detail });

describe('errorFromResponse', () => {
  it.each([
    [401, ScimAuthError, false],
    [403, ScimAuthError, false],
    [404, ScimConfigError, false],
    [400, ScimConfigError, false],
    [405, ScimConfigError, false],
    [501, ScimConfigError, false],
    [302, ScimConfigError, false],
    [429, ScimRetryableError, true],
    [503, ScimRetryableError, true],
    [500, ScimRetryableError, true],
    [502, ScimRetryableError, true],
    [504, ScimRetryableError, true],
    [408, ScimRetryableError, true],
  ])('HTTP %i -> %p', (status, type, retryable) => {
    const err = errorFromResponse(req, status, {}, scimError(status));
    expect(err).toBeInstanceOf(type);
    expect(err.retryable).toBe(retryable);
    expect(err.status).toBe(status);
    expect(err.message).toContain(`GET ${req.url} -> HTTP ${status}`);
  });

  it('keeps scimType and detail of a 400 invalidFilter', () => {
    const err = errorFromResponse(req, 400, {}, scimError(400, 'invalidFilter', 'bad attribute'));
    expect(err).toBeInstanceOf(ScimConfigError);
    expect(err.scimType).toBe('invalidFilter');
    expect(err.message).toMatch(/rejected the filter/);
    expect(err.message).toContain('bad attribute');
  });

  it.each(['invalidCursor', 'expiredCursor'])('maps 400 %s to ScimCursorError', (scimType) => {
    const err = errorFromResponse(req, 400, {}, scimError(400, scimType));
    expect(err).toBeInstanceOf(ScimCursorError);
    expect(err.scimType).toBe(scimType);
  });

  it('reads Retry-After in seconds and as an HTTP date', () => {
    const now = Date.parse('2025-05-01T12:00:00Z');
    const seconds = errorFromResponse(req, 429, { 'retry-after': '3' }, '', now) as ScimRetryableError;
    expect(seconds.retryAfterMs).toBe(3000);
    const date = errorFromResponse(req, 503, { 'retry-after': 'Thu, 01 May 2025 12:00:10 GMT' }, '', now) as ScimRetryableError;
    expect(date.retryAfterMs).toBe(10_000);
  });

  it('goes by the status when the body is plain text or HTML, and does not repeat it', () => {
    const err = errorFromResponse(req, 500, {}, '<html><body>Internal Server Error</body></html>');
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err.detail).toBeUndefined();
    expect(err.message).toBe(`GET ${req.url} -> HTTP 500: the server failed (5xx)`);
  });

  it.each([401, 403])('keeps only the status and a standard scimType of a %i, never its detail or headers', (status) => {
    const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status, scimType: 'invalidValue', detail: 'echo 50773a' });
    const err = errorFromResponse(req, status, { 'www-authenticate': 'Basic realm="echo 50773a"' }, body);
    expect(err).toBeInstanceOf(ScimAuthError);
    expect(err.detail).toBeUndefined();
    expect(err.scimType).toBe('invalidValue');
    expect(err.message).not.toContain('50773a');
    expect(err.message).toContain('[scimType=invalidValue]');
  });

  it('scrubs the detail it keeps before shortening it, so no part of a secret is left at the cut', () => {
    const detail = `${'d'.repeat(190)} SECRET-VALUE-123`;
    const err = errorFromResponse(req, 400, {}, scimError(400, undefined, detail), Date.now(), { scrub: (t) => t.split('SECRET-VALUE-123').join('***') });
    expect(err.detail).toBe(`${'d'.repeat(190)} ***`);
  });

  it('keeps nothing of a token endpoint error body', () => {
    const err = errorFromResponse(req, 500, {}, scimError(500, 'invalidValue', 'echo 50773a'), Date.now(), { source: 'tokenEndpoint' });
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err.detail).toBeUndefined();
    expect(err.message).not.toContain('50773a');
  });

  it('describes where a redirect goes instead of quoting its Location', () => {
    const other = errorFromResponse(req, 301, { location: 'https://new.example.com/scim' }, '');
    expect(other.message).toContain('the server redirects to another host (over https); set the base URL');
    expect(other.message).not.toContain('new.example.com');
    const path = errorFromResponse(req, 308, { location: '/v3/Users' }, '');
    expect(path.message).toContain('redirects to another path on the same host');
  });
});

describe('errorFromNetwork', () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EAI_AGAIN'])('%s is retryable', (code) => {
    const err = errorFromNetwork(req, withCode(code), 1000);
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err.message).toContain(code);
    expect(err.message).toContain(req.url);
  });

  it('finds the code in a cause chain', () => {
    const wrapped = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(errorFromNetwork(req, wrapped, 1000)).toBeInstanceOf(ScimRetryableError);
  });

  it('treats a timeout as retryable and says how long it waited', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const err = errorFromNetwork(req, timeout, 1234);
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err.message).toContain('1234 ms');
  });

  it.each(['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])(
    '%s is a configuration error that points at tls.caPem',
    (code) => {
      const err = errorFromNetwork(req, withCode(code, 'self-signed certificate'), 1000);
      expect(err).toBeInstanceOf(ScimConfigError);
      expect(err.message).toContain('tls.caPem');
    },
  );

  it('does not mistake a reset during the handshake for a TLS trust problem', () => {
    const err = errorFromNetwork(
      req,
      withCode('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'),
      1000,
    );
    expect(err).toBeInstanceOf(ScimRetryableError);
  });

  it('reports an unknown host as configuration', () => {
    expect(errorFromNetwork(req, withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), 1000)).toBeInstanceOf(ScimConfigError);
  });
});

describe('taxonomy', () => {
  it('sets every class name from a literal and lists the non-retryable ones', () => {
    const all: ScimError[] = [
      new ScimError('x'),
      new ScimAuthError('x'),
      new ScimConfigError('x'),
      new ScimRetryableError('x'),
      new ScimProtocolError('x'),
      new ScimIncompleteReadError('x'),
      new ScimCursorError('x'),
      new ScimResponseTooLargeError('x'),
    ];
    expect(all.map((e) => e.name)).toEqual([
      'ScimError',
      'ScimAuthError',
      'ScimConfigError',
      'ScimRetryableError',
      'ScimProtocolError',
      'ScimIncompleteReadError',
      'ScimCursorError',
      'ScimResponseTooLargeError',
    ]);
    for (const e of all) {
      expect(e).toBeInstanceOf(ScimError);
      expect(e).toBeInstanceOf(Error);
      expect(NON_RETRYABLE_SCIM_ERROR_TYPES.includes(e.name)).toBe(!e.retryable && e.name !== 'ScimError');
      expect(isRetryable(e)).toBe(e.retryable);
    }
    expect(NON_RETRYABLE_SCIM_ERROR_TYPES.sort()).toEqual(
      ['ScimAuthError', 'ScimConfigError', 'ScimIncompleteReadError', 'ScimProtocolError', 'ScimResponseTooLargeError'].sort(),
    );
  });

  it('redactScimError cleans message, detail, url and stack in place', () => {
    const err = new ScimProtocolError('bad', { method: 'GET', url: 'http://h/SECRET', detail: 'said SECRET' });
    const same = redactScimError(err, (t) => t.split('SECRET').join('***'));
    expect(same).toBe(err);
    expect(`${err.message} ${err.detail} ${err.url} ${err.stack}`).not.toContain('SECRET');
    expect(err.message).toContain('said ***');
  });

  it('treats unknown errors as retryable unless they say otherwise', () => {
    expect(isRetryable(new Error('boom'))).toBe(true);
    expect(isRetryable({ retryable: false })).toBe(false);
  });
});
