import { startScimDemoServer, type ScimDemoServer } from './index';

type Json = Record<string, any>;

const BASIC = { username: 'importer', password: 's3cret:with:colons' };
const TOKEN = 'demo-bearer-token';
const basicHeader = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const AUTH = { authorization: basicHeader(BASIC.username, BASIC.password) };

async function call(server: ScimDemoServer, path: string, init: RequestInit = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...AUTH, accept: 'application/scim+json', 'content-type': 'application/scim+json', ...(init.headers as Record<string, string>) },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

const q = (filter: string) => encodeURIComponent(filter);

describe('scim-demo server', () => {
  let server: ScimDemoServer;

  beforeAll(async () => {
    server = await startScimDemoServer({
      auth: { basic: BASIC, bearer: TOKEN },
      seed: { users: 250, groups: 12, membersPerUser: 3, devices: 40 },
    });
  });
  afterAll(() => server.close());

  describe('discovery', () => {
    it('listens on a free port under the default base path', () => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
    });

    it('advertises index paging and both auth schemes in ServiceProviderConfig', async () => {
      const { status, body } = await call(server, '/ServiceProviderConfig');
      expect(status).toBe(200);
      expect(body.pagination).toMatchObject({ cursor: false, index: true });
      expect(body.filter.supported).toBe(true);
      expect(body.authenticationSchemes.map((s: Json) => s.type)).toEqual(['httpbasic', 'oauthbearertoken']);
    });

    it('lists User (with enterprise extension), Group and Device resource types', async () => {
      const { body } = await call(server, '/ResourceTypes');
      const byName = Object.fromEntries(body.Resources.map((r: Json) => [r.name, r]));
      expect(byName.User.schemaExtensions).toEqual([{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }]);
      expect(byName.Group.endpoint).toBe('/Groups');
      expect(byName.Device).toMatchObject({ endpoint: '/Devices', schema: 'urn:example:scim:schemas:Device' });
      const schemas = await call(server, '/Schemas');
      expect(schemas.body.Resources.map((s: Json) => s.id)).toEqual(
        expect.arrayContaining(['urn:example:scim:schemas:Device', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']),
      );
    });
  });

  describe('paging', () => {
    it('walks every user exactly once with an odd page size', async () => {
      const ids: string[] = [];
      let startIndex = 1;
      for (;;) {
        const { body } = await call(server, `/Users?startIndex=${startIndex}&count=37&attributes=userName`);
        expect(body.totalResults).toBe(250);
        expect(body.startIndex).toBe(startIndex);
        expect(body.itemsPerPage).toBe(body.Resources.length);
        if (!body.Resources.length) break;
        ids.push(...body.Resources.map((r: Json) => r.id));
        startIndex += body.Resources.length;
      }
      expect(ids).toHaveLength(250);
      expect(new Set(ids).size).toBe(250);
    });

    it.each([
      [2, 5],
      [3, 3],
      [5, 10],
      [249, 10],
      [1, 250],
    ])('serves exactly the requested window for startIndex=%i count=%i', async (startIndex, count) => {
      const all = server.admin.listUserIds();
      const { body } = await call(server, `/Users?startIndex=${startIndex}&count=${count}&attributes=id`);
      expect(body.Resources.map((r: Json) => r.id)).toEqual(all.slice(startIndex - 1, startIndex - 1 + count));
    });

    it('answers count=0 with the total only and an empty page past the end', async () => {
      const zero = await call(server, '/Users?count=0');
      expect(zero.body).toMatchObject({ totalResults: 250, itemsPerPage: 0 });
      expect(zero.body.Resources ?? []).toEqual([]);
      const past = await call(server, '/Users?startIndex=1000&count=10');
      expect(past.body.Resources ?? []).toEqual([]);
      expect(past.body.totalResults).toBe(250);
    });

    it('uses a default page size of 100 when count is absent', async () => {
      const { body } = await call(server, '/Users');
      expect(body.Resources).toHaveLength(100);
    });

    it('sorts with a case-insensitive sortBy', async () => {
      const { body } = await call(server, '/Users?sortBy=USERNAME&sortOrder=descending&count=250&attributes=userName');
      const names = body.Resources.map((r: Json) => r.userName);
      expect(names).toEqual([...names].sort((a, b) => b.localeCompare(a)));
    });

    it('honours attributes and excludedAttributes', async () => {
      const users = await call(server, '/Users?count=1&attributes=userName');
      expect(Object.keys(users.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
      const groups = await call(server, '/Groups?count=2&excludedAttributes=members');
      expect(groups.body.Resources[0].members).toBeUndefined();
      expect(groups.body.Resources[0].displayName).toBeDefined();
    });

    it('accepts POST /.search with paging in the body', async () => {
      const { status, body } = await call(server, '/Users/.search', {
        method: 'POST',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], startIndex: 3, count: 4, attributes: ['userName'] }),
      });
      expect(status).toBe(200);
      expect(body.Resources.map((r: Json) => r.id)).toEqual(server.admin.listUserIds().slice(2, 6));
    });
  });

  describe('filtering', () => {
    it.each([
      ['userName eq "ada.lovelace@example.com"', 1],
      ['emails[type eq "work"].value ew "@example.com"', 250],
      ['name.givenName sw "Gr" and active eq true', -1],
      ['nickName eq "nobody"', 0],
      ['name.middleName pr', 0],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Finance"', -1],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "100001"', 8],
    ])('%s', async (filter, expected) => {
      const { status, body } = await call(server, `/Users?count=500&filter=${q(filter)}`);
      expect(status).toBe(200);
      if (expected >= 0) expect(body.totalResults).toBe(expected);
      else expect(body.totalResults).toBeGreaterThan(0);
      expect(body.Resources).toHaveLength(body.totalResults);
    });

    it('rejects a malformed filter with 400 invalidFilter', async () => {
      const { status, body } = await call(server, `/Users?filter=${q('userName zz "x"')}`);
      expect(status).toBe(400);
      expect(body.scimType).toBe('invalidFilter');
      expect(body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    });

    it('pages through a filtered result consistently', async () => {
      const filter = q('active eq true');
      const first = await call(server, `/Users?filter=${filter}&count=100&attributes=id`);
      const second = await call(server, `/Users?filter=${filter}&startIndex=101&count=100&attributes=id`);
      const third = await call(server, `/Users?filter=${filter}&startIndex=201&count=100&attributes=id`);
      const ids = [first, second, third].flatMap((p) => p.body.Resources.map((r: Json) => r.id));
      expect(new Set(ids).size).toBe(first.body.totalResults);
      expect(first.body.totalResults).toBeLessThan(250);
    });
  });

  describe('authentication', () => {
    it('answers 401 with a SCIM error and a challenge when credentials are missing', async () => {
      const res = await fetch(`${server.url}/Users`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(await res.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    });

    it.each([
      ['wrong password', basicHeader(BASIC.username, 'nope')],
      ['wrong user', basicHeader('someone', BASIC.password)],
      ['wrong token', 'Bearer nope'],
      ['unknown scheme', 'Digest abc'],
    ])('answers 401 for a %s', async (_label, authorization) => {
      const { status, body } = await call(server, '/Users?count=1', { headers: { authorization } });
      expect(status).toBe(401);
      expect(body.status).toBe('401');
    });

    it('accepts basic credentials and the bearer token', async () => {
      expect((await call(server, '/Users?count=1')).status).toBe(200);
      expect((await call(server, '/Users?count=1', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    });

    it('applies setAuth at runtime and is open without auth', async () => {
      const other = await startScimDemoServer({ auth: { basic: { username: 'a', password: 'old' } } });
      try {
        const get = (authorization?: string) =>
          fetch(`${other.url}/Users`, { headers: authorization ? { authorization } : {} }).then((r) => r.status);
        expect(await get(basicHeader('a', 'old'))).toBe(200);
        other.setAuth({ basic: { username: 'a', password: 'new' } });
        expect(await get(basicHeader('a', 'old'))).toBe(401);
        expect(await get(basicHeader('a', 'new'))).toBe(200);
        other.setAuth(undefined);
        expect(await get()).toBe(200);
      } finally {
        await other.close();
      }
    });
  });

  describe('admin changes', () => {
    it('adds, updates and deletes users with fresh lastModified and version', async () => {
      const before = new Date().toISOString();
      const { id } = await server.admin.addUser({ userName: 'new.hire@example.com', name: { givenName: 'New', familyName: 'Hire' }, active: true });
      const created = await call(server, `/Users/${id}`);
      expect(created.status).toBe(200);
      expect(created.body.meta.created).toBe(created.body.meta.lastModified);
      expect(created.body.meta.lastModified >= before).toBe(true);

      await server.admin.updateUser(id, { title: 'Intern', active: false });
      const updated = await call(server, `/Users/${id}`);
      expect(updated.body).toMatchObject({ title: 'Intern', active: false, userName: 'new.hire@example.com' });
      expect(updated.body.meta.lastModified > created.body.meta.lastModified).toBe(true);
      expect(updated.body.meta.version).not.toBe(created.body.meta.version);
      expect(server.admin.getUser(id)?.title).toBe('Intern');

      const changed = await call(server, `/Users?filter=${q(`meta.lastModified gt "${created.body.meta.lastModified}"`)}`);
      expect(changed.body.Resources.map((r: Json) => r.id)).toEqual([id]);

      await server.admin.updateUser(id, { title: null });
      expect(server.admin.getUser(id)).not.toHaveProperty('title');

      await server.admin.deleteUser(id);
      expect((await call(server, `/Users/${id}`)).status).toBe(404);
      expect(server.admin.listUserIds()).not.toContain(id);
    });

    it('finds only records changed after a timestamp with meta.lastModified gt', async () => {
      const mark = new Date(Date.now() - 1).toISOString();
      const [a, b] = server.admin.listUserIds().slice(10, 12);
      await server.admin.updateUser(a, { title: 'Staff Engineer' });
      await server.admin.updateUser(b, { title: 'Principal Engineer' });
      const { body } = await call(server, `/Users?filter=${q(`meta.lastModified gt "${mark}"`)}&attributes=title`);
      expect(body.Resources.map((r: Json) => r.id).sort()).toEqual([a, b].sort());
    });

    it('keeps group membership in sync in both directions', async () => {
      const [u1, u2] = server.admin.listUserIds().slice(0, 2);
      const { id: gid } = await server.admin.addGroup({ displayName: 'Auditors', memberIds: [u1] });
      let group = await call(server, `/Groups/${gid}`);
      expect(group.body.members).toEqual([expect.objectContaining({ value: u1, type: 'User', display: 'Ada Lovelace' })]);
      const before = group.body.meta.lastModified;

      await server.admin.updateGroup(gid, { displayName: 'Auditors EMEA', memberIds: [u1, u2] });
      group = await call(server, `/Groups/${gid}`);
      expect(group.body.displayName).toBe('Auditors EMEA');
      expect(group.body.members.map((m: Json) => m.value)).toEqual([u1, u2]);
      expect(group.body.meta.lastModified > before).toBe(true);
      const user = await call(server, `/Users/${u2}`);
      expect(user.body.groups).toEqual(expect.arrayContaining([expect.objectContaining({ value: gid, display: 'Auditors EMEA' })]));

      const { id: temp } = await server.admin.addUser({ userName: 'temp.worker@example.com' });
      await server.admin.updateGroup(gid, { memberIds: [u1, temp] });
      await server.admin.deleteUser(temp);
      group = await call(server, `/Groups/${gid}`);
      expect(group.body.members.map((m: Json) => m.value)).toEqual([u1]);

      await server.admin.deleteGroup(gid);
      expect((await call(server, `/Groups/${gid}`)).status).toBe(404);
      expect(server.admin.listGroupIds()).not.toContain(gid);
    });

    it('rejects duplicate userNames and unknown ids', async () => {
      await expect(server.admin.addUser({ userName: 'ADA.LOVELACE@example.com' })).rejects.toThrow(/already taken/);
      await expect(server.admin.updateUser('nope', { title: 'x' })).rejects.toThrow(/not found/);
      await expect(server.admin.addGroup({ displayName: 'x', memberIds: ['nope'] })).rejects.toThrow(/does not exist/);
    });
  });

  describe('SCIM writes through scimmy', () => {
    it('creates, patches, replaces and deletes a user', async () => {
      const created = await call(server, '/Users', {
        method: 'POST',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scim.created@example.com', title: 'Temp' }),
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect(server.admin.getUser(id)?.userName).toBe('scim.created@example.com');

      const conflict = await call(server, '/Users', { method: 'POST', body: JSON.stringify({ userName: 'scim.created@example.com' }) });
      expect(conflict.status).toBe(409);

      const patched = await call(server, `/Users/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Permanent' }] }),
      });
      expect(patched.status).toBe(200);
      expect(patched.body.title).toBe('Permanent');

      const replaced = await call(server, `/Users/${id}`, { method: 'PUT', body: JSON.stringify({ userName: 'scim.renamed@example.com' }) });
      expect(replaced.body).toMatchObject({ userName: 'scim.renamed@example.com' });
      expect(replaced.body.title).toBeUndefined();

      expect((await call(server, `/Users/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect(server.admin.getUser(id)).toBeUndefined();
    });
  });

  describe('devices', () => {
    it('lists, filters and reads devices', async () => {
      const page = await call(server, '/Devices?count=15');
      expect(page.body.totalResults).toBe(40);
      expect(page.body.Resources).toHaveLength(15);
      const device = page.body.Resources[0];
      expect(device).toMatchObject({
        schemas: ['urn:example:scim:schemas:Device'],
        serialNumber: expect.any(String),
        displayName: 'LAPTOP-00001',
        model: expect.any(String),
        owner: { value: server.admin.listUserIds()[0], display: 'Ada Lovelace' },
        meta: { resourceType: 'Device', created: expect.any(String), lastModified: expect.any(String) },
      });
      const byOwner = await call(server, `/Devices?filter=${q(`owner.value eq "${device.owner.value}"`)}`);
      expect(byOwner.body.Resources.map((d: Json) => d.id)).toContain(device.id);
      expect((await call(server, `/Devices/${device.id}`)).body.serialNumber).toBe(device.serialNumber);
    });

    it('creates a device through POST /Devices', async () => {
      const { status, body } = await call(server, '/Devices', {
        method: 'POST',
        body: JSON.stringify({ schemas: ['urn:example:scim:schemas:Device'], serialNumber: 'SN-TEST-1', displayName: 'Test rig', model: 'Rig 1' }),
      });
      expect(status).toBe(201);
      expect(body).toMatchObject({ serialNumber: 'SN-TEST-1', meta: { resourceType: 'Device' } });
      expect((await call(server, '/Devices?count=0')).body.totalResults).toBe(41);
    });
  });

  it('counts requests', async () => {
    const before = server.requestCount();
    await call(server, '/Users?count=1');
    await fetch(`${server.url}/Users`);
    expect(server.requestCount()).toBe(before + 2);
  });

  it('produces identical sample data for identical seeds', async () => {
    const a = await startScimDemoServer({ seed: { users: 40, groups: 5, devices: 5 } });
    const b = await startScimDemoServer({ seed: { users: 40, groups: 5, devices: 5 } });
    try {
      for (const path of ['/Users?count=40', '/Groups?count=5', '/Devices?count=5']) {
        const [ra, rb] = await Promise.all([fetch(a.url + path).then((r) => r.json()), fetch(b.url + path).then((r) => r.json())]);
        expect(ra).toEqual(rb);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('scim-demo server at scale', () => {
  it('pages through 10,000 users without re-filtering per page', async () => {
    const server = await startScimDemoServer({ seed: { users: 10_000, groups: 20 } });
    try {
      const last = await call(server, '/Users?startIndex=9901&count=100&attributes=userName');
      expect(last.body.Resources).toHaveLength(100);
      const filter = q('meta.lastModified gt "2025-01-05T00:00:00Z"');
      let startIndex = 1;
      let seen = 0;
      let total = -1;
      for (;;) {
        const { body } = await call(server, `/Users?filter=${filter}&startIndex=${startIndex}&count=500&attributes=userName`);
        total = body.totalResults;
        if (!body.Resources.length) break;
        seen += body.Resources.length;
        startIndex += body.Resources.length;
      }
      expect(seen).toBe(total);
      expect(total).toBeGreaterThan(4000);
    } finally {
      await server.close();
    }
  });
});
