import type { OutboundAddressPolicy } from './outbound-address';

/** How the client authenticates; secrets arrive already decrypted and never leave the client. */
export type ScimAuth =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | { type: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

/** A connector as the client needs it. */
export interface ScimConnectionConfig {
  /** e.g. `https://scim.example.com:8443/scim/v2`; resource paths are appended to it. */
  baseUrl: string;
  auth: ScimAuth;
  /** Requested `count` per page; servers may return fewer. Default 200. */
  pageSize?: number;
  /** Whole-request timeout (connect, headers and body). Default 30000. */
  timeoutMs?: number;
  /** Requests per second for this client; undefined or 0 means unlimited. */
  rateLimitPerSecond?: number;
  /**
   * Largest response body read for one request (one page), in bytes; default 32 MiB. Bodies are
   * counted while they stream in and the read stops at the limit, so a hostile or huge answer
   * never reaches the heap whole.
   */
  maxResponseBytes?: number;
  tls?: { caPem?: string; rejectUnauthorized?: boolean };
}

/** Structured logger; `meta` never contains credentials. */
export interface ScimLogger {
  debug(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
}

/** What the transport reports, for metrics (the worker exports them to Prometheus). */
export interface ScimMetrics {
  /** an HTTP answer arrived, whatever its status */
  response(status: number): void;
  /** a failed request is sent again; `reason` is the HTTP status, or `network` */
  retry(reason: string): void;
  /** a request waited `ms` for a rate limit: the connector's own (`client`) or a 429's Retry-After (`server`) */
  rateLimitWait(source: 'client' | 'server', ms: number): void;
}

/** Tuning that is not part of a connector. */
export interface ScimClientOptions {
  logger?: ScimLogger;
  metrics?: ScimMetrics;
  /** Attempts per HTTP request for retryable failures, including the first. Default 3. */
  maxAttemptsPerRequest?: number;
  /**
   * Longest `Retry-After` honoured by waiting inside a request (default 30000 ms). Longer waits
   * are thrown as ScimRetryableError with `retryAfterMs` so the caller (Temporal) schedules them.
   */
  maxRetryWaitMs?: number;
  /**
   * Aborts every request in flight (and the waits between retries) when it fires; the request
   * then rejects with the signal's reason (for a Temporal activity: its CancelledFailure).
   */
  signal?: AbortSignal;
  /**
   * Checked for every connection (SCIM base URL and OAuth2 token URL) when it is opened, after
   * DNS: a refused address fails the request with a ScimConfigError. Without one, nothing is refused.
   */
  addressPolicy?: OutboundAddressPolicy;
  /**
   * Largest page this process can hold (the caller derives it from its heap). When it is below the
   * connector's `maxResponseBytes` it is the limit, and a larger page's error says so.
   */
  processPageLimitBytes?: number;
}

export const DEFAULT_PAGE_SIZE = 200;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_MAX_RETRY_WAIT_MS = 30_000;
/** 32 MiB: a page of a few thousand large records fits; well below the worker's 384 MB heap cap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
