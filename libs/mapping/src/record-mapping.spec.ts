import { MappingExpressionError } from './attribute-path';
import { compileRecordMapping, MappingConfigError } from './record-mapping';
import { stableHash } from './stable-hash';
import type { AttributeMapping, MapResult, RecordMapping, TargetAttribute, Transform } from './mapping-types';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const targets: TargetAttribute[] = [
  { code: 'login', type: 'string' },
  { code: 'mail', type: 'string' },
  { code: 'mails', type: 'string', multiple: true },
  { code: 'firstName', type: 'string' },
  { code: 'employeeNo', type: 'number' },
  { code: 'enabled', type: 'boolean' },
  { code: 'modified', type: 'datetime' },
  { code: 'manager', type: 'reference' },
  { code: 'department', type: 'string' },
  { code: 'groupNames', type: 'string', multiple: true },
  { code: 'groupIds', type: 'reference', multiple: true },
  { code: 'source', type: 'string' },
  { code: 'score', type: 'number' },
  { code: 'flags', type: 'boolean', multiple: true },
];

const user = {
  id: '2819c223',
  userName: 'bjensen',
  externalId: 701984,
  name: { givenName: '  Barbara ', familyName: 'Jensen' },
  active: 'True',
  emails: [
    { value: 'BJensen@Example.com', type: 'work', primary: true },
    { value: 'babs@home.example.org', type: 'home' },
  ],
  groups: [
    { value: 'g1', display: 'Tour Guides' },
    { value: 'g2', display: 'Employees' },
  ],
  meta: { lastModified: '2024-05-01T12:00:00+02:00' },
  [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '26118915', displayName: 'John' } },
};

function mapOne(attributes: AttributeMapping[], record: unknown = user, unique = { external: 'userName', local: 'login' }): MapResult {
  return compileRecordMapping({ unique, attributes }, targets).map(record);
}

function attrsOf(result: MapResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.attributes;
}

describe('compileRecordMapping', () => {
  it('maps a full identity record', () => {
    const mapping: RecordMapping = {
      unique: { external: 'userName', local: 'login' },
      attributes: [
        { external: 'emails[primary eq true].value', local: 'mail', transforms: [{ op: 'lower' }] },
        { external: 'emails.value', local: 'mails' },
        { external: 'name.givenName', local: 'firstName', transforms: [{ op: 'trim' }] },
        { external: `${ENTERPRISE}:employeeNumber`, local: 'employeeNo' },
        { external: 'active', local: 'enabled' },
        { external: 'meta.lastModified', local: 'modified' },
        { external: `${ENTERPRISE}:manager`, local: 'manager' },
        { external: `${ENTERPRISE}:department`, local: 'department', transforms: [{ op: 'upper' }] },
        { external: 'groups.display', local: 'groupNames' },
        { external: 'groups', local: 'groupIds' },
        { constant: 'scim', local: 'source' },
      ],
    };
    const result = compileRecordMapping(mapping, targets).map(user);
    expect(result).toEqual({
      ok: true,
      uniqueValue: 'bjensen',
      attributes: {
        login: 'bjensen',
        mail: 'bjensen@example.com',
        mails: ['BJensen@Example.com', 'babs@home.example.org'],
        firstName: 'Barbara',
        employeeNo: 701984,
        enabled: true,
        modified: '2024-05-01T10:00:00.000Z',
        manager: '26118915',
        department: 'TOUR OPERATIONS',
        groupNames: ['Tour Guides', 'Employees'],
        groupIds: ['g1', 'g2'],
        source: 'scim',
      },
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(result.ok && result.hash).toBe(stableHash({ uniqueValue: 'bjensen', attributes: (result as { attributes: unknown }).attributes }));
  });

  describe('unique value', () => {
    it.each<[string, unknown, string | undefined]>([
      ['userName', user, 'bjensen'],
      ['USERNAME', user, 'bjensen'],
      ['externalId', user, '701984'],
      ['emails.value', user, 'BJensen@Example.com'],
      [`${ENTERPRISE}:manager`, user, '26118915'],
      ['active', { active: false }, 'false'],
      ['nickName', user, undefined],
      ['userName', { userName: '' }, undefined],
      ['userName', { userName: '   ' }, undefined],
      ['userName', { userName: null }, undefined],
      ['emails[type eq "fax"].value', user, undefined],
      ['name', user, undefined],
    ])('%s', (external, record, expected) => {
      const result = mapOne([], record, { external, local: 'login' });
      if (expected === undefined) expect(result).toEqual({ ok: false, reason: `missing unique attribute "${external}"` });
      else expect(result).toMatchObject({ ok: true, uniqueValue: expected, attributes: { login: expected } });
    });

    it('lets an attribute mapping own the unique local attribute', () => {
      const result = mapOne([{ external: 'userName', local: 'login', transforms: [{ op: 'upper' }] }]);
      expect(result).toMatchObject({ ok: true, uniqueValue: 'bjensen', attributes: { login: 'BJENSEN' } });
    });

    it('coerces the stored unique value to its target type', () => {
      const result = mapOne([], { employeeNumber: '0042' }, { external: 'employeeNumber', local: 'employeeNo' });
      expect(result).toMatchObject({ ok: true, uniqueValue: '0042', attributes: { employeeNo: 42 } });
    });

    it('rejects records that are not objects', () => {
      expect(mapOne([], null)).toEqual({ ok: false, reason: 'record is not an object' });
      expect(mapOne([], [user])).toEqual({ ok: false, reason: 'record is not an object' });
    });
  });

  describe('cardinality', () => {
    it.each<[string, string, unknown]>([
      ['emails.value', 'mail', 'BJensen@Example.com'],
      ['emails.value', 'mails', ['BJensen@Example.com', 'babs@home.example.org']],
      ['userName', 'mails', ['bjensen']],
      ['nickName', 'mails', []],
      ['nickName', 'mail', null],
      ['emails[type eq "home"].value', 'mail', 'babs@home.example.org'],
    ])('%s -> %s', (external, local, expected) => {
      expect(attrsOf(mapOne([{ external, local }]))[local]).toEqual(expected);
    });
  });

  describe('type coercion', () => {
    const coerce = (value: unknown, local: string) => mapOne([{ external: 'v', local }], { userName: 'u', v: value });
    it.each<[string, unknown, unknown]>([
      ['employeeNo', '42', 42],
      ['employeeNo', ' 42 ', 42],
      ['employeeNo', '-4.5e1', -45],
      ['employeeNo', 7, 7],
      ['employeeNo', '', null],
      ['employeeNo', { value: '9' }, 9],
      ['enabled', 'true', true],
      ['enabled', ' FALSE ', false],
      ['enabled', false, false],
      ['enabled', '', null],
      ['modified', '2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
      ['modified', '2024-01-02T04:04:05.5+01:00', '2024-01-02T03:04:05.500Z'],
      ['modified', '2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
      ['modified', '2024-01-02', '2024-01-02T00:00:00.000Z'],
      ['modified', 0, '1970-01-01T00:00:00.000Z'],
      ['mail', 42, '42'],
      ['mail', true, 'true'],
      ['mail', { value: 'inner' }, 'inner'],
      ['mail', { b: 1, a: 2 }, '{"a":2,"b":1}'],
      ['mail', '', ''],
      ['manager', { value: 'm1', $ref: '../Users/m1' }, 'm1'],
      ['flags', ['true', false, 'FALSE'], [true, false, false]],
    ])('%s <- %j', (local, value, expected) => {
      expect(attrsOf(coerce(value, local))[local]).toEqual(expected);
    });

    it.each<[string, unknown, string]>([
      ['employeeNo', 'abc', 'number'],
      ['employeeNo', true, 'number'],
      ['employeeNo', '12abc', 'number'],
      ['enabled', 'yes', 'boolean'],
      ['enabled', 1, 'boolean'],
      ['modified', 'yesterday', 'datetime'],
      ['modified', '2024-02-30', 'datetime'],
      ['modified', '2024-01-02T25:00:00Z', 'datetime'],
      ['manager', { displayName: 'no value' }, 'reference'],
      ['flags', ['true', 'maybe'], 'boolean'],
    ])('fails the record for %s <- %j', (local, value, type) => {
      const result = coerce(value, local);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toMatch(new RegExp(`^attribute "${local}": cannot convert .* from "v" to ${type}$`));
    });
  });

  describe('transforms', () => {
    const run = (value: unknown, transforms: Transform[], local = 'mail') => attrsOf(mapOne([{ external: 'v', local, transforms }], { userName: 'u', v: value }))[local];
    it.each<[unknown, Transform[], string, unknown]>([
      ['MiXeD', [{ op: 'lower' }], 'mail', 'mixed'],
      ['MiXeD', [{ op: 'upper' }], 'mail', 'MIXED'],
      ['  padded  ', [{ op: 'trim' }], 'mail', 'padded'],
      ['  padded  ', [{ op: 'trim' }, { op: 'upper' }], 'mail', 'PADDED'],
      [[' A ', 'B '], [{ op: 'trim' }, { op: 'lower' }], 'mails', ['a', 'b']],
      [['a', 'b', 'c'], [{ op: 'join' }], 'mail', 'a, b, c'],
      [['a', 'b'], [{ op: 'join', separator: ';' }], 'mail', 'a;b'],
      [[{ value: 'x' }, { value: 'y' }], [{ op: 'join', separator: '|' }], 'mail', 'x|y'],
      [['a', '', null, 'b'], [{ op: 'join' }], 'mail', 'a, b'],
      ['scalar', [{ op: 'join' }], 'mail', 'scalar'],
      [[], [{ op: 'join' }, { op: 'default', value: 'none' }], 'mail', 'none'],
      [undefined, [{ op: 'default', value: 'n/a' }], 'mail', 'n/a'],
      ['', [{ op: 'default', value: 'n/a' }], 'mail', 'n/a'],
      ['   ', [{ op: 'trim' }, { op: 'default', value: 'n/a' }], 'mail', 'n/a'],
      ['set', [{ op: 'default', value: 'n/a' }], 'mail', 'set'],
      [undefined, [{ op: 'default', value: 'x' }, { op: 'upper' }], 'mail', 'X'],
      [undefined, [{ op: 'default', value: 5 }], 'score', 5],
      [undefined, [{ op: 'default', value: true }], 'enabled', true],
      [12, [{ op: 'lower' }], 'score', 12],
    ])('%j with %j', (value, transforms, local, expected) => {
      expect(run(value, transforms, local)).toEqual(expected);
    });
  });

  describe('constants', () => {
    it.each<[string | number | boolean, string, unknown]>([
      ['scim', 'source', 'scim'],
      ['true', 'enabled', true],
      [false, 'enabled', false],
      ['17', 'score', 17],
      [3, 'mails', ['3']],
    ])('%j -> %s', (constant, local, expected) => {
      expect(attrsOf(mapOne([{ constant, local }]))[local]).toEqual(expected);
    });

    it('applies transforms to constants', () => {
      expect(attrsOf(mapOne([{ constant: 'Scim', local: 'source', transforms: [{ op: 'upper' }] }])).source).toBe('SCIM');
    });

    it('uses a constant as fallback when the external path yields nothing', () => {
      expect(attrsOf(mapOne([{ external: 'nickName', constant: 'none', local: 'source' }])).source).toBe('none');
      expect(attrsOf(mapOne([{ external: 'userName', constant: 'none', local: 'source' }])).source).toBe('bjensen');
    });
  });

  describe('configuration errors', () => {
    it.each<[string, RecordMapping, RegExp]>([
      ['unknown target', { unique: { external: 'userName', local: 'login' }, attributes: [{ external: 'x', local: 'nope' }] }, /unknown target attribute "nope"/],
      ['unknown unique target', { unique: { external: 'userName', local: 'nope' }, attributes: [] }, /unknown target attribute "nope"/],
      ['duplicate target', { unique: { external: 'userName', local: 'login' }, attributes: [{ external: 'a', local: 'mail' }, { external: 'b', local: 'mail' }] }, /"mail" is mapped more than once/],
      ['no source', { unique: { external: 'userName', local: 'login' }, attributes: [{ local: 'mail' }] }, /needs an external expression or a constant/],
      ['unknown transform', { unique: { external: 'userName', local: 'login' }, attributes: [{ external: 'a', local: 'mail', transforms: [{ op: 'reverse' } as unknown as Transform] }] }, /unknown transform "reverse"/],
      ['missing unique', { attributes: [] } as unknown as RecordMapping, /mapping.unique/],
    ])('%s', (_label, mapping, message) => {
      expect(() => compileRecordMapping(mapping, targets)).toThrow(MappingConfigError);
      expect(() => compileRecordMapping(mapping, targets)).toThrow(message);
    });

    it('reports bad expressions with their position at compile time', () => {
      const mapping = { unique: { external: 'userName', local: 'login' }, attributes: [{ external: 'emails[type eq', local: 'mail' }] };
      expect(() => compileRecordMapping(mapping, targets)).toThrow(MappingExpressionError);
    });

    it('can treat unknown targets as single strings', () => {
      const mapper = compileRecordMapping({ unique: { external: 'userName', local: 'uid' }, attributes: [{ external: 'externalId', local: 'legacy' }] }, targets, { unknownTargets: 'string' });
      expect(mapper.map(user)).toMatchObject({ ok: true, attributes: { uid: 'bjensen', legacy: '701984' } });
    });

    it('resolves target codes case-insensitively and keys results by the target code', () => {
      expect(attrsOf(mapOne([{ external: 'name.familyName', local: 'FIRSTNAME' }]))).toHaveProperty('firstName', 'Jensen');
    });
  });

  describe('hash', () => {
    const mapping: RecordMapping = {
      unique: { external: 'userName', local: 'login' },
      attributes: [
        { external: 'emails[type eq "work"].value', local: 'mail' },
        { external: 'groups.display', local: 'groupNames' },
      ],
    };
    const mapper = compileRecordMapping(mapping, targets);
    const hashOf = (record: unknown) => {
      const r = mapper.map(record);
      return r.ok ? r.hash : r.reason;
    };

    it('ignores key order and irrelevant attributes of the source', () => {
      const reordered = { groups: user.groups, title: 'ignored', emails: [...user.emails], userName: 'bjensen' };
      expect(hashOf(reordered)).toBe(hashOf(user));
    });

    it('changes when a mapped value or the unique value changes', () => {
      expect(hashOf({ ...user, emails: [{ value: 'new@example.com', type: 'work' }] })).not.toBe(hashOf(user));
      expect(hashOf({ ...user, userName: 'other' })).not.toBe(hashOf(user));
      expect(hashOf({ ...user, groups: [...user.groups].reverse() })).not.toBe(hashOf(user));
    });
  });

  // speed is measured in bench/, never asserted here: this checks that a compiled mapper is reusable
  it('maps many records with one compiled mapper', () => {
    const mapping: RecordMapping = {
      unique: { external: 'userName', local: 'login' },
      attributes: [
        { external: 'emails[type eq "work"].value', local: 'mail', transforms: [{ op: 'lower' }] },
        { external: 'name.givenName', local: 'firstName' },
        { external: `${ENTERPRISE}:employeeNumber`, local: 'employeeNo' },
        { external: 'active', local: 'enabled' },
        { external: 'meta.lastModified', local: 'modified' },
        { external: 'groups.display', local: 'groupNames' },
      ],
    };
    const mapper = compileRecordMapping(mapping, targets);
    const records = Array.from({ length: 5_000 }, (_, i) => ({ ...user, userName: `user${i}` }));
    const logins = new Set<unknown>();
    for (const record of records) {
      const r = mapper.map(record);
      expect(r.ok).toBe(true);
      if (r.ok) logins.add(r.uniqueValue);
    }
    expect(logins.size).toBe(records.length);
  });
});
