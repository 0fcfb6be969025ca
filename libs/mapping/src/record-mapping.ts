import { parseAttributePath, type ParsedPath } from './attribute-path';
import { evaluatePath } from './evaluate-path';
import { parseIsoUtc } from './iso-date';
import { canonicalJson, stableHash } from './stable-hash';
import type {
  AttributeMapping,
  CompileOptions,
  CompiledRecordMapping,
  MapResult,
  RecordMapping,
  TargetAttribute,
  Transform,
} from './mapping-types';

/** The mapping itself is inconsistent (unknown target, duplicate target, neither external nor constant). */
export class MappingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingConfigError';
  }
}

type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };
type TransformFn = (value: unknown) => unknown;

interface CompiledAttribute {
  local: string;
  source: string;
  path?: ParsedPath;
  constant?: string | number | boolean;
  transforms: TransformFn[];
  target: TargetAttribute;
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Compiles a record mapping once (paths parsed, targets resolved) for fast use on many records.
 *
 * Per attribute: read the external path (or use `constant`; with both, the constant fills in when the
 * path yields nothing), apply transforms in order, then shape for the target: `multiple` targets get an
 * array (missing -> []), single targets get the FIRST value in source order (e.g. `emails.value` on a
 * user with work and home addresses yields the work one only if it comes first; use
 * `emails[primary eq true].value` to be explicit) or null when missing. Values are then coerced to the
 * target type: numbers from numeric strings, booleans from "true"/"false", datetimes to ISO 8601 UTC
 * (no offset = UTC), complex values to their `value` sub-attribute. A value that cannot be coerced
 * makes that record fail (`ok: false`), not the mapping.
 *
 * The unique value is required and always a string; it is also stored under `unique.local` unless an
 * attribute mapping targets that attribute. The hash covers uniqueValue and attributes.
 */
export function compileRecordMapping(
  mapping: RecordMapping,
  targetAttributes: TargetAttribute[],
  options: CompileOptions = {},
): CompiledRecordMapping {
  if (!mapping || typeof mapping !== 'object') throw new MappingConfigError('mapping must be an object');
  if (!mapping.unique || typeof mapping.unique.external !== 'string' || typeof mapping.unique.local !== 'string') {
    throw new MappingConfigError('mapping.unique needs an external expression and a local attribute');
  }
  const resolveTarget = targetResolver(targetAttributes, options.unknownTargets ?? 'error');
  const uniquePath = parseAttributePath(mapping.unique.external);
  const uniqueExpr = mapping.unique.external;
  const uniqueTarget = resolveTarget(mapping.unique.local);

  const seen = new Set<string>();
  const attributes = (mapping.attributes ?? []).map((a) => compileAttribute(a, resolveTarget, seen));
  const storeUnique = !seen.has(uniqueTarget.code);

  return {
    map(record: unknown): MapResult {
      if (typeof record !== 'object' || record === null || Array.isArray(record)) return { ok: false, reason: 'record is not an object' };
      const uniqueValue = uniqueString(evaluatePath(record, uniquePath));
      if (uniqueValue === undefined) return { ok: false, reason: `missing unique attribute "${uniqueExpr}"` };

      const out: Record<string, unknown> = {};
      if (storeUnique) {
        const coerced = shape(uniqueValue, uniqueTarget, uniqueTarget.code, uniqueExpr);
        if (!coerced.ok) return coerced;
        out[uniqueTarget.code] = coerced.value;
      }
      for (const a of attributes) {
        let value = a.path ? evaluatePath(record, a.path) : a.constant;
        if (value === undefined && a.constant !== undefined) value = a.constant;
        for (const transform of a.transforms) value = transform(value);
        const coerced = shape(value, a.target, a.target.code, a.source);
        if (!coerced.ok) return coerced;
        out[a.target.code] = coerced.value;
      }
      return { ok: true, uniqueValue, attributes: out, hash: stableHash({ uniqueValue, attributes: out }) };
    },
  };
}

function targetResolver(targets: TargetAttribute[], unknown: 'error' | 'string'): (code: string) => TargetAttribute {
  const exact = new Map<string, TargetAttribute>();
  const folded = new Map<string, TargetAttribute>();
  for (const t of targets ?? []) {
    exact.set(t.code, t);
    if (!folded.has(t.code.toLowerCase())) folded.set(t.code.toLowerCase(), t);
  }
  return (code) => {
    const target = exact.get(code) ?? folded.get(code.toLowerCase());
    if (target) return target;
    if (unknown === 'string') return { code, type: 'string' };
    throw new MappingConfigError(`unknown target attribute "${code}"`);
  };
}

function compileAttribute(a: AttributeMapping, resolveTarget: (code: string) => TargetAttribute, seen: Set<string>): CompiledAttribute {
  if (!a || typeof a.local !== 'string' || !a.local) throw new MappingConfigError('every attribute mapping needs a local attribute');
  const hasExternal = typeof a.external === 'string';
  if (!hasExternal && a.constant === undefined) throw new MappingConfigError(`attribute "${a.local}" needs an external expression or a constant`);
  const target = resolveTarget(a.local);
  if (seen.has(target.code)) throw new MappingConfigError(`attribute "${target.code}" is mapped more than once`);
  seen.add(target.code);
  return {
    local: a.local,
    source: hasExternal ? a.external! : `constant ${JSON.stringify(a.constant)}`,
    path: hasExternal ? parseAttributePath(a.external!) : undefined,
    constant: a.constant,
    transforms: (a.transforms ?? []).map((t) => compileTransform(t, a.local)),
    target,
  };
}

function compileTransform(t: Transform, local: string): TransformFn {
  switch (t?.op) {
    case 'lower':
      return eachString((s) => s.toLowerCase());
    case 'upper':
      return eachString((s) => s.toUpperCase());
    case 'trim':
      return eachString((s) => s.trim());
    case 'join': {
      const separator = t.separator ?? ', ';
      return (v) => {
        if (!Array.isArray(v)) return v;
        const parts = v.map(scalarText).filter((s): s is string => s !== undefined && s !== '');
        return parts.length ? parts.join(separator) : undefined;
      };
    }
    case 'default': {
      const fallback = t.value;
      return (v) => (isEmpty(v) ? fallback : v);
    }
    default:
      throw new MappingConfigError(`attribute "${local}": unknown transform ${JSON.stringify((t as { op?: unknown })?.op)}`);
  }
}

function eachString(fn: (s: string) => string): TransformFn {
  return (v) => (typeof v === 'string' ? fn(v) : Array.isArray(v) ? v.map((e) => (typeof e === 'string' ? fn(e) : e)) : v);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.every(isEmpty);
  return false;
}

/** Text of a single value for joins and unique values: complex values stand for their `value`. */
function scalarText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'object' && !Array.isArray(v)) return scalarText(subValue(v as Record<string, unknown>));
  return undefined;
}

function uniqueString(raw: unknown): string | undefined {
  const first = Array.isArray(raw) ? raw.find((v) => v !== undefined && v !== null) : raw;
  const text = scalarText(first);
  return text === undefined || text.trim() === '' ? undefined : text;
}

function subValue(obj: Record<string, unknown>): unknown {
  for (const k of Object.keys(obj)) if (k.toLowerCase() === 'value') return obj[k];
  return undefined;
}

function shape(value: unknown, target: TargetAttribute, local: string, source: string): Coerced {
  if (target.multiple) {
    const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
    const out: unknown[] = [];
    for (const element of list) {
      const c = coerce(element, target, local, source);
      if (!c.ok) return c;
      if (c.value !== null) out.push(c.value);
    }
    return { ok: true, value: out };
  }
  const single = Array.isArray(value) ? value.find((v) => v !== undefined && v !== null) : value;
  return coerce(single, target, local, source);
}

function coerce(value: unknown, target: TargetAttribute, local: string, source: string): Coerced {
  if (value === undefined || value === null) return { ok: true, value: null };
  let v: unknown = value;
  if (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
    const inner = subValue(v as Record<string, unknown>);
    if (inner !== undefined) v = inner;
    else if (target.type === 'string') return { ok: true, value: canonicalJson(v) };
    else return fail(local, source, value, target.type);
    if (v === null) return { ok: true, value: null };
  }
  switch (target.type) {
    case 'string':
    case 'reference':
      if (typeof v === 'string') return { ok: true, value: v };
      if (typeof v === 'number' || typeof v === 'boolean') return { ok: true, value: String(v) };
      if (v instanceof Date) return { ok: true, value: v.toISOString() };
      return fail(local, source, value, target.type);
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: v };
      if (typeof v === 'string') {
        const t = v.trim();
        if (t === '') return { ok: true, value: null };
        if (NUMERIC.test(t)) return { ok: true, value: Number(t) };
      }
      return fail(local, source, value, target.type);
    case 'boolean':
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (t === 'true') return { ok: true, value: true };
        if (t === 'false') return { ok: true, value: false };
        if (t === '') return { ok: true, value: null };
      }
      return fail(local, source, value, target.type);
    case 'datetime': {
      let ms = NaN;
      if (v instanceof Date) ms = v.getTime();
      else if (typeof v === 'number' && Number.isFinite(v)) ms = v;
      else if (typeof v === 'string') {
        if (v.trim() === '') return { ok: true, value: null };
        ms = parseIsoUtc(v);
      }
      return Number.isNaN(ms) ? fail(local, source, value, target.type) : { ok: true, value: new Date(ms).toISOString() };
    }
    default:
      return { ok: false, reason: `attribute "${local}": unsupported target type "${String(target.type)}"` };
  }
}

function fail(local: string, source: string, value: unknown, type: string): Coerced {
  const shown = typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
  const clipped = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  return { ok: false, reason: `attribute "${local}": cannot convert ${clipped} from "${source}" to ${type}` };
}
