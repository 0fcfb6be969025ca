import { MappingExpressionError, parseFilter, type FilterNode } from '@app/mapping';

export type FilterValidation = { ok: true } | { ok: false; message: string };

/** Explains a syntax error in words an operator can act on (the parser's own words, with its position, otherwise). */
function explainParseError(filter: string, err: MappingExpressionError): string {
  const quotes = (filter.replace(/\\./g, '').match(/"/g) ?? []).length;
  if (quotes % 2 === 1) return 'a quoted string is not terminated';
  const depth = (open: string, close: string): number => {
    const unquoted = filter.replace(/"(?:\\.|[^"\\])*"/g, '""');
    return unquoted.split(open).length - unquoted.split(close).length;
  };
  if (depth('(', ')') !== 0) return 'parentheses are not balanced';
  if (depth('[', ']') !== 0) return 'square brackets of a value path are not balanced';
  if (err.position >= filter.trimEnd().length) return `the filter ends too early (missing operand after an operator or "and"/"or"): ${err.detail}`;
  return err.message;
}

/**
 * Parses a filter into its syntax tree (the parser libs/mapping also uses for value filters in
 * mapping expressions), or throws an Error whose message explains the problem.
 */
export function parseScimFilter(filter: string): FilterNode {
  if (filter.trim() === '') throw new Error('invalid SCIM filter: the filter is empty');
  try {
    return parseFilter(filter);
  } catch (err) {
    if (!(err instanceof MappingExpressionError)) throw err;
    throw new Error(`invalid SCIM filter ${JSON.stringify(filter)}: ${explainParseError(filter, err)}`);
  }
}

/** Checks RFC 7644 filter syntax (URNs, value paths, `not`, case-insensitive operators) without throwing. */
export function validateScimFilter(filter: string): FilterValidation {
  try {
    parseScimFilter(filter);
    return { ok: true };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/** Quotes a value for use in a SCIM filter, escaping backslashes and double quotes. */
export function quoteScimString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Adds a changed-since clause to a task filter. The instant is truncated to whole seconds
 * because many servers store or parse only seconds; rounding down re-reads a little, never misses.
 */
export function composeIncrementalFilter(taskFilter: string | undefined, since: Date): string {
  if (Number.isNaN(since.getTime())) throw new RangeError('composeIncrementalFilter: "since" is not a valid date');
  const seconds = new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const clause = `meta.lastModified gt ${quoteScimString(seconds)}`;
  const base = taskFilter?.trim();
  return base ? `(${base}) and ${clause}` : clause;
}
