import type { CompareOp, FilterNode, Literal, PathSegment } from './attribute-path';
import { parseIsoUtc } from './iso-date';
import { childOf, hasAttribute, isObject, lookup, schemaContainer } from './record-access';

/** true = matches, false = certainly does not match, undefined = cannot tell. */
export type FilterVerdict = boolean | undefined;

/**
 * What a verdict may rely on. The rules are the same everywhere (below); only how much the
 * evaluator may assume differs:
 *  - `record`: `complete` when the element is all there is (a mapping reads a record it holds);
 *    `returned` when attributes missing from it may exist at the source (a listing returned
 *    only some attributes), so a test on a missing attribute cannot be decided.
 *  - `decide`: `defaults` decides every comparison by SCIM's defaults; `cautious` answers
 *    "cannot tell" where servers differ (case-only differences under `ne`, ordering of plain
 *    strings, instants less than a second apart, `pr` of an empty value, values of the wrong type).
 */
export interface FilterSemantics {
  record: 'complete' | 'returned';
  decide: 'defaults' | 'cautious';
}

/** Value filters in mapping expressions: the record is complete, SCIM defaults decide. */
export const COMPLETE_RECORD: FilterSemantics = { record: 'complete', decide: 'defaults' };
/** A listing checking a record a server returned for a filter: only certain answers count. */
export const RETURNED_RECORD: FilterSemantics = { record: 'returned', decide: 'cautious' };

/**
 * The values a path reaches (multi-valued attributes flattened). `via[i]` is the verdict of the
 * value filters on the way to values[i]; absent when there were none (all certainly through).
 */
interface Reached {
  values: unknown[];
  via?: FilterVerdict[];
}

/**
 * Evaluates a filter against one element (a record, or one value of a multi-valued attribute)
 * with three-valued (Kleene) logic. The rules, per RFC 7644 §3.4.2.2:
 *  - attribute names are case-insensitive; a URN-qualified name reads the extension object
 *    (a core-schema URN, or the record's own primary schema, the top level);
 *  - a multi-valued attribute matches when any of its values matches; a complex value compared
 *    directly stands for its `value` sub-attribute;
 *  - strings compare case-insensitively (caseExact false), `co` `sw` `ew` are substring tests;
 *  - numbers compare numerically (numeric strings included), booleans by `eq`/`ne` ("true" and
 *    "false" strings included);
 *  - when both sides are ISO 8601 dates or date-times they compare as instants (no offset = UTC),
 *    `eq` and `ne` included;
 *  - `eq null` holds when the attribute has no value, `ne null` when it has one;
 *  - `ne` holds when no value of the attribute equals the operand (so a missing attribute is `ne`
 *    everything);
 *  - `pr` holds when the attribute has a value that is not null, "", [] or an empty object;
 *  - `not`, `and`, `or` follow Kleene logic (not unknown = unknown).
 */
export function evaluateFilter(element: unknown, node: FilterNode, semantics: FilterSemantics = COMPLETE_RECORD): FilterVerdict {
  switch (node.kind) {
    case 'and':
      return and(evaluateFilter(element, node.left, semantics), evaluateFilter(element, node.right, semantics));
    case 'or':
      return or(evaluateFilter(element, node.left, semantics), evaluateFilter(element, node.right, semantics));
    case 'not': {
      const inner = evaluateFilter(element, node.operand, semantics);
      return inner === undefined ? undefined : !inner;
    }
    case 'valuePath': {
      const filter = node.path[node.path.length - 1].filter;
      const reached = reach(element, node.schema, node.path, semantics, false);
      if (reached === undefined) return missing(semantics);
      return anyReached(reached, (v) => (filter ? evaluateFilter(v, filter, semantics) : isPresent(v)));
    }
    case 'present': {
      const reached = reach(element, node.schema, node.path, semantics, true);
      if (reached === undefined) return missing(semantics);
      const verdict = anyReached(reached, isPresent);
      // servers disagree on whether "" or [] is present: only "present" is certain
      return verdict === false && semantics.decide === 'cautious' ? undefined : verdict;
    }
    case 'compare':
      return compareNode(element, node, semantics);
  }
}

function compareNode(element: unknown, node: Extract<FilterNode, { kind: 'compare' }>, semantics: FilterSemantics): FilterVerdict {
  // the common value filter (`type eq "work"` on one email): one plain attribute holding one value
  if (node.schema === undefined && node.path.length === 1 && node.value !== null && node.op !== 'ne' && isObject(element)) {
    const step = node.path[0];
    const value = lookup(element, step.name, step.key);
    if (value !== undefined && value !== null && typeof value !== 'object') return compareValue(value, node.op, node.value, semantics);
  }
  const reached = reach(element, node.schema, node.path, semantics, true);
  const expected = node.value;
  if (expected === null) {
    if (reached === undefined) return semantics.record === 'complete' ? node.op === 'eq' : node.op === 'eq' || node.op === 'ne' ? undefined : false;
    const present = anyReached(reached, isPresent);
    if (node.op === 'eq') return present === undefined ? undefined : !present;
    if (node.op === 'ne') return present;
    return false;
  }
  if (node.op === 'ne') {
    if (reached === undefined) return semantics.record === 'complete' ? true : undefined;
    const anyEqual = anyReached(reached, (v) => compareValue(v, 'eq', expected, semantics));
    if (anyEqual === undefined) return undefined;
    if (!anyEqual) return true;
    if (semantics.decide === 'cautious') {
      // equal but for case: a caseExact server calls it different; and a server that reads `ne`
      // as "some value differs" keeps a record with another, different value
      const exactlyEqual = reached.values.some((v, i) => reached.via?.[i] !== false && compareValue(v, 'eq', expected, semantics) === true && !caseOnlyDifferent(v, expected));
      const someDiffer = reached.values.some((v) => compareValue(v, 'eq', expected, semantics) === false);
      if (!exactlyEqual || someDiffer) return undefined;
    }
    return false;
  }
  if (reached === undefined) return missing(semantics);
  return anyReached(reached, (v) => compareValue(v, node.op, expected, semantics));
}

/** Some reached value passes `test` (Kleene "any", each value's filters on the way included). */
function anyReached(reached: Reached, test: (value: unknown) => FilterVerdict): FilterVerdict {
  let unknown = false;
  for (let i = 0; i < reached.values.length; i++) {
    const via = reached.via ? reached.via[i] : true;
    if (via === false) continue;
    const v = test(reached.values[i]);
    if (v === true && via === true) return true;
    if (v !== false) unknown = true;
  }
  return unknown ? undefined : false;
}

/** A test on an attribute the element lacks: false for a complete record, unknown for a returned one. */
function missing(semantics: FilterSemantics): FilterVerdict {
  return semantics.record === 'complete' ? false : undefined;
}

function unknownOr(verdict: boolean, semantics: FilterSemantics): FilterVerdict {
  return semantics.decide === 'cautious' ? undefined : verdict;
}

/**
 * The values a path reaches from the element, with the verdicts of the value filters on the way;
 * undefined when the attribute is missing altogether (as opposed to present but null or empty).
 * `leaf`: complex values stand for their `value` sub-attribute.
 */
function reach(element: unknown, schema: string | undefined, path: PathSegment[], semantics: FilterSemantics, leaf: boolean): Reached | undefined {
  let holders: unknown[] = [element];
  if (schema !== undefined) {
    const container = isObject(element) ? schemaContainer(element, schema) : undefined;
    if (container === undefined) return undefined;
    holders = [container];
  }
  let via: FilterVerdict[] | undefined;
  let found = false;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const narrow = step.filter !== undefined && i < path.length - 1 ? step.filter : undefined;
    const values: unknown[] = [];
    const nextVia: FilterVerdict[] | undefined = via || narrow ? [] : undefined;
    found = false;
    for (let h = 0; h < holders.length; h++) {
      const holder = holders[h];
      const holderVia = via ? via[h] : true;
      // a value of a multi-valued attribute may be bare (roles: ["a"]): it is its own `value`
      const child = childOf(holder, step, true);
      if (child !== undefined || (isObject(holder) && hasAttribute(holder, step.name, step.key))) found = true;
      if (child === undefined || child === null) continue;
      const list = Array.isArray(child) ? child : [child];
      for (const value of list) {
        if (value === undefined || value === null) continue;
        // a value filter on a segment that goes on (`emails[type eq "work"].value`) narrows the values
        const v = narrow ? and(holderVia, evaluateFilter(value, narrow, semantics)) : holderVia;
        if (v === false) continue;
        values.push(value);
        nextVia?.push(v);
      }
    }
    holders = values;
    via = nextVia;
  }
  if (!found) return undefined;
  if (leaf) {
    for (let i = 0; i < holders.length; i++) {
      const v = holders[i];
      if (isObject(v)) {
        const inner = childOf(v, VALUE_STEP, false);
        if (inner !== undefined) holders[i] = inner;
      }
    }
  }
  return via ? { values: holders, via } : { values: holders };
}

const VALUE_STEP = { name: 'value', key: 'value' };

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function caseOnlyDifferent(actual: unknown, expected: Exclude<Literal, null>): boolean {
  return typeof actual === 'string' && typeof expected === 'string' && actual !== expected && actual.toLowerCase() === expected.toLowerCase();
}

/** One value against the operand (not null), for every operator but the node-level `ne` rule. */
function compareValue(actual: unknown, op: CompareOp, expected: Exclude<Literal, null>, semantics: FilterSemantics): FilterVerdict {
  if (actual === null || actual === undefined) return false;
  if (typeof actual === 'object') return unknownOr(false, semantics);
  if (typeof expected === 'boolean') {
    const b = typeof actual === 'boolean' ? actual : typeof actual === 'string' ? parseBoolean(actual) : undefined;
    if (b === undefined) return unknownOr(false, semantics);
    return op === 'eq' ? b === expected : op === 'ne' ? b !== expected : false;
  }
  if (typeof expected === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(n)) return unknownOr(false, semantics);
    return ordered(op, n, expected);
  }
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return unknownOr(false, semantics);
  const text = String(actual);
  const a = text.toLowerCase();
  const e = expected.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default: {
      const te = looksLikeDate(expected) ? parseIsoUtc(expected) : NaN;
      const ta = Number.isNaN(te) || typeof actual !== 'string' ? NaN : parseIsoUtc(text);
      if (!Number.isNaN(ta)) {
        // servers keep more precision than they print: within a second the answer is a guess
        if (semantics.decide === 'cautious' && ta !== te && Math.abs(ta - te) < 1000) return undefined;
        return ordered(op, ta, te);
      }
      if (op === 'eq' || op === 'ne') return ordered(op, a, e);
      // the order of plain strings depends on the server's collation
      return semantics.decide === 'cautious' ? undefined : ordered(op, a, e);
    }
  }
}

/** Cheap pre-check before the date parser: ISO dates start with four digits and a dash. */
function looksLikeDate(text: string): boolean {
  const t = text.trimStart();
  return t.length >= 10 && t.charCodeAt(4) === 45 && t.charCodeAt(0) >= 48 && t.charCodeAt(0) <= 57;
}

function ordered<T extends number | string>(op: CompareOp, a: T, b: T): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
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

function and(a: FilterVerdict, b: FilterVerdict): FilterVerdict {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : undefined;
}

function or(a: FilterVerdict, b: FilterVerdict): FilterVerdict {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

