/**
 * The one set of filter semantics, for both uses: value filters in mapping expressions (a complete
 * record, SCIM defaults decide: COMPLETE_RECORD) and a listing checking what a server returned
 * for a task filter (RETURNED_RECORD: missing attributes and server-dependent answers are unknown).
 */
import { MappingExpressionError, parseFilter } from './attribute-path';
import { COMPLETE_RECORD, evaluateFilter, RETURNED_RECORD, type FilterVerdict } from './filter-match';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: '1',
  userName: 'Ada.Lovelace@example.com',
  active: true,
  title: 'Engineer',
  nickName: '',
  displayName: null,
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home', primary: 'false' },
  ],
  roles: ['admin', 'Auditor'],
  x509Certificates: [],
  meta: { lastModified: '2025-01-01T10:00:00.000Z', created: '2024-12-31T23:30:00-01:00' },
  [ENTERPRISE]: { department: 'Engineering', employeeNumber: '17', manager: { value: 'm1', displayName: 'Charles' } },
};

const verdict = (filter: string, semantics = COMPLETE_RECORD): FilterVerdict => evaluateFilter(user, parseFilter(filter), semantics);

describe('evaluateFilter: one set of rules', () => {
  // [filter, complete record, returned record]
  it.each<[string, FilterVerdict, FilterVerdict]>([
    // case rules: names and string values are case-insensitive (caseExact false)
    ['userName eq "ada.lovelace@example.com"', true, true],
    ['USERNAME EQ "ADA.LOVELACE@EXAMPLE.COM"', true, true],
    ['userName eq "someone@example.com"', false, false],
    ['userName sw "ADA"', true, true],
    ['userName ew ".COM"', true, true],
    ['userName co "lovelace"', true, true],
    // ne: no value equals; a case-only difference is a server's call
    ['userName ne "someone@example.com"', true, true],
    ['userName ne "Ada.Lovelace@example.com"', false, false],
    ['userName ne "ada.lovelace@EXAMPLE.com"', false, undefined],
    ['roles ne "admin"', false, undefined],
    ['roles ne "guest"', true, true],
    // a missing attribute: certain for a complete record, unknown for a returned one
    ['costCenter eq "CC-1"', false, undefined],
    ['costCenter ne "CC-1"', true, undefined],
    ['costCenter pr', false, undefined],
    // null
    ['displayName eq null', true, true],
    ['displayName ne null', false, false],
    ['costCenter eq null', true, undefined],
    ['title eq null', false, false],
    ['title ne null', true, true],
    // pr: null, "" and [] are not present; servers differ on "", so only "present" is certain there
    ['title pr', true, true],
    ['nickName pr', false, undefined],
    ['displayName pr', false, undefined],
    ['x509Certificates pr', false, undefined],
    ['emails pr', true, true],
    // booleans, numbers (numeric strings too)
    ['active eq true', true, true],
    ['active eq false', false, false],
    ['active ne false', true, true],
    [`${ENTERPRISE}:employeeNumber gt 10`, true, true],
    [`${ENTERPRISE}:employeeNumber le 16`, false, false],
    [`${ENTERPRISE}:employeeNumber eq 17`, true, true],
    // dates compare as instants (offsets honoured), eq included; within a second a returned record cannot tell
    ['meta.lastModified gt "2024-12-31T00:00:00Z"', true, true],
    ['meta.lastModified gt "2025-06-01T00:00:00Z"', false, false],
    ['meta.lastModified eq "2025-01-01T11:00:00+01:00"', true, true],
    ['meta.lastModified eq "2025-01-01T10:00:00Z"', true, true],
    ['meta.lastModified ge "2025-01-01"', true, true],
    ['meta.created eq "2025-01-01T00:30:00Z"', true, true],
    ['meta.lastModified gt "2025-01-01T10:00:00.500Z"', false, undefined],
    ['meta.lastModified lt "2025-01-01T10:00:00.500Z"', true, undefined],
    // plain strings are ordered by SCIM defaults for a mapping; a server's collation may differ
    ['userName gt "a"', true, undefined],
    ['title lt "Zebra"', true, undefined],
    // multi-valued: any value; a complex value compared directly stands for its `value`
    ['emails co "@home.example"', true, true],
    ['emails eq "nobody@example.com"', false, false],
    ['roles eq "auditor"', true, true],
    // value paths, sub-attributes after a value path, nested and/or, not
    ['emails[type eq "work" and value co "@example.com"]', true, true],
    ['emails[type eq "other"]', false, false],
    ['emails[primary eq false and type eq "home"]', true, true],
    ['emails[type eq "home"].value ew "@home.example"', true, true],
    ['emails[type eq "home"].value ew "@example.com"', false, false],
    ['emails[nope eq "x"]', false, undefined],
    ['not (active eq false)', true, true],
    ['not (costCenter pr)', true, undefined],
    ['(title eq "x" or title eq "engineer") and not (userName sw "b" or active eq false)', true, true],
    ['active eq false or (title pr and emails[type eq "work"])', true, true],
    ['active eq false and costCenter pr', false, false],
    ['active eq true or costCenter pr', true, true],
    ['active eq true and costCenter pr', false, undefined],
    // schema URNs: extensions by URN, core attributes fully qualified
    [`${ENTERPRISE}:department eq "Engineering"`, true, true],
    [`${ENTERPRISE}:department eq "Sales"`, false, false],
    [`${ENTERPRISE}:manager.displayName sw "ch"`, true, true],
    [`${ENTERPRISE}:manager eq "m1"`, true, true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:title eq "Engineer"', true, true],
    ['urn:ietf:params:scim:schemas:extension:acme:1.0:User:badge eq "x"', false, undefined],
  ])('%s -> complete %p, returned %p', (filter, complete, returned) => {
    expect(verdict(filter, COMPLETE_RECORD)).toBe(complete);
    expect(verdict(filter, RETURNED_RECORD)).toBe(returned);
  });

  it('never answers "cannot tell" for a complete record', () => {
    for (const f of ['costCenter eq "x"', 'nickName pr', 'userName gt "b"', 'meta.lastModified gt "2025-01-01T10:00:00.500Z"', 'roles ne "admin"']) {
      expect(typeof verdict(f, COMPLETE_RECORD)).toBe('boolean');
    }
  });

  it('tests one value of a multi-valued attribute as its own element (value filters in mappings)', () => {
    const node = parseFilter('type eq "work" and primary eq true');
    expect(evaluateFilter(user.emails[0], node)).toBe(true);
    expect(evaluateFilter(user.emails[1], node)).toBe(false);
    // a bare value is its own `value`
    expect(evaluateFilter('Auditor', parseFilter('value eq "auditor"'))).toBe(true);
  });
});

describe('parseFilter', () => {
  const step = (name: string) => ({ name, key: name.toLowerCase() });

  it('parses URN-qualified paths, value paths and sub-attributes after them', () => {
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "m1"`)).toEqual({ kind: 'compare', schema: ENTERPRISE, path: [step('manager'), step('value')], op: 'eq', value: 'm1' });
    expect(parseFilter('emails[type eq "work"]')).toEqual({ kind: 'valuePath', path: [{ ...step('emails'), filter: { kind: 'compare', path: [step('type')], op: 'eq', value: 'work' } }] });
    expect(parseFilter('emails[type eq "work"].value ew "x"')).toMatchObject({ kind: 'compare', path: [{ name: 'emails', filter: { kind: 'compare' } }, step('value')], op: 'ew' });
    expect(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z" and (title pr or userType eq "Employee")')).toMatchObject({
      kind: 'and',
      right: { kind: 'or', left: { kind: 'present' }, right: { kind: 'compare' } },
    });
  });

  it.each([
    ['', /Empty filter/],
    ['userName eq', /Expected a space and a value/],
    ['userName eq "a" junk', /Unexpected text after a complete expression: "junk"/],
    ['emails[type eq "work"', /Expected "\]" to close the value filter/],
    ['emails[name[x eq "y"] eq "z"]', /Expected a space and an operator/],
    ['urn:bad eq "x"', /Invalid schema URN/],
  ])('rejects %j', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(MappingExpressionError);
    expect(() => parseFilter(filter)).toThrow(message);
  });
});
