/** How often percent-decoding is repeated: `%252e` is `%2e` once decoded, and a dot twice. */
const MAX_DECODE_ROUNDS = 3;

/** Fully percent-decodes a path segment; undefined when it is not valid percent-encoding. */
function decodeFully(segment: string): string | undefined {
  let current = segment;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return undefined;
    }
    if (decoded === current) return current;
    current = decoded;
  }
  return current;
}

/**
 * True when `path` (e.g. `/Devices` or `/Groups/abc`) can only name something below a SCIM base
 * URL: no `.` or `..` segment (also percent-encoded, once or repeatedly, or hidden behind an
 * encoded slash), no backslash, no query, fragment or control character. A pure check, usable
 * when a resource path is saved as well as when a request is built.
 */
export function isSafeResourcePath(path: string): boolean {
  if (typeof path !== 'string' || path.trim() === '' || path.length > 2048) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\?#]/.test(path)) return false;
  for (const segment of path.split('/')) {
    const decoded = decodeFully(segment);
    if (decoded === undefined) return false;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return false;
    // an encoded slash or backslash may be decoded by a proxy or the server into a real separator
    if (decoded.split(/[/\\]/).some((piece) => piece === '.' || piece === '..')) return false;
  }
  return true;
}
