import { BenchDataSet, ENTERPRISE_USER } from './data-generator';
import { jsonOfParts, parseAttributesParam, projectParts, projectResource, projectionKey } from './scim-projection';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

const user = {
  schemas: [CORE_USER, ENTERPRISE_USER],
  id: 'u1',
  externalId: 'hr-1',
  userName: 'ann@example.com',
  name: { formatted: 'Ann Lee', familyName: 'Lee', givenName: 'Ann' },
  displayName: 'Ann Lee',
  active: false,
  emails: [
    { value: 'ann@example.com', type: 'work', primary: true },
    { value: 'ann@home.example.org', type: 'home' },
  ],
  phoneNumbers: [{ value: '+358 1', type: 'work' }],
  [ENTERPRISE_USER]: { employeeNumber: '1', department: 'R&D', manager: { value: 'u0', displayName: 'Bo' } },
  meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z', lastModified: '2020-02-01T00:00:00Z' },
};

const group = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'g1',
  displayName: 'Admins',
  members: [
    { value: 'u1', display: 'Ann Lee', type: 'User' },
    { value: 'u2', display: 'Bo', type: 'User' },
  ],
  meta: { resourceType: 'Group', lastModified: '2020-01-01T00:00:00Z' },
};

describe('projectResource (RFC 7644 §3.4.2.5 attributes=)', () => {
  it('returns the resource itself when no attribute is named', () => {
    expect(projectResource(user, [])).toBe(user);
  });

  it('always returns id and schemas, and of the rest only what was named', () => {
    expect(projectResource(user, ['userName'])).toEqual({ schemas: user.schemas, id: 'u1', userName: 'ann@example.com' });
    expect(projectResource(group, ['displayName'])).toEqual({ schemas: group.schemas, id: 'g1', displayName: 'Admins' });
  });

  it('keeps a whole complex attribute, or only the named sub-attributes', () => {
    expect(projectResource(user, ['name'])).toEqual({ schemas: user.schemas, id: 'u1', name: user.name });
    expect(projectResource(user, ['name.givenName', 'name.familyName'])).toEqual({
      schemas: user.schemas,
      id: 'u1',
      name: { familyName: 'Lee', givenName: 'Ann' },
    });
    expect(projectResource(user, ['meta.lastModified'])).toEqual({ schemas: user.schemas, id: 'u1', meta: { lastModified: '2020-02-01T00:00:00Z' } });
  });

  it('takes a sub-attribute of every value of a multi-valued attribute', () => {
    expect(projectResource(user, ['emails.value'])).toEqual({
      schemas: user.schemas,
      id: 'u1',
      emails: [{ value: 'ann@example.com' }, { value: 'ann@home.example.org' }],
    });
    expect(projectResource(group, ['members.value'])).toEqual({ schemas: group.schemas, id: 'g1', members: [{ value: 'u1' }, { value: 'u2' }] });
    expect(projectResource(group, ['members'])).toEqual({ schemas: group.schemas, id: 'g1', members: group.members });
  });

  it('reads extension attributes by their URN, and the whole extension by the URN alone', () => {
    expect(projectResource(user, [`${ENTERPRISE_USER}:department`, `${ENTERPRISE_USER}:manager.value`])).toEqual({
      schemas: user.schemas,
      id: 'u1',
      [ENTERPRISE_USER]: { department: 'R&D', manager: { value: 'u0' } },
    });
    expect(projectResource(user, [ENTERPRISE_USER])).toEqual({ schemas: user.schemas, id: 'u1', [ENTERPRISE_USER]: user[ENTERPRISE_USER] });
  });

  it('reads core attributes named with the core schema URN; the URN alone is everything', () => {
    expect(projectResource(user, [`${CORE_USER}:userName`, `${CORE_USER}:name.givenName`])).toEqual({
      schemas: user.schemas,
      id: 'u1',
      userName: 'ann@example.com',
      name: { givenName: 'Ann' },
    });
    expect(projectResource(user, [CORE_USER])).toBe(user);
  });

  it('matches names case-insensitively and keeps the resource spelling', () => {
    const odd = { Schemas: user.schemas, ID: 'u1', UserName: 'ann', Name: { GivenName: 'Ann', familyName: 'Lee' } };
    expect(projectResource(odd, ['username', 'NAME.givenname'])).toEqual({ Schemas: user.schemas, ID: 'u1', UserName: 'ann', Name: { GivenName: 'Ann' } });
    expect(projectResource(user, [`${ENTERPRISE_USER.toUpperCase()}:DEPARTMENT`])).toEqual({ schemas: user.schemas, id: 'u1', [ENTERPRISE_USER]: { department: 'R&D' } });
  });

  it('ignores names that match nothing and leaves no empty values behind', () => {
    expect(projectResource(user, ['nickName', 'urn:example:unknown:attr', 'name.middleName', 'active.value'])).toEqual({ schemas: user.schemas, id: 'u1' });
    // false is a value, not an absence
    expect(projectResource(user, ['active'])).toEqual({ schemas: user.schemas, id: 'u1', active: false });
  });

  it('a whole attribute wins over one of its sub-attributes, in either order', () => {
    const both = { schemas: user.schemas, id: 'u1', name: user.name };
    expect(projectResource(user, ['name.givenName', 'name'])).toEqual(both);
    expect(projectResource(user, ['name', 'name.givenName'])).toEqual(both);
  });
});

describe('parseAttributesParam and projectionKey', () => {
  it('splits the comma-separated list, ignoring blanks', () => {
    expect(parseAttributesParam(null)).toEqual([]);
    expect(parseAttributesParam(' ')).toEqual([]);
    expect(parseAttributesParam('id, userName,,name.givenName ')).toEqual(['id', 'userName', 'name.givenName']);
  });

  it('spells the same list the same way whatever its order and case', () => {
    expect(projectionKey(['userName', 'ID', 'id'])).toBe(projectionKey(['id', 'username']));
  });
});

describe('projectParts (the fixture source projection of generated records)', () => {
  const ds = new BenchDataSet({ users: 200, groups: 20, membershipsPerUser: 3, devices: 20, seed: 1 });
  ds.setLocationBase('http://127.0.0.1/scim/v2');
  const lists = [
    [],
    ['id', 'meta', 'userName', 'emails', 'name.givenName', 'name.familyName', `${ENTERPRISE_USER}:department`, `${ENTERPRISE_USER}:manager.value`, 'active'],
    ['userName', ENTERPRISE_USER],
    ['emails.value', 'meta.lastModified', 'displayName', 'members', 'members.value'],
    ['id', 'meta', 'displayName', 'members.value'],
    ['serialNumber', 'owner.value', 'status'],
    ['urn:ietf:params:scim:schemas:core:2.0:Group', 'nothing'],
  ];

  it('gives the same text as projectResource on the parsed record', () => {
    const records = [
      ...Array.from({ length: 200 }, (_, i) => ds.userParts(i)),
      ...Array.from({ length: 20 }, (_, g) => ds.groupParts(g)),
      ...Array.from({ length: 20 }, (_, g) => ds.groupParts(g, false)),
      ...Array.from({ length: 20 }, (_, d) => ds.deviceParts(d)),
    ];
    for (const parts of records) {
      const json = jsonOfParts(parts);
      expect(JSON.stringify(JSON.parse(json))).toBe(json);
      for (const attributes of lists) {
        expect(projectParts(parts, attributes)).toBe(JSON.stringify(projectResource(JSON.parse(json) as Record<string, unknown>, attributes)));
      }
    }
  });

  it('the generator joins the same parts into its records', () => {
    expect(jsonOfParts(ds.userParts(7))).toBe(ds.userJson(7));
    expect(jsonOfParts(ds.groupParts(3, false))).toBe(ds.groupJson(3, false));
    expect(jsonOfParts(ds.deviceParts(4))).toBe(ds.deviceJson(4));
  });
});
