import { parseAttributePath, type FilterNode, type ParsedPath } from './attribute-path';
import { COMPLETE_RECORD, evaluateFilter } from './filter-match';
import { childOf, isObject, schemaContainer } from './record-access';

const PARSE_CACHE_LIMIT = 1000;
const parseCache = new Map<string, ParsedPath>();

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

/** Whether one element satisfies a value filter: filter-match.ts semantics for a complete record (SCIM defaults, caseExact false). */
export function matchesFilter(element: unknown, node: FilterNode): boolean {
  return evaluateFilter(element, node, COMPLETE_RECORD) === true;
}
