import { MappingExpressionError, parseAttributePath, validateAttributePath, type FilterNode } from './attribute-path';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const filterOf = (expr: string, index = 0): FilterNode | undefined => parseAttributePath(expr).segments[index].filter;
const step = (name: string) => ({ name, key: name.toLowerCase() });

describe('parseAttributePath', () => {
  it.each([
    ['userName', undefined, ['userName']],
    ['name.givenName', undefined, ['name', 'givenName']],
    ['  userName  ', undefined, ['userName']],
    ['members.$ref', undefined, ['members', '$ref']],
    ['x-custom_attr2', undefined, ['x-custom_attr2']],
    ['emails[type eq "work"].value', undefined, ['emails', 'value']],
    [`${ENTERPRISE}:department`, ENTERPRISE, ['department']],
    [`${ENTERPRISE}:manager.value`, ENTERPRISE, ['manager', 'value']],
    ['urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', 'urn:ietf:params:scim:schemas:core:2.0:User', ['name', 'givenName']],
    ['urn:example:scim:schemas:Device:serialNumber', 'urn:example:scim:schemas:Device', ['serialNumber']],
    [`${ENTERPRISE}:manager[value ew ":x"].value`, ENTERPRISE, ['manager', 'value']],
    ['members[value eq "a:b"].display', undefined, ['members', 'display']],
    ['URN:IETF:params:scim:schemas:extension:acme:1.0:User:badge', 'URN:IETF:params:scim:schemas:extension:acme:1.0:User', ['badge']],
  ])('%s', (expr, schema, expected) => {
    const parsed = parseAttributePath(expr);
    expect(parsed.expression).toBe(expr);
    expect(parsed.schema).toBe(schema);
    expect(parsed.segments.map((s) => s.name)).toEqual(expected);
  });

  it('lower-cases lookup keys but keeps the written names', () => {
    expect(parseAttributePath('Name.GivenName').segments).toEqual([step('Name'), step('GivenName')]);
  });

  it.each([
    ['emails[type eq "work"]', { kind: 'compare', path: [step('type')], op: 'eq', value: 'work' }],
    ['emails[primary eq true]', { kind: 'compare', path: [step('primary')], op: 'eq', value: true }],
    ['emails[primary EQ False]', { kind: 'compare', path: [step('primary')], op: 'eq', value: false }],
    ['emails[display eq null]', { kind: 'compare', path: [step('display')], op: 'eq', value: null }],
    ['emails[order ge -1.5e2]', { kind: 'compare', path: [step('order')], op: 'ge', value: -150 }],
    ['emails[order lt 0]', { kind: 'compare', path: [step('order')], op: 'lt', value: 0 }],
    ['emails[display pr]', { kind: 'present', path: [step('display')] }],
    ['emails[  type   eq   "work"  ]', { kind: 'compare', path: [step('type')], op: 'eq', value: 'work' }],
    ['emails[value eq "say \\"hi\\" \\\\ \\u00e9\\n"]', { kind: 'compare', path: [step('value')], op: 'eq', value: 'say "hi" \\ é\n' }],
    ['emails[value eq "a ] b"]', { kind: 'compare', path: [step('value')], op: 'eq', value: 'a ] b' }],
    ['x[meta.lastModified gt "2024-01-01T00:00:00Z"]', { kind: 'compare', path: [step('meta'), step('lastModified')], op: 'gt', value: '2024-01-01T00:00:00Z' }],
    [
      'emails[type eq "work" and primary eq true]',
      {
        kind: 'and',
        left: { kind: 'compare', path: [step('type')], op: 'eq', value: 'work' },
        right: { kind: 'compare', path: [step('primary')], op: 'eq', value: true },
      },
    ],
    [
      // "and" binds tighter than "or"
      'emails[type eq "a" or type eq "b" and primary eq true]',
      {
        kind: 'or',
        left: { kind: 'compare', path: [step('type')], op: 'eq', value: 'a' },
        right: {
          kind: 'and',
          left: { kind: 'compare', path: [step('type')], op: 'eq', value: 'b' },
          right: { kind: 'compare', path: [step('primary')], op: 'eq', value: true },
        },
      },
    ],
    [
      'emails[(type eq "a" or type eq "b") AND primary eq true]',
      {
        kind: 'and',
        left: {
          kind: 'or',
          left: { kind: 'compare', path: [step('type')], op: 'eq', value: 'a' },
          right: { kind: 'compare', path: [step('type')], op: 'eq', value: 'b' },
        },
        right: { kind: 'compare', path: [step('primary')], op: 'eq', value: true },
      },
    ],
    ['emails[not (type eq "work")]', { kind: 'not', operand: { kind: 'compare', path: [step('type')], op: 'eq', value: 'work' } }],
    ['emails[notes eq "x"]', { kind: 'compare', path: [step('notes')], op: 'eq', value: 'x' }],
  ])('filter %s', (expr, expected) => {
    expect(filterOf(expr)).toEqual(expected);
  });

  it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])('accepts operator %s', (op) => {
    expect(filterOf(`emails[value ${op} "x"]`)).toMatchObject({ kind: 'compare', op });
    expect(filterOf(`emails[value ${op.toUpperCase()} "x"]`)).toMatchObject({ kind: 'compare', op });
  });

  it.each([
    ['', 0, /Empty attribute expression/],
    ['   ', 3, /Empty attribute expression/],
    ['.userName', 0, /Expected attribute name/],
    ['name.', 5, /Expected attribute name/],
    ['name..givenName', 5, /Expected attribute name/],
    ['1abc', 0, /Expected attribute name/],
    ['user name', 5, /Unexpected character "n"/],
    ['emails[type eq "work"', 21, /Expected "\]" to close the value filter opened at position 6/],
    ['emails[type eq "work].value', 15, /Unterminated string/],
    ['emails[type xx "work"]', 12, /Unknown operator "xx"/],
    ['emails[type eq work]', 15, /Expected a value/],
    ['emails[type eq"work"]', 14, /Expected a space and a value after "eq"/],
    ['emails[type]', 11, /Expected a space and an operator/],
    ['emails[value eq "a\\qb"]', 18, /Invalid escape sequence "\\q"/],
    ['emails[]', 7, /Expected attribute name in filter/],
    ['emails[type eq "work"]value', 22, /Unexpected character "v"/],
    ['emails[(type eq "work"]', 22, /Expected "\)" to close the group opened at position 7/],
    ['emails[type eq "a" and]', 22, /Expected attribute name in filter/],
    [`${ENTERPRISE}:`, ENTERPRISE.length + 1, /Expected an attribute name after the schema URN/],
    ['urn:foo', 0, /Invalid schema URN/],
    ['urn:ietf:bad urn:x', 0, /Invalid schema URN/],
  ])('rejects %j at position %i', (expr, position, message) => {
    let error: unknown;
    try {
      parseAttributePath(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MappingExpressionError);
    const err = error as MappingExpressionError;
    expect(err.position).toBe(position);
    expect(err.expression).toBe(expr);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`at position ${position}`);
  });

  it('rejects non-strings', () => {
    expect(() => parseAttributePath(undefined as unknown as string)).toThrow(MappingExpressionError);
  });
});

describe('validateAttributePath', () => {
  it('reports ok for valid expressions', () => {
    expect(validateAttributePath('emails[type eq "work"].value')).toEqual({ ok: true });
  });

  it('returns the error message instead of throwing', () => {
    expect(validateAttributePath('emails[type eq')).toEqual({ ok: false, message: expect.stringContaining('at position 14') });
  });
});
