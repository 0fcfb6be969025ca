import { compileFilterCheck } from './filter-match';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  id: '1',
  userName: 'Ada.Lovelace@example.com',
  active: true,
  title: 'Engineer',
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
  meta: { lastModified: '2025-01-01T10:00:00.000Z' },
  [ENTERPRISE]: { department: 'Engineering', employeeNumber: '17' },
};

describe('compileFilterCheck (three-valued)', () => {
  it.each([
    ['userName eq "ada.lovelace@example.com"', true],
    ['userName eq "someone@example.com"', false],
    ['userName sw "ADA"', true],
    ['active eq false', false],
    [`${ENTERPRISE}:department eq "Engineering"`, true],
    [`${ENTERPRISE}:department eq "Sales"`, false],
    ['urn:ietf:params:scim:schemas:core:2.0:User:title eq "Engineer"', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "other"]', false],
    ['emails co "@home.example"', true],
    ['meta.lastModified gt "2024-12-31T00:00:00Z"', true],
    ['meta.lastModified gt "2025-06-01T00:00:00Z"', false],
    ['not (active eq false)', true],
    [`${ENTERPRISE}:employeeNumber gt 10`, true],
  ])('%s -> %s', (filter, expected) => {
    expect(compileFilterCheck(filter)(user)).toBe(expected);
  });

  it.each([
    // Absent attributes may just not have been returned.
    'costCenter eq "CC-1"',
    'nickName pr',
    // Sub-second precision is a guess, and so is string ordering.
    'meta.lastModified gt "2025-01-01T10:00:00.500Z"',
    'userName gt "a"',
    // Case-only differences may or may not match on a caseExact server.
    'userName ne "ada.lovelace@EXAMPLE.com"',
  ])('%s -> undefined (cannot tell)', (filter) => {
    expect(compileFilterCheck(filter)(user)).toBeUndefined();
  });

  it('combines with Kleene logic', () => {
    expect(compileFilterCheck('active eq false and nickName pr')(user)).toBe(false);
    expect(compileFilterCheck('active eq true or nickName pr')(user)).toBe(true);
    expect(compileFilterCheck('active eq true and nickName pr')(user)).toBeUndefined();
    expect(compileFilterCheck('not (nickName pr)')(user)).toBeUndefined();
  });
});
