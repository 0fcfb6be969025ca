/** Field names (or name endings: clientSecret, accessToken) whose values are credentials. */
const SECRET_KEYS = /(password|passwd|secret|token|authori[sz]ation|api[-_]?key|credentials?|cookie|private[-_]?key)$/i;
/** Query parameters whose values are secrets on some products (tokens in URLs, signed links). */
const SECRET_QUERY = /([?&](?:access_token|token|api[_-]?key|apikey|key|secret|client_secret|password|sig|signature)=)[^&#\s"']*/gi;

/**
 * Masks what may be a credential in a log text: URL user-info, secret-looking query values and
 * HTTP authorization values. Connector secrets themselves are removed earlier, by the redactor of
 * the connection that knows them (libs/import secretRedactor).
 */
export function redactText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s"']*@/gi, '$1')
    .replace(SECRET_QUERY, '$1***')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, '$1 ***');
}

/** A copy of `value` safe to log: secret-named fields masked, every string passed through redactText. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[too deep]';
  if (value instanceof Error) return { type: value.name, message: redactText(value.message) };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' ? '***' : redactValue(v, depth + 1);
  }
  return out;
}
