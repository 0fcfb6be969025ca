import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { ScimClientOptions, ScimConnectionConfig, ScimLogger, ScimMetrics } from './connection-config';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_WAIT_MS, DEFAULT_TIMEOUT_MS } from './connection-config';
import { ScimAuthError, ScimConfigError, ScimError, ScimRetryableError } from './errors';
import type { RequestDescription } from './http-error-mapping';
import { errorFromNetwork, errorFromResponse } from './http-error-mapping';
import { parseJsonBody } from './list-response';
import { OAuth2TokenSource } from './oauth2-token-source';
import { redactUrl } from './redact-url';
import { TokenBucket } from './token-bucket';

const ACCEPT = 'application/scim+json, application/json';
const USER_AGENT = 'scim-import';

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
}

/** Any HTTP answer, used where every status counts (connection tests). */
export interface RawResponse {
  status: number;
  url: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
  private base?: URL;

  constructor(
    private readonly config: ScimConnectionConfig,
    options: ScimClientOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics;
    this.timeoutMs = config.timeoutMs && config.timeoutMs > 0 ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttemptsPerRequest ?? DEFAULT_MAX_ATTEMPTS);
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    const tls = config.tls ?? {};
    if (tls.rejectUnauthorized === false) {
      this.logger.warn('SCIM TLS certificate verification is disabled for this connector', {
        baseUrl: redactUrl(config.baseUrl),
      });
    }
    this.agent = new Agent({
      connect: {
        // A custom CA replaces Node's trust store; keep the public roots so a token endpoint on
        // a public identity provider still verifies.
        ca: tls.caPem ? [...rootCertificates, tls.caPem] : undefined,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        timeout: this.timeoutMs,
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    if (config.rateLimitPerSecond && config.rateLimitPerSecond > 0) {
      this.bucket = new TokenBucket(config.rateLimitPerSecond);
    }
    if (config.auth.type === 'oauth2') {
      this.oauth = new OAuth2TokenSource(config.auth, this.agent, this.timeoutMs);
    }
  }

  /** The base URL without credentials, for messages. */
  get redactedBaseUrl(): string {
    return redactUrl(this.config.baseUrl);
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
    const url = new URL(base.toString());
    url.pathname = `${base.pathname}${path.startsWith('/') ? path : `/${path}`}`;
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

  private async send(
    method: string,
    url: URL,
    authenticate: boolean,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const headers: Record<string, string> = { accept: ACCEPT, 'user-agent': USER_AGENT };
    if (authenticate) headers.authorization = await this.authorization();
    if (this.bucket) {
      const queued = Date.now();
      await this.bucket.acquire();
      const waited = Date.now() - queued;
      if (waited > 0) this.metrics?.rateLimitWait('client', waited);
    }
    const res = await request(url, {
      method: method as 'GET',
      headers,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    this.metrics?.response(res.statusCode);
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  /** Sends one request and returns whatever HTTP status came back; only transport failures throw. */
  async probe(req: TransportRequest): Promise<RawResponse> {
    const url = this.urlFor(req.path, req.query);
    const where: RequestDescription = { method: req.method ?? 'GET', url: redactUrl(url) };
    try {
      const res = await this.send(where.method, url, req.authenticate ?? false);
      return { status: res.status, url: where.url };
    } catch (err) {
      throw errorFromNetwork(where, err, this.timeoutMs);
    }
  }

  /** Sends a request with retries and returns the parsed JSON of a 2xx answer, or throws a ScimError. */
  async request(req: TransportRequest): Promise<TransportResponse> {
    const method = req.method ?? 'GET';
    const url = this.urlFor(req.path, req.query);
    const where: RequestDescription = { method, url: redactUrl(url) };
    const authenticate = req.authenticate ?? true;
    const maxAttempts = req.noRetry ? 1 : this.maxAttempts;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      let error: ScimError;
      try {
        const res = await this.send(method, url, authenticate);
        this.logger.debug('SCIM request', { method, url: where.url, status: res.status, ms: Date.now() - started });
        if (res.status >= 200 && res.status < 300) {
          const contentType = res.headers['content-type'];
          const body = parseJsonBody(res.text, Array.isArray(contentType) ? contentType[0] : contentType, {
            ...where,
            status: res.status,
          });
          return { status: res.status, body, url: where.url };
        }
        error = errorFromResponse(where, res.status, res.headers, res.text);
      } catch (err) {
        error = err instanceof ScimError ? err : errorFromNetwork(where, err, this.timeoutMs);
        if (!(err instanceof ScimError)) {
          this.logger.debug('SCIM request failed', { method, url: where.url, ms: Date.now() - started, error: error.message });
        }
      }
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
        reason: error.message,
      });
      await sleep(wait);
    }
  }
}
