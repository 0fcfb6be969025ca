import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { declaredLength, discardBody, readBounded } from './bounded-body';
import { ScimAuthError, ScimConfigError, ScimError, ScimProtocolError, ScimResponseTooLargeError, redactScimError } from './errors';
import { errorFromNetwork, errorFromResponse } from './http-error-mapping';
import { redactUrl } from './redact-url';
import { requestSignal } from './request-signal';
import { SecretScrubber } from './secret-scrubber';
import { describeBody, errorAnswerFacts } from './untrusted-answer';

/** Tokens without `expires_in` are kept this long; a 401 refreshes them earlier anyway. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
/** Refresh before expiry so a token never expires between being read and being used. */
const MAX_EXPIRY_MARGIN_MS = 60_000;
/** A token answer is a few KiB; anything far larger is not one. */
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;
/** Keys of a token answer (RFC 6749 5.1) that a message may name; other keys are the server's text. */
const TOKEN_ANSWER_KEYS = new Set(['token_type', 'expires_in', 'scope', 'refresh_token', 'id_token', 'issued_token_type', 'error']);
/** Token types a message may name (RFC 6750, RFC 9449 and drafts); any other is the server's text. */
const KNOWN_TOKEN_TYPES = new Set(['bearer', 'mac', 'dpop', 'pop', 'n_a']);

/** What the token source shares with the transport of its connector. */
export interface OAuth2TokenSourceOptions {
  /** Learns every access token issued, so an echo of it is scrubbed too. */
  scrubber?: SecretScrubber;
  /** Cancels a token request in flight. */
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

export interface OAuth2ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

function formEncode(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/**
 * OAuth2 client-credentials tokens for one connector: cached until shortly before expiry,
 * fetched once for concurrent callers, and refreshable on demand after a 401.
 */
export class OAuth2TokenSource {
  private cached?: CachedToken;
  private inflight?: Promise<CachedToken>;
  // Some providers accept only client_secret_post; learn that once instead of failing every run.
  private usePostCredentials = false;

  constructor(
    private readonly credentials: OAuth2ClientCredentials,
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
    private readonly options: OAuth2TokenSourceOptions = {},
  ) {
    this.scrubber = options.scrubber ?? SecretScrubber.forAuth({ type: 'oauth2', ...credentials });
  }

  private readonly scrubber: SecretScrubber;

  /** Returns a valid access token, fetching one when none is cached or it is about to expire. */
  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt > this.now()) return this.cached.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Forgets the cached token (after the resource server rejected it). */
  invalidate(): void {
    this.cached = undefined;
  }

  private refresh(): Promise<CachedToken> {
    if (!this.inflight) {
      this.inflight = this.fetchToken()
        .then((token) => {
          this.cached = token;
          return token;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async fetchToken(): Promise<CachedToken> {
    try {
      return await this.fetchTokenOnce();
    } catch (err) {
      if (this.options.signal?.aborted) throw this.options.signal.reason;
      throw err instanceof ScimError ? redactScimError(err, (t) => this.scrubber.scrub(t)) : err;
    }
  }

  private async fetchTokenOnce(): Promise<CachedToken> {
    try {
      return await this.requestToken(this.usePostCredentials);
    } catch (err) {
      if (!this.usePostCredentials && err instanceof ScimAuthError && err.status !== undefined) {
        const token = await this.requestToken(true);
        this.usePostCredentials = true;
        return token;
      }
      throw err;
    }
  }

  private async requestToken(postCredentials: boolean): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scope } = this.credentials;
    let url: URL;
    try {
      url = new URL(tokenUrl);
    } catch {
      throw new ScimConfigError(`OAuth2 token URL is not a valid URL: ${JSON.stringify(redactUrl(tokenUrl))}`);
    }
    const where = { method: 'POST', url: redactUrl(url) };
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const fields: Record<string, string | undefined> = { grant_type: 'client_credentials', scope };
    if (postCredentials) {
      fields.client_id = clientId;
      fields.client_secret = clientSecret;
    } else {
      // RFC 6749 2.3.1: form-encode each part before base64, so ':' in an id survives.
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
    let status: number;
    let text: string;
    let responseHeaders: Record<string, string | string[] | undefined>;
    const { signal, dispose } = requestSignal(this.timeoutMs, this.options.signal);
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body: formEncode(fields),
        dispatcher: this.dispatcher,
        signal,
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      const limit = Math.min(TOKEN_RESPONSE_LIMIT, this.options.maxResponseBytes ?? TOKEN_RESPONSE_LIMIT);
      const declared = declaredLength(res.headers['content-length']);
      if (declared !== undefined && declared > limit) {
        discardBody(res.body);
        throw new ScimResponseTooLargeError(`the OAuth2 token endpoint answered ${declared} bytes, more than a token answer can be`, { ...where, status });
      }
      const body = await readBounded(res.body, limit);
      if (body.overLimit && status >= 200 && status < 300) {
        throw new ScimResponseTooLargeError(`the OAuth2 token endpoint answered more than ${limit} bytes, more than a token answer can be`, { ...where, status });
      }
      // an error answer may echo the client secret or the request body: nothing of it is repeated
      text = body.text;
    } catch (err) {
      if (err instanceof ScimError) throw err;
      throw errorFromNetwork(where, err, this.timeoutMs);
    } finally {
      dispose();
    }
    // a token endpoint's error answer is never repeated: it is where the client secret comes back
    if (status === 400 || status === 401 || status === 403) {
      const { oauthError } = errorAnswerFacts(status, text, 'tokenEndpoint');
      throw new ScimAuthError(`the OAuth2 token endpoint rejected the client credentials or scope${oauthError ? `: ${oauthError}` : ''}`, {
        ...where,
        status,
      });
    }
    if (status < 200 || status >= 300) {
      const mapped = errorFromResponse(where, status, responseHeaders, text, Date.now(), { source: 'tokenEndpoint' });
      throw mapped instanceof ScimError ? mapped : new ScimProtocolError('unexpected token endpoint answer', where);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ScimProtocolError('the OAuth2 token endpoint did not answer with JSON', {
        ...where,
        status,
        body: describeBody(text),
      });
    }
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const accessToken = record.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      // The body may hold other secrets, and its keys are the server's text: name only the standard ones.
      const keys = Object.keys(record);
      const named = keys.filter((k) => TOKEN_ANSWER_KEYS.has(k));
      const others = keys.length - named.length;
      const listed = [...named, ...(others > 0 ? [`${others} other key${others === 1 ? '' : 's'}`] : [])].join(', ') || 'none';
      throw new ScimProtocolError(`the OAuth2 token response has no access_token (keys: ${listed})`, {
        ...where,
        status,
      });
    }
    this.scrubber.add(accessToken);
    const tokenType = record.token_type;
    if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
      const named = KNOWN_TOKEN_TYPES.has(tokenType.toLowerCase()) ? tokenType : 'non-standard';
      throw new ScimConfigError(`the OAuth2 token endpoint issued a ${named} token; only Bearer tokens are supported`, {
        ...where,
        status,
      });
    }
    const expiresIn = Number(record.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS;
    const margin = Math.min(MAX_EXPIRY_MARGIN_MS, lifetimeMs / 10);
    return { accessToken, expiresAt: this.now() + lifetimeMs - margin };
  }
}
