import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { ScimClientOptions, ScimConnectionConfig, ScimLogger, ScimMetrics } from './connection-config';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRY_WAIT_MS, DEFAULT_TIMEOUT_MS } from './connection-config';
import { declaredLength, discardBody, formatBytes, readBounded } from './bounded-body';
import { ScimAuthError, ScimConfigError, ScimError, ScimResponseTooLargeError, ScimRetryableError, redactScimError } from './errors';
import type { RequestDescription } from './http-error-mapping';
import { errorFromNetwork, errorFromResponse } from './http-error-mapping';
import { parseJsonBody } from './list-response';
import { OAuth2TokenSource } from './oauth2-token-source';
import { guardedConnect, outboundRefusalIn } from './outbound-address';
import { redactUrl } from './redact-url';
import { requestSignal } from './request-signal';
import { isSafeResourcePath } from './resource-path';
import { SecretScrubber } from './secret-scrubber';
import { TokenBucket } from './token-bucket';

const ACCEPT = 'application/scim+json, application/json';
const USER_AGENT = 'scim-import';
/** An error answer is only read for its message: more than this is never needed. */
const ERROR_BODY_LIMIT = 64 * 1024;
/** How often, at most, waits for the connector's own rate limit are logged (summed between lines). */
const RATE_LIMIT_WARN_EVERY_MS = 30_000;

const silentLogger: ScimLogger = { debug: () => undefined, warn: () => undefined };

/** One GET (or POST) against the SCIM base URL. */
export interface TransportRequest {
  method?: 'GET' | 'POST';
  /** Path below the base URL, e.g. `/Users` or `/Groups/abc`. */
  path: string;
  /** Kept in order so cursor requests repeat the other parameters exactly. */
  query?: [string, string][];
  /** Send credentials (default true). Connection tests go without. */
  authenticate?: boolean;
  /** Skip in-request retries (connection tests must answer quickly). */
  noRetry?: boolean;
}

/** A 2xx answer with its JSON body. */
export interface TransportResponse {
  status: number;
  body: unknown;
  /** The redacted URL, for messages. */
  url: string;
  /** Length of the body text (what its parse costs the heap scales with it). */
  bytes?: number;
}

/** A 2xx answer with its body as text, not yet parsed. */
export interface TextResponse {
  status: number;
  text: string;
  contentType?: string;
  /** The redacted URL, for messages. */
  url: string;
}

/** Any HTTP answer, used where every status counts (connection tests). */
export interface RawResponse {
  status: number;
  url: string;
}

/** Waits, but ends at once (rejecting with the signal's reason) when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * HTTP for one connector: its own undici Agent (custom CA, verification switch), whole-request
 * timeouts, a per-client rate limit, authentication, bounded retries that honour Retry-After,
 * and mapping of every failure onto the SCIM error taxonomy.
 */
export class ScimHttpTransport {
  private readonly agent: Agent;
  private readonly bucket?: TokenBucket;
  private readonly oauth?: OAuth2TokenSource;
  private readonly logger: ScimLogger;
  private readonly metrics?: ScimMetrics;
  readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryWaitMs: number;
  /** Largest body read per request, in bytes. */
  readonly maxResponseBytes: number;
  /** What a too-large answer was larger than (the connector's limit, or what this worker can hold). */
  private readonly limitText?: string;
  private readonly signal?: AbortSignal;
  private readonly scrubber: SecretScrubber;
  private base?: URL;
  /** waits for the connector's own rate limit since the last warning about them */
  private rateLimitWaits = { count: 0, ms: 0, warnedAt: 0 };

  constructor(
    private readonly config: ScimConnectionConfig,
    options: ScimClientOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics;
    this.timeoutMs = config.timeoutMs && config.timeoutMs > 0 ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttemptsPerRequest ?? DEFAULT_MAX_ATTEMPTS);
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    this.maxResponseBytes = config.maxResponseBytes && config.maxResponseBytes > 0 ? Math.floor(config.maxResponseBytes) : DEFAULT_MAX_RESPONSE_BYTES;
    if (options.processPageLimitBytes !== undefined && options.processPageLimitBytes < this.maxResponseBytes) {
      this.limitText =
        `larger than this worker can hold: its heap allows pages up to ${formatBytes(options.processPageLimitBytes)} ` +
        `(the connector's maxResponseBytes is ${formatBytes(this.maxResponseBytes)})`;
      this.maxResponseBytes = Math.floor(options.processPageLimitBytes);
    }
    this.signal = options.signal;
    this.scrubber = SecretScrubber.forAuth(config.auth);
    const tls = config.tls ?? {};
    if (tls.rejectUnauthorized === false) {
      this.logger.warn('SCIM TLS certificate verification is disabled for this connector', {
        baseUrl: redactUrl(config.baseUrl),
      });
    }
    this.agent = new Agent({
      // the address policy (if any) is applied to every socket this agent opens, token endpoint included
      connect: guardedConnect(options.addressPolicy, {
        // A custom CA replaces Node's trust store; keep the public roots so a token endpoint on
        // a public identity provider still verifies.
        ca: tls.caPem ? [...rootCertificates, tls.caPem] : undefined,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        timeout: this.timeoutMs,
      }),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    if (config.rateLimitPerSecond && config.rateLimitPerSecond > 0) {
      this.bucket = new TokenBucket(config.rateLimitPerSecond);
    }
    if (config.auth.type === 'oauth2') {
      this.oauth = new OAuth2TokenSource(config.auth, this.agent, this.timeoutMs, Date.now, {
        scrubber: this.scrubber,
        signal: this.signal,
        maxResponseBytes: this.maxResponseBytes,
      });
    }
  }

  /** The base URL without credentials, for messages. */
  get redactedBaseUrl(): string {
    return redactUrl(this.config.baseUrl);
  }

  /** The text with every form of this connector's secrets (and issued access tokens) replaced by `***`. */
  redact(text: string): string {
    return this.scrubber.scrub(text);
  }

  /** Releases pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Validates the base URL once; a bad one is a configuration error, not a network failure. */
  private baseUrl(): URL {
    if (this.base) return this.base;
    let url: URL;
    try {
      url = new URL(this.config.baseUrl);
    } catch {
      throw new ScimConfigError(`the base URL ${JSON.stringify(redactUrl(this.config.baseUrl))} is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ScimConfigError(`the base URL must start with http:// or https:// (got ${url.protocol})`);
    }
    if (url.username || url.password) {
      throw new ScimConfigError('the base URL must not contain credentials; configure them under auth');
    }
    const caPem = this.config.tls?.caPem;
    if (caPem) {
      // Node accepts a garbage CA silently and then fails every handshake with a vaguer message.
      try {
        new X509Certificate(caPem);
      } catch {
        throw new ScimConfigError('tls.caPem is not a PEM-encoded X.509 certificate (expected -----BEGIN CERTIFICATE-----)');
      }
    }
    url.hash = '';
    url.pathname = url.pathname.replace(/\/+$/, '');
    this.base = url;
    return url;
  }

  /** Builds the request URL; values are percent-encoded with %20 (not +), which every server decodes. */
  urlFor(path: string, query: [string, string][] = []): URL {
    const base = this.baseUrl();
    // credentials must never be sent outside the SCIM base path (`/../../admin/Users`)
    if (!isSafeResourcePath(path)) {
      throw new ScimConfigError(
        `the resource path ${JSON.stringify(this.redact(path).slice(0, 200))} is not allowed: paths are resolved under the base URL ` +
          `${redactUrl(base)} and may not contain "." or ".." segments (also percent-encoded), backslashes, a query or a fragment`,
      );
    }
    const url = new URL(base.toString());
    url.pathname = `${base.pathname}${path.startsWith('/') ? path : `/${path}`}`;
    if (url.pathname !== base.pathname && !url.pathname.startsWith(`${base.pathname}/`)) {
      throw new ScimConfigError(`the resource path ${JSON.stringify(path.slice(0, 200))} resolves outside the base URL ${redactUrl(base)}`);
    }
    const ours = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    const existing = base.search.replace(/^\?/, '');
    const search = [existing, ...ours].filter((s) => s !== '').join('&');
    url.search = search ? `?${search}` : '';
    return url;
  }

  private async authorization(): Promise<string> {
    const auth = this.config.auth;
    switch (auth.type) {
      case 'basic':
        return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      case 'bearer':
        return `Bearer ${auth.token}`;
      case 'oauth2':
        return `Bearer ${await (this.oauth as OAuth2TokenSource).token()}`;
    }
  }

  /**
   * One HTTP exchange. A 2xx body is read up to `maxResponseBytes` (Content-Length is checked
   * first, then bytes are counted as they stream in) and an oversized one throws
   * ScimResponseTooLargeError; an error body is read only as far as a message needs, and only
   * what errorFromResponse keeps of it (scrubbed there) is ever seen.
   */
  private async send(
    method: string,
    url: URL,
    authenticate: boolean,
    where: RequestDescription,
    readBody = true,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    try {
      return await this.sendChecked(method, url, authenticate, where, readBody);
    } catch (err) {
      // a refused address is configuration, not a network failure to retry
      const refused = outboundRefusalIn(err);
      if (refused) throw new ScimConfigError(`the address is refused: ${refused.message}`, { ...where, cause: refused });
      throw err;
    }
  }

  /**
   * A request waited for the connector's own rate limit: the first wait is a warning, later ones
   * are summed into one warning at most every RATE_LIMIT_WARN_EVERY_MS (a throttled read waits on
   * nearly every request; a line each would drown the log).
   */
  private noteRateLimitWait(ms: number): void {
    const w = this.rateLimitWaits;
    w.count++;
    w.ms += ms;
    const now = Date.now();
    if (w.warnedAt !== 0 && now - w.warnedAt < RATE_LIMIT_WARN_EVERY_MS) return;
    this.logger.warn(`SCIM requests waited for the connector's rate limit`, {
      rateLimitPerSecond: this.config.rateLimitPerSecond,
      waits: w.count,
      waitedMs: w.ms,
    });
    this.rateLimitWaits = { count: 0, ms: 0, warnedAt: now };
  }

  private async sendChecked(
    method: string,
    url: URL,
    authenticate: boolean,
    where: RequestDescription,
    readBody: boolean,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const headers: Record<string, string> = { accept: ACCEPT, 'user-agent': USER_AGENT };
    if (authenticate) headers.authorization = await this.authorization();
    if (this.bucket) {
      const queued = Date.now();
      await this.bucket.acquire();
      const waited = Date.now() - queued;
      if (waited > 0) {
        this.metrics?.rateLimitWait('client', waited);
        this.noteRateLimitWait(waited);
      }
    }
    // the whole-request timeout, joined with the caller's cancellation; it covers reading the body too
    const { signal, dispose } = requestSignal(this.timeoutMs, this.signal);
    try {
      return await this.exchange(method, url, headers, signal, where, readBody);
    } finally {
      dispose();
    }
  }

  private async exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
    where: RequestDescription,
    readBody: boolean,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const res = await request(url, { method: method as 'GET', headers, dispatcher: this.agent, signal });
    const status = res.statusCode;
    this.metrics?.response(status);
    const responseHeaders = this.scrubHeaders(res.headers);
    if (!readBody) {
      discardBody(res.body);
      return { status, headers: responseHeaders, text: '' };
    }
    const success = status >= 200 && status < 300;
    if (!success) {
      const body = await readBounded(res.body, ERROR_BODY_LIMIT);
      // unscrubbed: masking inside JSON text can break it; errorFromResponse scrubs what it keeps
      return { status, headers: responseHeaders, text: body.text };
    }
    const tooLarge = (detail: string) =>
      new ScimResponseTooLargeError(
        this.limitText
          ? `the answer is ${this.limitText}: ${detail}. Lower the connector's pageSize so that one page stays below ` +
              `${formatBytes(this.maxResponseBytes)} (or give the worker a larger heap: docs/operations.md, worker sizing)`
          : `the answer is larger than the connector's maxResponseBytes (${formatBytes(this.maxResponseBytes)}): ${detail}. ` +
              `Lower the connector's pageSize so that one page stays below the limit (or raise maxResponseBytes, ` +
              `keeping it well below the worker's heap)`,
        { ...where, status },
      );
    const declared = declaredLength(res.headers['content-length']);
    if (declared !== undefined && declared > this.maxResponseBytes) {
      discardBody(res.body);
      throw tooLarge(`Content-Length says ${formatBytes(declared)}, nothing was read`);
    }
    const body = await readBounded(res.body, this.maxResponseBytes);
    if (body.overLimit) throw tooLarge(`reading stopped after ${formatBytes(body.bytes)}`);
    return { status, headers: responseHeaders, text: body.text };
  }

  /** Response headers with credential echoes removed (a server may reflect Authorization). */
  private scrubHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
    const out: Record<string, string | string[] | undefined> = {};
    for (const [name, value] of Object.entries(headers)) {
      out[name] = Array.isArray(value) ? value.map((v) => this.redact(v)) : value === undefined ? undefined : this.redact(value);
    }
    return out;
  }

  /** The cancellation reason when the caller's signal fired, so nothing retries or maps a cancel as a failure. */
  private throwIfCancelled(): void {
    if (this.signal?.aborted) throw this.signal.reason ?? new Error('SCIM request cancelled');
  }

  /** Sends one request and returns whatever HTTP status came back; only transport failures throw. */
  async probe(req: TransportRequest): Promise<RawResponse> {
    const url = this.urlFor(req.path, req.query);
    const where: RequestDescription = { method: req.method ?? 'GET', url: redactUrl(url) };
    try {
      const res = await this.send(where.method, url, req.authenticate ?? false, where, false);
      return { status: res.status, url: where.url };
    } catch (err) {
      this.throwIfCancelled();
      throw redactScimError(errorFromNetwork(where, err, this.timeoutMs), (t) => this.redact(t));
    }
  }

  /** Sends a request with retries and returns the parsed JSON of a 2xx answer, or throws a ScimError. */
  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await this.requestText(req);
    const where = { method: req.method ?? 'GET', url: res.url, status: res.status };
    try {
      let body: unknown;
      try {
        body = parseJsonBody(res.text, res.contentType, where);
      } catch {
        // the error quotes the body; quote the scrubbed text (only this rare path pays for scrubbing a page)
        body = parseJsonBody(this.redact(res.text), res.contentType, where);
      }
      return { status: res.status, body, url: res.url, bytes: res.text.length };
    } catch (err) {
      throw err instanceof ScimError ? redactScimError(err, (t) => this.redact(t)) : err;
    }
  }

  /**
   * Sends a request with retries and returns the text of a 2xx answer unparsed (a listing may
   * parse it elsewhere, see ScimClient.listResources), or throws a ScimError.
   */
  async requestText(req: TransportRequest): Promise<TextResponse> {
    const method = req.method ?? 'GET';
    const url = this.urlFor(req.path, req.query);
    const where: RequestDescription = { method, url: redactUrl(url) };
    const authenticate = req.authenticate ?? true;
    const maxAttempts = req.noRetry ? 1 : this.maxAttempts;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      this.throwIfCancelled();
      const started = Date.now();
      let error: ScimError;
      try {
        const res = await this.send(method, url, authenticate, where);
        this.logger.debug('SCIM request', { method, url: where.url, status: res.status, ms: Date.now() - started });
        if (res.status >= 200 && res.status < 300) {
          const contentType = res.headers['content-type'];
          return { status: res.status, text: res.text, contentType: Array.isArray(contentType) ? contentType[0] : contentType, url: where.url };
        }
        error = errorFromResponse(where, res.status, res.headers, res.text, Date.now(), { scrub: (t) => this.redact(t) });
      } catch (err) {
        this.throwIfCancelled();
        error = redactScimError(err instanceof ScimError ? err : errorFromNetwork(where, err, this.timeoutMs), (t) => this.redact(t));
        if (!(err instanceof ScimError)) {
          this.logger.debug('SCIM request failed', { method, url: where.url, ms: Date.now() - started, error: error.message });
        }
      }
      // every error leaves (and is logged) only after its texts were scrubbed of credentials (cheap: short texts)
      redactScimError(error, (t) => this.redact(t));
      // An OAuth2 token can be revoked or expire early; one fresh token is worth a try, more is not.
      if (error instanceof ScimAuthError && error.status === 401 && this.oauth && !refreshedToken && error.url === where.url) {
        refreshedToken = true;
        this.oauth.invalidate();
        attempt--;
        continue;
      }
      if (!(error instanceof ScimRetryableError) || attempt >= maxAttempts) throw error;
      const backoff = Math.min(5_000, 250 * 2 ** (attempt - 1)) + Math.floor(Math.random() * 100);
      const wait = error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, 50) : backoff;
      if (wait > this.maxRetryWaitMs) throw error;
      this.metrics?.retry(error.status !== undefined ? String(error.status) : 'network');
      if (error.status === 429) this.metrics?.rateLimitWait('server', wait);
      this.logger.warn('SCIM request will be retried', {
        method,
        url: where.url,
        attempt,
        maxAttempts,
        waitMs: wait,
        ...(error.status === 429 ? { rateLimited: true } : {}),
        reason: error.message,
      });
      await sleep(wait, this.signal);
    }
  }
}
