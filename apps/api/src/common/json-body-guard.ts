import type { FieldError } from './problem';

/** Deepest nesting a request body may have: the deepest valid task body is about 6 levels. */
export const MAX_BODY_DEPTH = 32;
/** Most values (objects, arrays, scalars) one body may hold; a task with hundreds of mappings has a few thousand. */
export const MAX_BODY_VALUES = 50_000;

// characters no field of this API accepts anywhere: NUL (PostgreSQL cannot store it) and the other
// C0/C1 controls except tab, CR and LF (which a PEM or a multi-line filter may carry)
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

// a UTF-16 surrogate without its partner: JSON allows writing one ("\ud800"), UTF-8 cannot hold it,
// and it would be stored as U+FFFD without anyone noticing
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The top-level field a path starts with (size and depth problems name that one). */
function topLevel(path: string): string {
  return path.split(/[.[]/)[0] || '(body)';
}

function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Checks a parsed JSON body before anything recursive touches it (validation, prototype-key
 * stripping): nesting depth, number of values, and forbidden control characters and lone
 * surrogates in keys and strings. Iterative, so a hostile body cannot overflow the stack here. Returns the first problem.
 */
export function checkJsonBody(body: unknown): FieldError | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  let values = 0;
  while (stack.length) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (++values > MAX_BODY_VALUES) return { field: topLevel(path), message: `the body holds more than ${MAX_BODY_VALUES} values` };
    if (typeof value === 'string') {
      if (FORBIDDEN_CHARACTERS.test(value)) return { field: path || '(body)', message: `${path || 'the body'} must not contain NUL or other control characters` };
      if (LONE_SURROGATE.test(value)) return { field: path || '(body)', message: `${path || 'the body'} contains a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which is not text` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return { field: topLevel(path), message: `the body is nested deeper than ${MAX_BODY_DEPTH} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: fieldPath(path, i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      if (FORBIDDEN_CHARACTERS.test(key)) return { field: path || '(body)', message: 'field names must not contain NUL or other control characters' };
      if (LONE_SURROGATE.test(key)) return { field: path || '(body)', message: 'field names must not contain a lone UTF-16 surrogate' };
      stack.push({ value: (value as Record<string, unknown>)[key], path: fieldPath(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}
