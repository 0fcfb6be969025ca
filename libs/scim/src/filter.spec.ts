import { compileFilterCheck } from './filter-match';
import { composeIncrementalFilter, quoteScimString, validateScimFilter } from './filter';

describe('validateScimFilter', () => {
  it.each([
    'userName eq "bjensen"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    'emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work"].value ew "@example.com"',
    'not (active eq false)',
    'userName EQ "x" oR displayName Pr',
    'meta.lastModified gt "2011-05-13T04:42:34Z" and (title pr or userType eq "Employee")',
    'members[value eq "2819c223"]',
    'name.familyName co "O\'Malley"',
    'userName eq "a\\"b"',
    'employeeNumber eq 42 and active eq true and manager eq null',
  ])('accepts %s', (filter) => {
    expect(validateScimFilter(filter)).toEqual({ ok: true });
  });

  it.each([
    ['', /empty/],
    ['userName eq', /ends too early|missing operand/],
    ['userName eq "abc', /not terminated/],
    ['(userName eq "a"', /parentheses/],
    ['emails[type eq "work"', /square brackets/],
    ['userName eq abc', /must be a "quoted string"/],
    ['userName foo "x"', /Unknown operator "foo" \(expected eq, ne/],
    ['userName eq "a" and', /ends too early/],
    ['userName eq "a" junk', /Unexpected text after a complete expression: "junk"/],
  ])('rejects %j with a clear message', (filter, message) => {
    const result = validateScimFilter(filter);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(/^invalid SCIM filter/);
      expect(result.message).toMatch(message);
    }
  });
});

describe('quoteScimString', () => {
  it('escapes backslashes and double quotes', () => {
    expect(quoteScimString('plain')).toBe('"plain"');
    expect(quoteScimString('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteScimString('C:\\dir')).toBe('"C:\\\\dir"');
  });

  it('produces filters the parser accepts', () => {
    expect(validateScimFilter(`userName eq ${quoteScimString('we"ird\\name')}`)).toEqual({ ok: true });
  });
});

describe('composeIncrementalFilter', () => {
  const since = new Date('2025-03-04T05:06:07.890Z');

  it('is just the lastModified clause without a task filter, truncated to seconds', () => {
    expect(composeIncrementalFilter(undefined, since)).toBe('meta.lastModified gt "2025-03-04T05:06:07Z"');
    expect(composeIncrementalFilter('  ', since)).toBe('meta.lastModified gt "2025-03-04T05:06:07Z"');
  });

  it('parenthesises the task filter so its "or" cannot swallow the clause', () => {
    const filter = composeIncrementalFilter('active eq true or userType eq "Contractor"', since);
    expect(filter).toBe('(active eq true or userType eq "Contractor") and meta.lastModified gt "2025-03-04T05:06:07Z"');
    expect(validateScimFilter(filter)).toEqual({ ok: true });
  });

  it('refuses an invalid date', () => {
    expect(() => composeIncrementalFilter(undefined, new Date('nope'))).toThrow(RangeError);
  });
});

describe('compileFilterCheck', () => {
  // the rules themselves are tested once, in libs/mapping/src/filter-match.spec.ts
  it('judges a returned record with the shared evaluator, cautiously', () => {
    const check = compileFilterCheck('active eq true and userName sw "a"');
    expect(check({ id: '1', active: true, userName: 'ada' })).toBe(true);
    expect(check({ id: '1', active: false, userName: 'ada' })).toBe(false);
    // userName may just not have been returned
    expect(check({ id: '1', active: true })).toBeUndefined();
  });

  it('refuses a filter that does not parse', () => {
    expect(() => compileFilterCheck('userName eq')).toThrow(/^invalid SCIM filter/);
  });
});
