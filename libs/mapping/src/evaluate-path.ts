import { parseAttributePath, type FilterNode, type Literal, type NameStep, type ParsedPath } from './attribute-path';
import { parseIsoUtc } from './iso-date';

const PARSE_CACHE_LIMIT = 1000;
const parseCache = new Map<string, ParsedPath>();
const CORE_SCHEMA_PREFIX = 'urn:ietf:params:scim:schemas:core:';

type Obj = Record<string, unknown>;

/**
 * Reads a value from a SCIM record: case-insensitive names, value filters, extension URNs.
 * Multi-valued attributes yield arrays (`emails.value` -> every address); missing, null or
 * empty results yield undefined.
 */
export function evaluatePath(record: unknown, path: ParsedPath | string): unknown {
  return evaluateParsed(record, typeof path === 'string' ? parseCached(path) : path);
}

function parseCached(expr: string): ParsedPath {
  let parsed = parseCache.get(expr);
  if (!parsed) {
    parsed = parseAttributePath(expr);
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(expr, parsed);
  }
  return parsed;
}

function evaluateParsed(record: unknown, parsed: ParsedPath): unknown {
  if (!isObject(record)) return undefined;
  let current: unknown[] = [parsed.schema ? schemaContainer(record, parsed.schema) : record];
  let multiValued = false;
  for (const segment of parsed.segments) {
    const next: unknown[] = [];
    for (const holder of current) {
      const child = childOf(holder, segment, multiValued);
      if (child === undefined || child === null) continue;
      if (Array.isArray(child)) {
        multiValued = true;
        for (const element of child) {
          if (element === undefined || element === null) continue;
          if (!segment.filter || matchesFilter(element, segment.filter)) next.push(element);
        }
      } else if (!segment.filter || matchesFilter(child, segment.filter)) {
        next.push(child);
      }
    }
    if (next.length === 0) return undefined;
    current = next;
  }
  return multiValued ? current : current[0];
}

/**
 * Extension attributes live under record[urn]; a core schema URN (RFC 7644 allows fully qualified
 * core names) or the record's own primary schema means the top level.
 */
function schemaContainer(record: Obj, urn: string): unknown {
  const container = lookup(record, urn, urn.toLowerCase());
  if (container !== undefined) return container;
  const key = urn.toLowerCase();
  if (key.startsWith(CORE_SCHEMA_PREFIX)) return record;
  const schemas = lookup(record, 'schemas', 'schemas');
  if (Array.isArray(schemas) && typeof schemas[0] === 'string' && schemas[0].toLowerCase() === key) return record;
  return undefined;
}

function childOf(holder: unknown, step: NameStep, isElement: boolean): unknown {
  if (isObject(holder)) return lookup(holder, step.name, step.key);
  // Some servers send multi-valued attributes as bare values (roles: ["a"]); each element is its own "value".
  if (isElement && step.key === 'value' && holder !== undefined && holder !== null) return holder;
  return undefined;
}

/** Own-property lookup: exact name first, then case-insensitive (never the prototype chain). */
function lookup(obj: Obj, name: string, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  for (const k in obj) {
    if (k.length === key.length && k.toLowerCase() === key && Object.prototype.hasOwnProperty.call(obj, k)) return obj[k];
  }
  return undefined;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether one element satisfies a value filter (strings compare case-insensitively: SCIM's caseExact=false default). */
export function matchesFilter(element: unknown, node: FilterNode): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(element, node.left) && matchesFilter(element, node.right);
    case 'or':
      return matchesFilter(element, node.left) || matchesFilter(element, node.right);
    case 'not':
      return !matchesFilter(element, node.operand);
    case 'present':
      return valuesAt(element, node.path).some(isPresent);
    case 'compare': {
      const values = valuesAt(element, node.path);
      const expected = node.value;
      if (expected === null) {
        const present = values.some(isPresent);
        return node.op === 'eq' ? !present : node.op === 'ne' ? present : false;
      }
      if (node.op === 'ne') return !values.some((v) => compare(v, 'eq', expected));
      return values.some((v) => compare(v, node.op, expected));
    }
  }
}

function valuesAt(element: unknown, path: NameStep[]): unknown[] {
  let current: unknown[] = [element];
  for (const step of path) {
    const next: unknown[] = [];
    for (const holder of current) {
      const child = childOf(holder, step, true);
      if (Array.isArray(child)) next.push(...child.filter((c) => c !== undefined && c !== null));
      else if (child !== undefined && child !== null) next.push(child);
    }
    current = next;
  }
  return current;
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function compare(actual: unknown, op: string, expected: Exclude<Literal, null>): boolean {
  if (typeof expected === 'boolean') {
    const b = typeof actual === 'boolean' ? actual : typeof actual === 'string' ? parseBoolean(actual) : undefined;
    return b !== undefined && op === 'eq' && b === expected;
  }
  if (typeof expected === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(n)) return false;
    return ordered(op, n, expected);
  }
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return false;
  const a = String(actual).toLowerCase();
  const e = expected.toLowerCase();
  switch (op) {
    case 'eq':
      return a === e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default: {
      // Timestamps compare as instants, so "2024-01-01T01:00:00+01:00" equals midnight UTC.
      const ta = parseIsoUtc(a);
      const te = Number.isNaN(ta) ? NaN : parseIsoUtc(e);
      return Number.isNaN(te) ? ordered(op, a, e) : ordered(op, ta, te);
    }
  }
}

function ordered<T extends number | string>(op: string, a: T, b: T): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    default:
      return false;
  }
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}
