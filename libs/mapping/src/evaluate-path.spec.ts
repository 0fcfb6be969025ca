import { parseAttributePath } from './attribute-path';
import { evaluatePath } from './evaluate-path';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: '2819c223',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen', middleName: null },
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true, order: 1 },
    { value: 'babs@home.example.org', type: 'home', display: 'Babs', primary: 'false', order: '2' },
  ],
  phoneNumbers: [
    { value: '555-555-5555', type: 'work' },
    { value: '555-555-4444', type: 'mobile' },
  ],
  groups: [
    { value: 'e9e30dba', display: 'Tour Guides' },
    { value: 'fc348aa8', display: 'Employees' },
  ],
  entitlements: [
    { value: 'old', validUntil: '2023-12-31T23:59:59Z' },
    { value: 'current', validUntil: '2025-06-30T00:00:00+02:00' },
  ],
  members: [{ value: 123, display: 'numeric id' }],
  roles: ['admin', 'auditor'],
  x509Certificates: [],
  meta: { lastModified: '2024-05-01T10:00:00Z' },
  [ENTERPRISE]: {
    employeeNumber: '701984',
    department: 'Tour Operations',
    manager: { value: '26118915', displayName: 'John Smith' },
  },
};

describe('evaluatePath', () => {
  it.each<[string, unknown]>([
    ['userName', 'bjensen'],
    ['USERNAME', 'bjensen'],
    ['name.givenName', 'Barbara'],
    ['NAME.FAMILYNAME', 'Jensen'],
    ['name.middleName', undefined],
    ['nickName', undefined],
    ['name.nope.deeper', undefined],
    ['userName.value', undefined],
    ['active', true],
    ['emails.value', ['bjensen@example.com', 'babs@home.example.org']],
    ['emails[type eq "work"].value', ['bjensen@example.com']],
    ['emails[type eq "WORK"].value', ['bjensen@example.com']],
    ['emails[TYPE eq "home"].VALUE', ['babs@home.example.org']],
    ['emails[primary eq true].value', ['bjensen@example.com']],
    ['emails[primary eq false].value', ['babs@home.example.org']],
    ['emails[type eq "fax"].value', undefined],
    ['emails[type eq "work" or type eq "home"].value', ['bjensen@example.com', 'babs@home.example.org']],
    ['emails[type eq "work" and primary eq false].value', undefined],
    ['emails[not (type eq "work")].value', ['babs@home.example.org']],
    ['emails[type ne "work"].value', ['babs@home.example.org']],
    ['emails[value ew "@EXAMPLE.com"].value', ['bjensen@example.com']],
    ['emails[value co "home"].value', ['babs@home.example.org']],
    ['emails[value sw "b"].type', ['work', 'home']],
    ['emails[display pr].value', ['babs@home.example.org']],
    ['emails[display eq null].value', ['bjensen@example.com']],
    ['emails[display ne null].value', ['babs@home.example.org']],
    ['emails[order gt 1].value', ['babs@home.example.org']],
    ['emails[order le 1].value', ['bjensen@example.com']],
    ['emails[order eq 2].type', ['home']],
    ['emails[type gt "home"].value', ['bjensen@example.com']],
    ['entitlements[validUntil gt "2024-01-01T00:00:00Z"].value', ['current']],
    // dates compare as instants, eq included: 2025-06-30T00:00:00+02:00 is 22:00 UTC the day before
    ['entitlements[validUntil eq "2025-06-29T22:00:00Z"].value', ['current']],
    ['entitlements[validUntil ne "2025-06-29T22:00:00Z"].value', ['old']],
    ['entitlements[validUntil ge "2025-06-29T22:00:00Z"].value', ['current']],
    ['entitlements[validUntil lt "2024-01-01"].value', ['old']],
    ['groups.display', ['Tour Guides', 'Employees']],
    ['members[value eq "123"].display', ['numeric id']],
    ['members[value eq 123].display', ['numeric id']],
    ['roles.value', ['admin', 'auditor']],
    ['roles[value eq "auditor"]', ['auditor']],
    ['x509Certificates', undefined],
    ['x509Certificates.value', undefined],
    ['meta.lastModified', '2024-05-01T10:00:00Z'],
    [`${ENTERPRISE}:department`, 'Tour Operations'],
    [`${ENTERPRISE.toLowerCase()}:DEPARTMENT`, 'Tour Operations'],
    [`${ENTERPRISE}:manager.value`, '26118915'],
    [`${ENTERPRISE}:manager.displayName`, 'John Smith'],
    [`${ENTERPRISE}:costCenter`, undefined],
    ['urn:ietf:params:scim:schemas:extension:acme:1.0:User:badge', undefined],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName', 'bjensen'],
    ['urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value', ['bjensen@example.com']],
    ['constructor', undefined],
    ['toString', undefined],
    ['hasOwnProperty', undefined],
  ])('%s', (expr, expected) => {
    expect(evaluatePath(user, expr)).toEqual(expected);
  });

  it('matches keys case-insensitively in the record too', () => {
    const record = { UserName: 'x', NAME: { GivenName: 'Y' }, Emails: [{ Value: 'a@b', Type: 'Work' }], [ENTERPRISE.toUpperCase()]: { Department: 'D' } };
    expect(evaluatePath(record, 'userName')).toBe('x');
    expect(evaluatePath(record, 'name.givenName')).toBe('Y');
    expect(evaluatePath(record, 'emails[type eq "work"].value')).toEqual(['a@b']);
    expect(evaluatePath(record, `${ENTERPRISE}:department`)).toBe('D');
  });

  it('prefers the exact key over a case variant', () => {
    expect(evaluatePath({ username: 'lower', userName: 'exact' }, 'userName')).toBe('exact');
  });

  it('reads the primary schema of a custom resource at the top level', () => {
    const device = { schemas: ['urn:example:scim:schemas:Device'], serialNumber: 'SN1' };
    expect(evaluatePath(device, 'urn:example:scim:schemas:Device:serialNumber')).toBe('SN1');
  });

  it('accepts a pre-parsed path', () => {
    expect(evaluatePath(user, parseAttributePath('name.givenName'))).toBe('Barbara');
  });

  it.each([null, undefined, 'text', 42, ['array']])('returns undefined for a non-object record %p', (record) => {
    expect(evaluatePath(record, 'userName')).toBeUndefined();
  });

  it('treats string booleans as booleans in filters', () => {
    expect(evaluatePath({ emails: [{ value: 'a', primary: 'True' }, { value: 'b' }] }, 'emails[primary eq true].value')).toEqual(['a']);
  });

  it('keeps a single complex attribute single even through a filter', () => {
    expect(evaluatePath(user, `${ENTERPRISE}:manager[value pr].displayName`)).toBe('John Smith');
  });

  it('throws for a malformed string path', () => {
    expect(() => evaluatePath(user, 'emails[')).toThrow(/position/);
  });
});
