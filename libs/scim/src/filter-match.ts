import type { Compare, Filter } from 'scim2-parse-filter';
import { parseScimFilter } from './filter';

/** true = matches, false = certainly does not match, undefined = cannot tell from the returned data. */
export type FilterVerdict = boolean | undefined;

type Value = unknown;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function getCaseInsensitive(obj: Record<string, unknown>, key: string): unknown {
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}

/** Resolves an attribute path to its (flattened) values; undefined when the record lacks the attribute. */
function resolveElements(root: unknown, attrPath: string): Value[] | undefined {
  let segments: string[];
  let start: unknown = root;
  const colon = attrPath.lastIndexOf(':');
  if (colon >= 0) {
    const urn = attrPath.slice(0, colon);
    segments = attrPath.slice(colon + 1).split('.');
    const extension = isObject(root) ? getCaseInsensitive(root, urn) : undefined;
    if (extension !== undefined) start = extension;
    // Core schema attributes sit at the top level; an absent extension is just absent.
    else if (!/:core:/i.test(urn)) return undefined;
  } else {
    segments = attrPath.split('.');
  }
  let current: Value[] = [start];
  for (const segment of segments) {
    const next: Value[] = [];
    for (const item of current.flatMap((v) => (Array.isArray(v) ? v : [v]))) {
      if (!isObject(item)) continue;
      const value = getCaseInsensitive(item, segment);
      if (value !== undefined) next.push(value);
    }
    if (next.length === 0) return undefined;
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** Like resolveElements, but a multi-valued complex attribute compared directly means its `value` (RFC 7644 3.4.2.2). */
function resolveValues(root: unknown, attrPath: string): Value[] | undefined {
  return resolveElements(root, attrPath)?.map((v) => {
    const inner = isObject(v) ? getCaseInsensitive(v, 'value') : undefined;
    return inner !== undefined ? inner : v;
  });
}

function any(verdicts: FilterVerdict[]): FilterVerdict {
  if (verdicts.some((v) => v === true)) return true;
  return verdicts.every((v) => v === false) ? false : undefined;
}

function compareDates(actual: string, expected: string, op: Compare['op']): FilterVerdict {
  const a = Date.parse(actual);
  const b = Date.parse(expected);
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  // Servers keep more precision than they print; within a second the answer is a guess.
  if (Math.abs(a - b) < 1000) return undefined;
  return op === 'gt' || op === 'ge' ? a > b : a < b;
}

function compareOne(actual: Value, op: Compare['op'], expected: Compare['compValue']): FilterVerdict {
  if (expected === null) {
    if (op === 'eq') return actual === null;
    if (op === 'ne') return actual !== null;
    return undefined;
  }
  if (actual === null || isObject(actual) || Array.isArray(actual)) return undefined;
  if (typeof expected === 'boolean') {
    const b = typeof actual === 'boolean' ? actual : actual === 'true' ? true : actual === 'false' ? false : undefined;
    if (b === undefined) return undefined;
    if (op === 'eq') return b === expected;
    if (op === 'ne') return b !== expected;
    return undefined;
  }
  if (typeof expected === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(n)) return undefined;
    switch (op) {
      case 'eq':
        return n === expected;
      case 'ne':
        return n !== expected;
      case 'gt':
        return n > expected;
      case 'ge':
        return n >= expected;
      case 'lt':
        return n < expected;
      case 'le':
        return n <= expected;
      default:
        return undefined;
    }
  }
  const text = String(actual);
  const a = text.toLowerCase();
  const e = expected.toLowerCase();
  // Case-insensitive matching errs towards "matches": a caseExact server could only match fewer.
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return text === expected ? false : a !== e ? true : undefined;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return ISO_DATE.test(text) && ISO_DATE.test(expected) ? compareDates(text, expected, op) : undefined;
    default:
      return undefined;
  }
}

/** Evaluates a parsed filter against one record with three-valued logic. */
export function evaluateFilter(resource: unknown, f: Filter): FilterVerdict {
  switch (f.op) {
    case 'and': {
      const verdicts = f.filters.map((c) => evaluateFilter(resource, c));
      if (verdicts.some((v) => v === false)) return false;
      return verdicts.every((v) => v === true) ? true : undefined;
    }
    case 'or':
      return any(f.filters.map((c) => evaluateFilter(resource, c)));
    case 'not': {
      const inner = evaluateFilter(resource, f.filter);
      return inner === undefined ? undefined : !inner;
    }
    case '[]': {
      const elements = resolveElements(resource, f.attrPath);
      if (elements === undefined) return undefined;
      return any(elements.map((el) => evaluateFilter(el, f.valFilter)));
    }
    case 'pr': {
      const values = resolveValues(resource, f.attrPath);
      // Absent may only mean "not returned" (attributes=, returned:request), so it proves nothing.
      if (values === undefined) return undefined;
      return values.some((v) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) ? true : undefined;
    }
    default: {
      const values = resolveValues(resource, f.attrPath);
      if (values === undefined || values.length === 0) return undefined;
      return any(values.map((v) => compareOne(v, f.op, f.compValue)));
    }
  }
}

/**
 * Compiles a filter into a check that says whether a returned record certainly falls outside it,
 * which is how a listing notices a server that silently ignored the filter.
 */
export function compileFilterCheck(filter: string): (resource: unknown) => FilterVerdict {
  const ast = parseScimFilter(filter);
  return (resource) => evaluateFilter(resource, ast);
}
