/**
 * What of a server's answer may be repeated in our own messages. A source server is untrusted:
 * it can echo the credentials it was sent in any spelling (hex, upper case, halves, escaped
 * twice), and no scrubber can know every spelling. So its text is not repeated at all where it
 * could carry a credential, and elsewhere only in a short, known field; everything else is
 * described with words of our own (status, kind and size of a body, a known `scimType`).
 */

/** Longest SCIM `detail` kept in a message. */
export const MAX_DETAIL_LENGTH = 200;

const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:error';

/** RFC 7644 3.12 and RFC 9865 `scimType` values; another value is a server's free text. */
const SCIM_TYPES = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
  'invalidCursor',
  'expiredCursor',
  'invalidCount',
];
const SCIM_TYPE_BY_LOWER = new Map(SCIM_TYPES.map((t) => [t.toLowerCase(), t]));

/** RFC 6749 5.2 error codes of a token endpoint, each with our own words for it. */
const OAUTH_ERRORS: Record<string, string> = {
  invalid_request: 'the token request was malformed (invalid_request)',
  invalid_client: 'the client id or secret was rejected (invalid_client)',
  invalid_grant: 'the grant was rejected (invalid_grant)',
  unauthorized_client: 'the client may not use the client-credentials grant (unauthorized_client)',
  unsupported_grant_type: 'the client-credentials grant is not supported (unsupported_grant_type)',
  invalid_scope: 'the requested scope was rejected (invalid_scope)',
};

/** Media types named in messages as they are; any other Content-Type is only called "another". */
const KNOWN_MEDIA_TYPES = new Set([
  'application/scim+json',
  'application/json',
  'text/json',
  'text/plain',
  'text/html',
  'application/xhtml+xml',
  'application/xml',
  'text/xml',
  'application/octet-stream',
  'application/problem+json',
  'application/x-www-form-urlencoded',
]);

/** Where an error answer came from: a SCIM endpoint, or the OAuth2 token endpoint. */
export type AnswerSource = 'scim' | 'tokenEndpoint';

/** The parts of an error answer that may appear in a message. */
export interface ErrorAnswerFacts {
  /** A standard `scimType` from a SCIM error body, in its RFC spelling. */
  scimType?: string;
  /** The SCIM `detail`, flattened and cut to MAX_DETAIL_LENGTH; only where the rule allows it. */
  detail?: string;
  /** Our own words for a standard OAuth2 error code of a token endpoint. */
  oauthError?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of a key matched case-insensitively (an exactly cased key wins). */
function keyOf(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A `scimType` in its RFC spelling when it is one of the standard values; otherwise nothing. */
export function knownScimType(value: unknown): string | undefined {
  return typeof value === 'string' ? SCIM_TYPE_BY_LOWER.get(value.trim().toLowerCase()) : undefined;
}

/** True when the object declares the SCIM Error schema. */
export function isScimErrorObject(body: Record<string, unknown>): boolean {
  const schemas = keyOf(body, 'schemas');
  return Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === SCIM_ERROR_SCHEMA);
}

/**
 * Masks what looks like a credential whatever secrets are known: runs of 10 or more letters and
 * digits (and `+=_~-`) that mix letters and digits, as keys, passwords, tokens and their hex and
 * Base64 forms do. Split at '/' and '.', so that hosts and paths stay readable.
 */
export function maskOpaqueTokens(text: string): string {
  return text.replace(/[A-Za-z0-9+=_~-]{10,}/g, (token) => (/[A-Za-z]/.test(token) && /\d/.test(token) ? '***' : token));
}

/** Server text flattened to one line and cut to `max` characters. */
export function shortText(text: string, max = MAX_DETAIL_LENGTH): string {
  // control characters (and the line breaks among them) would let a server forge log lines
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The rule for error answers. An answer that rejects credentials (401, 403) and every error of an
 * OAuth2 token endpoint keep only the status (kept by the caller), a standard `scimType` and, from
 * a token endpoint, a standard OAuth2 error code: such answers are where servers echo what they
 * were sent. Other error answers keep at most the `detail` of a SCIM error body, shortened; a
 * non-SCIM body (plain text, HTML, other JSON) is not repeated; in a kept detail, token-like runs
 * are masked (maskOpaqueTokens). `scrub` removes known secrets
 * from a kept detail before it is shortened (the raw body is parsed as it came: masking inside
 * JSON text could break it).
 */
export function errorAnswerFacts(
  status: number,
  bodyText: string,
  source: AnswerSource = 'scim',
  scrub: (text: string) => string = (text) => text,
): ErrorAnswerFacts {
  const body = parseObject(bodyText);
  if (body === undefined) return {};
  const facts: ErrorAnswerFacts = {};
  const scimError = isScimErrorObject(body);
  if (scimError) {
    const scimType = knownScimType(keyOf(body, 'scimType'));
    if (scimType !== undefined) facts.scimType = scimType;
  }
  if (source === 'tokenEndpoint') {
    const code = keyOf(body, 'error');
    if (typeof code === 'string' && Object.hasOwn(OAUTH_ERRORS, code.trim())) facts.oauthError = OAUTH_ERRORS[code.trim()];
    return facts;
  }
  if (status === 401 || status === 403 || !scimError) return facts;
  const detail = keyOf(body, 'detail');
  if (typeof detail === 'string') {
    // known secrets first (all their spellings), then anything token-like: the server may echo a
    // credential this client never held (an access token issued to another client of the connector)
    const short = shortText(maskOpaqueTokens(scrub(detail)));
    if (short !== '') facts.detail = short;
  }
  return facts;
}

function sizeOf(text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

/** What kind of JSON a value is, in our words. */
export function describeJson(value: unknown): string {
  if (Array.isArray(value)) return `a JSON array of ${value.length} entr${value.length === 1 ? 'y' : 'ies'}`;
  if (isRecord(value)) {
    const keys = Object.keys(value).length;
    return `a JSON object with ${keys} key${keys === 1 ? '' : 's'}`;
  }
  if (value === null) return 'JSON null';
  return `a JSON ${typeof value}`;
}

/** A body described by its kind and size, never by its text (for answers that are not repeated). */
export function describeBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty';
  const size = sizeOf(text);
  try {
    return `${describeJson(JSON.parse(trimmed))} (${size})`;
  } catch {
    // not JSON: say what it looks like
  }
  if (/^<(!doctype\s+html|html)[\s>]/i.test(trimmed)) return `an HTML page (${size})`;
  if (trimmed.startsWith('<')) return `markup (${size})`;
  return `text that is not JSON (${size})`;
}

/** A Content-Type for a message: a well-known media type by name, anything else only as "another". */
export function contentTypeLabel(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return 'no Content-Type';
  const media = value.split(';')[0].trim().toLowerCase();
  return KNOWN_MEDIA_TYPES.has(media) ? `Content-Type ${media}` : 'another Content-Type';
}

/**
 * Where a redirect points, in our words: the Location header is the server's text, so it is
 * compared with the request URL rather than quoted.
 */
export function describeRedirect(requestUrl: string, location: string | undefined): string {
  if (location === undefined || location.trim() === '') return 'without a Location';
  let from: URL;
  let to: URL;
  try {
    from = new URL(requestUrl);
    to = new URL(location.trim(), from);
  } catch {
    return 'to an address that is not a valid URL';
  }
  // a scheme is the server's text too: only the two we speak are named
  const scheme = to.protocol === 'https:' ? 'https' : to.protocol === 'http:' ? 'http' : 'another scheme';
  if (to.hostname !== from.hostname) return `to another host (over ${scheme})`;
  if (to.protocol !== from.protocol) return `to ${scheme} on the same host`;
  if (to.port !== from.port) return 'to another port on the same host';
  return 'to another path on the same host';
}
