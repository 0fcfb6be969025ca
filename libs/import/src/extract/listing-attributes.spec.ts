import type { MappingSectionConfig, TaskConfig } from '../run-config/task-config';
import { listingAttributes, projectionIgnored, projectionMismatch } from './listing-attributes';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function section(over: Partial<MappingSectionConfig> = {}): MappingSectionConfig {
  return { templateCode: 't', folderCode: 'f', unique: { external: 'userName', local: 'login' }, attributes: [], ...over };
}

describe('listingAttributes', () => {
  it('names id, meta, the unique identifier and every mapped attribute, sub-attributes and extension URNs included', () => {
    const config: TaskConfig = {
      identity: section({
        attributes: [
          { external: 'name.givenName', local: 'first' },
          { external: 'emails[type eq "work"].value', local: 'mail' },
          { external: `${ENTERPRISE}:department`, local: 'dept' },
          { external: `${ENTERPRISE}:manager.value`, local: 'manager' },
          { constant: 'x', local: 'source' },
        ],
      }),
    };
    expect(listingAttributes(config, 'identity')).toEqual(['id', 'meta', 'userName', 'name.givenName', 'emails', `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`]);
  });

  it('asks for members only when the access mapping maps memberships', () => {
    const access = section({ unique: { external: 'displayName', local: 'name' } });
    expect(listingAttributes({ access }, 'access')).toEqual(['id', 'meta', 'displayName']);
    expect(listingAttributes({ access: { ...access, members: { local: 'accounts' } } }, 'access')).toEqual(['id', 'meta', 'displayName', 'members']);
    // members means nothing on users
    expect(listingAttributes({ identity: { ...access, members: { local: 'accounts' } } }, 'identity')).toEqual(['id', 'meta', 'displayName']);
  });

  it('adds what the filter tests, value paths as their whole attribute', () => {
    const config: TaskConfig = { identity: section() };
    expect(listingAttributes(config, 'identity', 'active eq true and (emails[type eq "work" and primary eq true] or not (title co "x"))')).toEqual([
      'id',
      'meta',
      'userName',
      'active',
      'emails',
      'title',
    ]);
    expect(listingAttributes(config, 'identity', `${ENTERPRISE}:department eq "R&D" and meta.lastModified gt "2026-01-01T00:00:00Z"`)).toEqual([
      'id',
      'meta',
      'userName',
      `${ENTERPRISE}:department`,
    ]);
    expect(listingAttributes(config, 'identity', '  ')).toEqual(['id', 'meta', 'userName']);
  });

  it('drops repeats (case-insensitively) and sub-attributes whose parent is asked for whole', () => {
    const config: TaskConfig = {
      identity: section({
        unique: { external: 'UserName', local: 'login' },
        attributes: [
          { external: 'name.familyName', local: 'last' },
          { external: 'name', local: 'full' },
          { external: 'userName', local: 'login2' },
          { external: 'emails.value', local: 'mails' },
          { external: 'emails[primary eq true]', local: 'primary' },
          { external: `${ENTERPRISE}:manager.displayName`, local: 'managerName' },
          { external: `${ENTERPRISE}:manager`, local: 'managerId' },
          { external: 'META.created', local: 'created' },
        ],
      }),
    };
    expect(listingAttributes(config, 'identity')).toEqual(['id', 'meta', 'UserName', 'name', 'emails', `${ENTERPRISE}:manager`]);
  });

  it('leaves whole-record reads to a mapping or filter that does not parse, and to a kind without a mapping', () => {
    expect(listingAttributes({ identity: section({ attributes: [{ external: 'emails[type eq', local: 'x' }] }) }, 'identity')).toBeUndefined();
    expect(listingAttributes({ identity: section() }, 'identity', 'userName eq')).toBeUndefined();
    expect(listingAttributes({ identity: section() }, 'access')).toBeUndefined();
  });

  it('reads a generic resource by the paths of its own schema', () => {
    const generic = section({ unique: { external: 'serialNumber', local: 'serial' }, attributes: [{ external: 'urn:example:Device:owner.value', local: 'owner' }], resourcePath: '/Devices' });
    expect(listingAttributes({ generic }, 'generic', 'status eq "active"')).toEqual(['id', 'meta', 'serialNumber', 'urn:example:Device:owner.value', 'status']);
  });
});

describe('projectionMismatch', () => {
  const whole = [
    { id: '1', userName: 'ada', name: { givenName: 'Ada', familyName: 'L' }, [ENTERPRISE]: { department: 'R&D' } },
    { id: '2', userName: 'alan', name: { givenName: 'Alan' } },
  ];
  const paths = ['userName', 'name.givenName', `${ENTERPRISE}:department`];

  it('accepts projected records that map like the whole ones, and extra attributes', () => {
    const projected = [
      { id: '2', userName: 'alan', name: { givenName: 'Alan' } },
      { id: '1', userName: 'ada', name: { givenName: 'Ada' }, [ENTERPRISE]: { department: 'R&D' }, title: 'extra' },
    ];
    expect(projectionMismatch(paths, projected, whole)).toBeUndefined();
    expect(projectionMismatch(paths, [], [])).toBeUndefined();
  });

  it('names the first path a projected record lost, and a check without a shared record', () => {
    const dropped = [{ id: '1', userName: 'ada', name: { givenName: 'Ada' } }];
    expect(projectionMismatch(paths, dropped, whole)).toContain(`"${ENTERPRISE}:department" of record 1`);
    const other = [{ id: '9', userName: 'x' }];
    expect(projectionMismatch(paths, other, whole)).toContain('share no record');
  });
});

describe('projectionIgnored', () => {
  it('tells a server that sends what it was not asked for', () => {
    const attributes = ['id', 'meta', 'name.givenName', `${ENTERPRISE}:department`, 'urn:ietf:params:scim:schemas:core:2.0:User:userName'];
    expect(projectionIgnored(attributes, [{ schemas: [], id: '1', meta: {}, Name: {}, [ENTERPRISE]: {}, userName: 'a' }])).toBe(false);
    expect(projectionIgnored(attributes, [{ id: '1', name: {}, title: 'x' }])).toBe(true);
  });
});
