import type { Filter } from 'scim2-parse-filter';
import { parse } from 'scim2-parse-filter';

/** RFC 7644 ATTRNAME with optional schema URN prefix and sub-attributes. */
const ATTR_PATH = /^(?:urn:[A-Za-z0-9:._-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)*$/;

export type FilterValidation = { ok: true } | { ok: false; message: string };

/** Explains the parser's terse messages in words an operator can act on. */
function explainParseError(filter: string, raw: string): string {
  const quotes = (filter.replace(/\\./g, '').match(/"/g) ?? []).length;
  if (quotes % 2 === 1) return 'a quoted string is not terminated';
  const depth = (open: string, close: string): number => {
    const unquoted = filter.replace(/"(?:\\.|[^"\\])*"/g, '""');
    return unquoted.split(open).length - unquoted.split(close).length;
  };
  if (depth('(', ')') !== 0) return 'parentheses are not balanced';
  if (depth('[', ']') !== 0) return 'square brackets of a value path are not balanced';
  const notJson = /\[(.*)\(Word\)\] is not json/.exec(raw);
  if (notJson) return `comparison value ${notJson[1]} must be a "quoted string", a number, true, false or null`;
  if (/as valFilter operator/.test(raw)) {
    return 'expected an attribute followed by an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)';
  }
  if (/\(EOT\)/.test(raw)) return 'the filter ends too early (missing operand after an operator or "and"/"or")';
  if (/unexpected EOT/.test(raw)) return 'unexpected text after a complete expression';
  return raw;
}

function collectAttrPaths(f: Filter, out: string[]): void {
  switch (f.op) {
    case 'and':
    case 'or':
      f.filters.forEach((child) => collectAttrPaths(child, out));
      return;
    case 'not':
      collectAttrPaths(f.filter, out);
      return;
    case '[]':
      out.push(f.attrPath);
      collectAttrPaths(f.valFilter, out);
      return;
    default:
      out.push(f.attrPath);
  }
}

/** Parses a filter into its syntax tree, or throws an Error whose message explains the problem. */
export function parseScimFilter(filter: string): Filter {
  if (filter.trim() === '') throw new Error('invalid SCIM filter: the filter is empty');
  let ast: Filter;
  try {
    ast = parse(filter);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    throw new Error(`invalid SCIM filter ${JSON.stringify(filter)}: ${explainParseError(filter, raw)}`);
  }
  const paths: string[] = [];
  collectAttrPaths(ast, paths);
  const bad = paths.find((p) => !ATTR_PATH.test(p));
  if (bad !== undefined) {
    throw new Error(`invalid SCIM filter ${JSON.stringify(filter)}: ${JSON.stringify(bad)} is not a valid attribute path`);
  }
  return ast;
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
