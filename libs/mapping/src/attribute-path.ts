/**
 * The one SCIM expression parser: attribute path expressions (RFC 7644 §3.10 / §3.4.2.2 value
 * paths) as used in mappings — `userName`, `name.givenName`, `emails[type eq "work"].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` — and whole filters
 * (RFC 7644 §3.4.2.2) as tasks send them to a source. The value filter inside brackets is the
 * same grammar as a filter, without schema URNs and nested brackets; see filter-match.ts for
 * what a filter means.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

/** One attribute name; `key` is the lower-cased form used for case-insensitive lookup. */
export interface NameStep {
  name: string;
  key: string;
}

/**
 * A filter. Attribute paths are relative to the element the filter tests (the record, or one
 * value of a multi-valued attribute); `schema` is set for fully qualified (URN) paths. Only a
 * top-level filter has segments with their own value filter (`emails[type eq "work"].value`).
 * `valuePath` (`emails[type eq "work"]`) holds when some value of the attribute passes the
 * filter of its last segment.
 */
export type FilterNode =
  | { kind: 'compare'; schema?: string; path: PathSegment[]; op: CompareOp; value: Literal }
  | { kind: 'present'; schema?: string; path: PathSegment[] }
  | { kind: 'valuePath'; schema?: string; path: PathSegment[] }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode };

export interface PathSegment extends NameStep {
  /** Value filter (`emails[type eq "work"]`) selecting elements of this attribute. */
  filter?: FilterNode;
}

export interface ParsedPath {
  expression: string;
  /** Schema URN prefix, when the path is fully qualified (extension attributes). */
  schema?: string;
  segments: PathSegment[];
}

/** A syntax error in an attribute expression; `position` is the 0-based character offset. */
export class MappingExpressionError extends Error {
  constructor(
    readonly detail: string,
    readonly position: number,
    readonly expression: string,
  ) {
    super(`${detail} at position ${position} in "${expression}"`);
    this.name = 'MappingExpressionError';
  }
}

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const NAME_START = /[A-Za-z$]/;
const NAME_CHAR = /[A-Za-z0-9_$-]/;
const WORD_CHAR = /[A-Za-z]/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]*(?::[A-Za-z0-9._~%+=@!$&'()*,;/?-]+)+$/i;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses an attribute expression; throws MappingExpressionError (with position) on bad syntax. */
export function parseAttributePath(expr: string): ParsedPath {
  if (typeof expr !== 'string') throw new MappingExpressionError('Expression must be a string', 0, String(expr));
  return new PathParser(expr).parse();
}

/** Parses a whole SCIM filter (`userName eq "x" and emails[type eq "work"]`); throws MappingExpressionError (with position). */
export function parseFilter(filter: string): FilterNode {
  if (typeof filter !== 'string') throw new MappingExpressionError('Filter must be a string', 0, String(filter));
  return new PathParser(filter).parseWholeFilter();
}

/** Checks an attribute expression without throwing. */
export function validateAttributePath(expr: string): { ok: true } | { ok: false; message: string } {
  try {
    parseAttributePath(expr);
    return { ok: true };
  } catch (err) {
    if (err instanceof MappingExpressionError) return { ok: false, message: err.message };
    throw err;
  }
}

class PathParser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parse(): ParsedPath {
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail('Empty attribute expression');
    const schema = this.parseSchemaPrefix();
    const segments: PathSegment[] = [];
    for (;;) {
      const step = this.parseName('attribute name');
      const segment: PathSegment = { ...step };
      if (this.peek() === '[') {
        const open = this.pos;
        this.pos += 1;
        segment.filter = this.parseOr(false);
        this.skipSpace();
        if (this.peek() !== ']') this.fail(`Expected "]" to close the value filter opened at position ${open}`);
        this.pos += 1;
      }
      segments.push(segment);
      if (this.peek() !== '.') break;
      this.pos += 1;
    }
    this.skipSpace();
    if (this.pos < this.src.length) this.fail(`Unexpected character "${this.src[this.pos]}"`);
    return { expression: this.src, ...(schema ? { schema } : {}), segments };
  }

  /** A filter from start to end; text after a complete expression is an error. */
  parseWholeFilter(): FilterNode {
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail('Empty filter');
    const node = this.parseOr(true);
    this.skipSpace();
    if (this.pos < this.src.length) this.fail(`Unexpected text after a complete expression: "${this.src.slice(this.pos, this.pos + 30)}"`);
    return node;
  }

  /**
   * A URN is everything up to the last ':' before the attribute name; it may itself contain dots
   * ("...:enterprise:2.0:User"), so the split is by colon, looking only before any value filter.
   */
  private parseSchemaPrefix(): string | undefined {
    if (this.src.slice(this.pos, this.pos + 4).toLowerCase() !== 'urn:') return undefined;
    const bracket = this.src.indexOf('[', this.pos);
    const headEnd = bracket < 0 ? this.src.length : bracket;
    const lastColon = this.src.lastIndexOf(':', headEnd - 1);
    const urn = this.src.slice(this.pos, lastColon);
    if (lastColon <= this.pos + 3 || !URN.test(urn)) this.fail('Invalid schema URN');
    this.pos = lastColon + 1;
    if (!NAME_START.test(this.peek())) this.fail('Expected an attribute name after the schema URN');
    return urn;
  }

  private parseName(what: string): NameStep {
    const start = this.pos;
    if (!NAME_START.test(this.peek())) this.fail(`Expected ${what}`);
    this.pos += 1;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos])) this.pos += 1;
    const name = this.src.slice(start, this.pos);
    return { name, key: name.toLowerCase() };
  }

  /** `top`: a whole filter (URNs and value paths allowed), else the value filter inside brackets. */
  private parseOr(top: boolean): FilterNode {
    let left = this.parseAnd(top);
    while (this.acceptKeyword('or')) left = { kind: 'or', left, right: this.parseAnd(top) };
    return left;
  }

  private parseAnd(top: boolean): FilterNode {
    let left = this.parseUnary(top);
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.parseUnary(top) };
    return left;
  }

  private parseUnary(top: boolean): FilterNode {
    this.skipSpace();
    const save = this.pos;
    if (this.readWord().toLowerCase() === 'not') {
      this.skipSpace();
      if (this.peek() === '(') return { kind: 'not', operand: this.parseGroup(top) };
    }
    // not a negation: whatever was read is the start of an attribute name
    this.pos = save;
    if (this.peek() === '(') return this.parseGroup(top);
    return this.parseComparison(top);
  }

  private parseGroup(top: boolean): FilterNode {
    const open = this.pos;
    this.pos += 1;
    const inner = this.parseOr(top);
    this.skipSpace();
    if (this.peek() !== ')') this.fail(`Expected ")" to close the group opened at position ${open}`);
    this.pos += 1;
    return inner;
  }

  private parseComparison(top: boolean): FilterNode {
    this.skipSpace();
    const schema = top ? this.parseFilterSchemaPrefix() : undefined;
    const at = schema ? { schema } : {};
    const path: PathSegment[] = [this.parseName('attribute name in filter')];
    for (;;) {
      if (top && this.peek() === '[') {
        const open = this.pos;
        this.pos += 1;
        path[path.length - 1].filter = this.parseOr(false);
        this.skipSpace();
        if (this.peek() !== ']') this.fail(`Expected "]" to close the value filter opened at position ${open}`);
        this.pos += 1;
        // `emails[type eq "work"]` is a filter of its own; `emails[…].value` goes on to an operator
        if (this.peek() !== '.') return { kind: 'valuePath', ...at, path };
      }
      if (this.peek() !== '.') break;
      this.pos += 1;
      path.push(this.parseName('sub-attribute name in filter'));
    }
    if (!this.skipSpace()) this.fail('Expected a space and an operator after the attribute name');
    const opStart = this.pos;
    const op = this.readWord().toLowerCase();
    if (op === 'pr') return { kind: 'present', ...at, path };
    if (!COMPARE_OPS.has(op)) {
      this.pos = opStart;
      this.fail(op ? `Unknown operator "${op}" (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)` : 'Expected an operator');
    }
    if (!this.skipSpace()) this.fail(`Expected a space and a value after "${op}"`);
    return { kind: 'compare', ...at, path, op: op as CompareOp, value: this.parseLiteral() };
  }

  /**
   * The URN of a fully qualified attribute in a filter: the text up to the next space, bracket
   * or parenthesis, split at its last ':' (the URN itself may contain dots, as in "2.0").
   */
  private parseFilterSchemaPrefix(): string | undefined {
    if (this.src.slice(this.pos, this.pos + 4).toLowerCase() !== 'urn:') return undefined;
    let end = this.pos;
    while (end < this.src.length && !/[\s[\]()]/.test(this.src[end])) end += 1;
    const lastColon = this.src.lastIndexOf(':', end - 1);
    const urn = this.src.slice(this.pos, lastColon);
    if (lastColon <= this.pos + 3 || !URN.test(urn)) this.fail('Invalid schema URN');
    this.pos = lastColon + 1;
    if (!NAME_START.test(this.peek())) this.fail('Expected an attribute name after the schema URN');
    return urn;
  }

  private parseLiteral(): Literal {
    const c = this.peek();
    if (c === '"') return this.parseString();
    const number = NUMBER.exec(this.src.slice(this.pos));
    if (number) {
      this.pos += number[0].length;
      return Number(number[0]);
    }
    const start = this.pos;
    const word = this.readWord().toLowerCase();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    this.pos = start;
    return this.fail('Expected a value: the comparison value must be a "quoted string", a number, true, false or null');
  }

  private parseString(): string {
    const open = this.pos;
    this.pos += 1;
    let out = '';
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '"') {
        this.pos += 1;
        return out;
      }
      if (c === '\\') {
        const e = this.src[this.pos + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.src.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(parseInt(this.src.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
          continue;
        }
        if (e === undefined || !(e in ESCAPES)) this.fail(`Invalid escape sequence "\\${e ?? ''}"`);
        out += ESCAPES[e];
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos += 1;
    }
    this.pos = open;
    return this.fail('Unterminated string');
  }

  private acceptKeyword(word: string): boolean {
    const save = this.pos;
    if (!this.skipSpace()) return false;
    if (this.readWord().toLowerCase() === word && !NAME_CHAR.test(this.peek())) return true;
    this.pos = save;
    return false;
  }

  private readWord(): string {
    const start = this.pos;
    while (this.pos < this.src.length && WORD_CHAR.test(this.src[this.pos])) this.pos += 1;
    return this.src.slice(start, this.pos);
  }

  /** Skips whitespace; reports whether there was any. */
  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos += 1;
    return this.pos > start;
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  private fail(detail: string): never {
    throw new MappingExpressionError(detail, this.pos, this.src);
  }
}
