import SCIMMY from 'scimmy';
import { DemoStore } from './demo-store';
import { seedStore } from './seed-data';
import { ENTERPRISE_USER_SCHEMA } from './demo-types';

type Json = Record<string, any>;

describe('seedStore', () => {
  const store = new DemoStore();
  seedStore(store, { users: 1200, groups: 30, membersPerUser: 3, devices: 50 });
  const users = store.ids('User').map((id) => store.render(store.get('User', id)!) as Json);

  it('creates the requested amounts', () => {
    expect([store.size('User'), store.size('Group'), store.size('Device')]).toEqual([1200, 30, 50]);
  });

  it('is deterministic', () => {
    const again = new DemoStore();
    seedStore(again, { users: 1200, groups: 30, membersPerUser: 3, devices: 50 });
    for (const kind of ['User', 'Group', 'Device'] as const) {
      expect(again.ids(kind).map((id) => again.render(again.get(kind, id)!))).toEqual(store.ids(kind).map((id) => store.render(store.get(kind, id)!)));
    }
  });

  it('produces realistic, unique users', () => {
    expect(new Set(users.map((u) => u.userName)).size).toBe(users.length);
    for (const u of users) {
      expect(u.userName).toMatch(/^[a-z0-9.-]+@example\.com$/);
      expect(u.name.givenName && u.name.familyName).toBeTruthy();
      expect(u.emails.filter((e: Json) => e.primary)).toHaveLength(1);
      expect(u.emails.map((e: Json) => e.type)).toEqual(['work', 'home']);
      expect(u.phoneNumbers.length).toBeGreaterThan(0);
      expect(u.groups).toHaveLength(3);
      const ext = u[ENTERPRISE_USER_SCHEMA];
      expect(ext).toMatchObject({ employeeNumber: expect.any(String), department: expect.any(String), costCenter: expect.any(String), organization: 'Example Corp' });
      if (ext.manager) expect(store.get('User', ext.manager.value)).toBeDefined();
    }
    expect(users.filter((u) => !u.active).length).toBeGreaterThan(0);
    expect(users.filter((u) => u[ENTERPRISE_USER_SCHEMA].manager).length).toBe(1199);
  });

  it('dates sample data in the past with created <= lastModified', () => {
    for (const u of users) {
      expect(u.meta.created <= u.meta.lastModified).toBe(true);
      expect(Date.parse(u.meta.lastModified)).toBeLessThan(Date.now());
    }
  });
});

describe('DemoStore', () => {
  it('hands out strictly increasing lastModified values', () => {
    const store = new DemoStore();
    const { data } = store.create('User', { userName: 'a@example.com' });
    const stamps = [data.meta];
    for (let i = 0; i < 20; i++) stamps.push(store.merge('User', data.id as string, { title: `t${i}` }).data.meta);
    const times = stamps.map((m: any) => m.lastModified);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  });

  it('refreshes cached listings after a change', () => {
    const store = new DemoStore();
    seedStore(store, { users: 20, groups: 0 });
    const filter = new SCIMMY.Types.Filter('title eq "Astronaut"');
    expect(store.query('User', filter)).toHaveLength(0);
    store.merge('User', store.ids('User')[3], { title: 'Astronaut' });
    expect(store.query('User', filter)).toHaveLength(1);
    expect(store.query('User', filter)).toBe(store.query('User', filter));
  });

  it('drops server-owned attributes on write', () => {
    const store = new DemoStore();
    const { data } = store.create('User', { userName: 'x@example.com', id: 'forged', meta: { created: 'never' }, groups: [{ value: '1' }] });
    expect(data.id).not.toBe('forged');
    expect((data.meta as Json).created).not.toBe('never');
    expect(data.groups).toBeUndefined();
  });
});
