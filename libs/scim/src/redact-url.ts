/** Query parameters whose values are secrets on some products (tokens in URLs, signed links). */
const SECRET_QUERY_KEYS = /^(access_token|token|api[_-]?key|apikey|key|secret|client_secret|password|sig|signature)$/i;

/** Returns the URL without user-info and with secret-looking query values masked, for messages and logs. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url.toString());
  } catch {
    // Unparseable input never reached the network; still strip anything that looks like user-info.
    return url.toString().replace(/\/\/[^/@]*@/, '//');
  }
  parsed.username = '';
  parsed.password = '';
  // Touching searchParams re-encodes the whole query, so only do it when something must be masked.
  const secretKeys = [...parsed.searchParams.keys()].filter((k) => SECRET_QUERY_KEYS.test(k));
  for (const key of secretKeys) parsed.searchParams.set(key, '***');
  return parsed.toString();
}
