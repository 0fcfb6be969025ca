/**
 * Parses an HTTP `Retry-After` value (delta-seconds or an HTTP-date) into milliseconds from `now`.
 * Returns undefined when the header is absent or unreadable; a date in the past yields 0.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  // Servers in the wild send fractional seconds although RFC 9110 only allows integers.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^-\d/.test(text)) return 0;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
