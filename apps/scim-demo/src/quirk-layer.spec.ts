import { startScimDemoServer, type ScimDemoServer } from './index';

type Json = Record<string, any>;

const USERS = 30;

describe('scim-demo quirks', () => {
  let server: ScimDemoServer;
  let userIds: string[];

  async function get(path: string, init: RequestInit = {}): Promise<{ status: number; body: Json; headers: Headers }> {
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  }
  const ids = (body: Json): unknown[] => (body.Resources ?? []).map((r: Json) => r.id);

  beforeAll(async () => {
    server = await startScimDemoServer({ seed: { users: USERS, groups: 4, membersPerUser: 2 } });
    userIds = server.admin.listUserIds();
  });
  afterEach(() => server.setQuirks({}));
  afterAll(() => server.close());

  it('accepts quirks at start-up', async () => {
    const capped = await startScimDemoServer({ seed: { users: 10, groups: 0 }, quirks: { maxCount: 3 } });
    try {
      const body = (await fetch(`${capped.url}/Users?count=10`).then((r) => r.json())) as Json;
      expect(body.Resources).toHaveLength(3);
    } finally {
      await capped.close();
    }
  });

  it('maxCount silently caps count (also when count is absent)', async () => {
    server.setQuirks({ maxCount: 5 });
    const { body } = await get('/Users?count=20');
    expect(body).toMatchObject({ totalResults: USERS, itemsPerPage: 5, startIndex: 1 });
    expect(ids(body)).toEqual(userIds.slice(0, 5));
    expect((await get('/Users')).body.Resources).toHaveLength(5);
  });

  it('zeroBasedStartIndex treats startIndex as an offset', async () => {
    server.setQuirks({ zeroBasedStartIndex: true });
    const one = await get('/Users?startIndex=1&count=3');
    expect(ids(one.body)).toEqual(userIds.slice(1, 4));
    expect(one.body.startIndex).toBe(1);
    const zero = await get('/Users?startIndex=0&count=3');
    expect(ids(zero.body)).toEqual(userIds.slice(0, 3));
  });

  it('wrongItemsPerPage echoes the requested count', async () => {
    server.setQuirks({ wrongItemsPerPage: true, maxCount: 4 });
    const { body } = await get('/Users?count=10');
    expect(body.Resources).toHaveLength(4);
    expect(body.itemsPerPage).toBe(10);
  });

  it('numbersAsStrings swaps the JSON types of counters and ids', async () => {
    server.setQuirks({ numbersAsStrings: true });
    const users = await get('/Users?startIndex=2&count=3');
    expect(users.body).toMatchObject({ totalResults: String(USERS), startIndex: '2', itemsPerPage: '3' });
    expect(users.body.Resources[0].id).toBe(Number(userIds[1]));
    expect(typeof users.body.Resources[0].groups[0].value).toBe('number');
    const groups = await get('/Groups?count=1');
    expect(typeof groups.body.Resources[0].members[0].value).toBe('number');
    const single = await get(`/Users/${userIds[0]}`);
    expect(single.body.id).toBe(Number(userIds[0]));
  });

  it('plainJsonContentType answers application/json; charset=utf-8', async () => {
    expect((await get('/Users?count=1')).headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    server.setQuirks({ plainJsonContentType: true });
    expect((await get('/Users?count=1')).headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await get('/Users/nope')).headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('rateLimitEvery answers every Nth request with 429 and Retry-After: 1', async () => {
    server.setQuirks({ rateLimitEvery: 3 });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await get('/Users?count=1');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429, 200]);
    expect(limited!.headers.get('retry-after')).toBe('1');
    expect(limited!.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
  });

  it('retryAfterHttpDate sends Retry-After as a future HTTP date', async () => {
    server.setQuirks({ rateLimitEvery: 1, retryAfterHttpDate: true });
    const { status, headers } = await get('/Users');
    expect(status).toBe(429);
    const retryAfter = headers.get('retry-after')!;
    expect(retryAfter).toMatch(/GMT$/);
    expect(Date.parse(retryAfter)).toBeGreaterThan(Date.now() - 1000);
  });

  it.each([500, 503])('errorBurst answers %i for the next N requests, then recovers', async (status) => {
    server.setQuirks({ errorBurst: { status, count: 2 } });
    const first = await get('/Users?count=1');
    const second = await get('/Users?count=1');
    const third = await get('/Users?count=1');
    expect([first.status, second.status, third.status]).toEqual([status, status, 200]);
    expect(first.body.status).toBe(String(status));
    expect(first.headers.get('retry-after')).toBe(status === 503 ? '1' : null);
  });

  it('truncateAfter stops the listing early while claiming the real total', async () => {
    server.setQuirks({ truncateAfter: 10 });
    const pages: number[] = [];
    for (let start = 1; start <= USERS; start += 4) {
      const { body } = await get(`/Users?startIndex=${start}&count=4`);
      expect(body.totalResults).toBe(USERS);
      pages.push(body.Resources.length);
    }
    expect(pages).toEqual([4, 4, 2, 0, 0, 0, 0, 0]);
  });

  it('truncateWrongTotal also shrinks totalResults so the short listing looks complete', async () => {
    server.setQuirks({ truncateAfter: 10, truncateWrongTotal: true });
    const { body } = await get('/Users?count=50');
    expect(body).toMatchObject({ totalResults: 10, itemsPerPage: 10 });
  });

  it('ignoreStartIndex always serves from the first record', async () => {
    server.setQuirks({ ignoreStartIndex: true });
    const { body } = await get('/Users?startIndex=11&count=3');
    expect(ids(body)).toEqual(userIds.slice(0, 3));
  });

  describe('cursorOnly', () => {
    it('advertises cursor paging and rejects startIndex', async () => {
      server.setQuirks({ cursorOnly: true });
      const spc = await get('/ServiceProviderConfig');
      expect(spc.body.pagination).toMatchObject({ cursor: true, index: false, defaultPaginationMethod: 'cursor' });
      const rejected = await get('/Users?startIndex=1&count=5');
      expect(rejected.status).toBe(400);
      expect(rejected.body.scimType).toBe('invalidValue');
    });

    it('walks the collection with nextCursor and ends without one', async () => {
      server.setQuirks({ cursorOnly: true });
      const seen: unknown[] = [];
      let cursor = '';
      for (let guard = 0; guard < 20; guard++) {
        const { status, body } = await get(`/Users?count=7&cursor=${encodeURIComponent(cursor)}`);
        expect(status).toBe(200);
        expect(body.startIndex).toBeUndefined();
        expect(body.totalResults).toBe(USERS);
        seen.push(...ids(body));
        if (!body.nextCursor) break;
        cursor = body.nextCursor;
      }
      expect(seen).toEqual(userIds);
    });

    it('answers invalidCursor for an unknown or mis-encoded cursor', async () => {
      server.setQuirks({ cursorOnly: true });
      const unknown = await get('/Users?count=5&cursor=bogus');
      expect(unknown.status).toBe(400);
      expect(unknown.body.scimType).toBe('invalidCursor');
    });

    it('expireCursorOnce fails the first follow-up with expiredCursor, then works after a restart', async () => {
      server.setQuirks({ cursorOnly: true, expireCursorOnce: true });
      const first = await get('/Users?count=10&cursor=');
      const expired = await get(`/Users?count=10&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      expect(expired.status).toBe(400);
      expect(expired.body.scimType).toBe('expiredCursor');
      const restart = await get('/Users?count=10&cursor=');
      const next = await get(`/Users?count=10&cursor=${encodeURIComponent(restart.body.nextCursor)}`);
      expect(next.status).toBe(200);
      expect(ids(next.body)).toEqual(userIds.slice(10, 20));
    });

    it('rejectStartIndexStatus 501 refuses index paging as not implemented', async () => {
      server.setQuirks({ cursorOnly: true, rejectStartIndexStatus: 501 });
      const rejected = await get('/Users?startIndex=1&count=1');
      expect(rejected.status).toBe(501);
      expect((await get('/Users?count=1&cursor=')).status).toBe(200);
    });
  });

  it('listLatencyMs delays listings only, and a client that gives up ends the wait', async () => {
    server.setQuirks({ listLatencyMs: 400 });
    const started = Date.now();
    expect((await get('/Users?count=1')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    const single = Date.now();
    expect((await get(`/Users/${userIds[0]}`)).status).toBe(200);
    expect(Date.now() - single).toBeLessThan(390);
    server.setQuirks({ listLatencyMs: 60_000 });
    const aborted = await fetch(`${server.url}/Users?count=1`, { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('TimeoutError');
  });

  it('omitTotalResults leaves totalResults out of listings, which still page', async () => {
    server.setQuirks({ omitTotalResults: true });
    const first = await get('/Users?startIndex=1&count=10');
    expect(first.status).toBe(200);
    expect(first.body).not.toHaveProperty('totalResults');
    expect(first.body).toMatchObject({ startIndex: 1, itemsPerPage: 10 });
    expect(ids(first.body)).toEqual(userIds.slice(0, 10));
    const last = await get(`/Users?startIndex=${USERS + 1}&count=10`);
    expect(last.body).not.toHaveProperty('totalResults');
    expect(ids(last.body)).toEqual([]);
    server.setQuirks({});
    expect((await get('/Users?count=1')).body.totalResults).toBe(USERS);
  });

  it('hugePage streams a valid ListResponse of the requested size, chunked or with Content-Length', async () => {
    for (const declareLength of [false, true]) {
      server.setQuirks({ hugePage: { bytes: 300_000, declareLength } });
      const res = await fetch(`${server.url}/Users?count=10`);
      const text = await res.text();
      expect(res.headers.get('content-length')).toBe(declareLength ? String(Buffer.byteLength(text)) : null);
      expect(Buffer.byteLength(text)).toBeGreaterThan(290_000);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(301_000);
      const body = JSON.parse(text) as Json;
      expect(body.Resources.length).toBe(body.totalResults);
      expect(new Set(ids(body)).size).toBe(body.totalResults);
    }
  });

  it('hugePage stops producing when the client goes away', async () => {
    server.setQuirks({ hugePage: { bytes: 2_000_000_000 } });
    const res = await fetch(`${server.url}/Users`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await reader.cancel();
    // the server keeps answering other requests
    server.setQuirks({});
    expect((await get('/Users?count=1')).status).toBe(200);
  });

  it('echoAuthorization answers with the Authorization header it received, in the body and a header', async () => {
    server.setQuirks({ echoAuthorization: { status: 401 } });
    const res = await get('/Users', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain('Basic dXNlcjpwYXNz');
    expect(res.headers.get('x-echo-authorization')).toBe('Basic dXNlcjpwYXNz');
  });

  it('omitMembersInList drops members from listings but not from GET by id', async () => {
    server.setQuirks({ omitMembersInList: true });
    const list = await get('/Groups?count=10');
    expect(list.body.Resources.length).toBeGreaterThan(0);
    for (const group of list.body.Resources) expect(group.members).toBeUndefined();
    const single = await get(`/Groups/${list.body.Resources[0].id}`);
    expect(single.body.members.length).toBeGreaterThan(0);
  });

  it('noLastModifiedFilter rejects meta.lastModified filters with invalidFilter', async () => {
    server.setQuirks({ noLastModifiedFilter: true });
    const rejected = await get(`/Users?filter=${encodeURIComponent('meta.lastModified gt "2020-01-01T00:00:00Z"')}`);
    expect(rejected.status).toBe(400);
    expect(rejected.body.scimType).toBe('invalidFilter');
    expect((await get(`/Users?filter=${encodeURIComponent('active eq true')}`)).status).toBe(200);
  });

  it('ignoreFilter returns everything', async () => {
    const filter = encodeURIComponent('userName eq "ada.lovelace@example.com"');
    expect((await get(`/Users?filter=${filter}`)).body.totalResults).toBe(1);
    server.setQuirks({ ignoreFilter: true });
    expect((await get(`/Users?filter=${filter}`)).body.totalResults).toBe(USERS);
  });

  it('ignoreAttributes sends whole records; rejectAttributes refuses listings that name attributes; both are logged', async () => {
    const projected = await get('/Users?count=1&attributes=userName');
    expect(Object.keys(projected.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
    // sub-attributes and extension attributes too (scimmy alone refuses them)
    const nested = await get(`/Users?count=1&attributes=${encodeURIComponent('name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department')}`);
    expect(nested.body.Resources[0]).toEqual({
      schemas: expect.any(Array),
      id: expect.any(String),
      name: { givenName: expect.any(String) },
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: expect.any(String) },
    });
    server.setQuirks({ projectTopLevelOnly: true });
    expect((await get(`/Users?count=1&attributes=${encodeURIComponent('userName,name.givenName')}`)).body.Resources[0].name).toBeUndefined();
    server.setQuirks({ ignoreAttributes: true });
    expect((await get('/Users?count=1&attributes=userName')).body.Resources[0].emails).toBeDefined();
    server.setQuirks({ rejectAttributes: 400 });
    const rejected = await get('/Users?count=1&attributes=userName');
    expect(rejected).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect((await get('/Users?count=1')).status).toBe(200);
    server.setQuirks({ rejectAttributes: 501 });
    expect((await get('/Groups?attributes=displayName')).status).toBe(501);
    expect(server.requestLog().slice(-2)).toEqual(['GET /scim/v2/Users?count=1', 'GET /scim/v2/Groups?attributes=displayName']);
  });

  it('rejectAttributesAfter serves that many listings that name attributes, then refuses them', async () => {
    server.setQuirks({ rejectAttributesAfter: 2 });
    expect((await get('/Users?count=1&attributes=userName')).status).toBe(200);
    expect((await get('/Users?count=1')).status).toBe(200);
    expect((await get('/Users?count=1&startIndex=2&attributes=userName')).status).toBe(200);
    expect(await get('/Users?count=1&startIndex=3&attributes=userName')).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect((await get('/Users?count=1&startIndex=3')).status).toBe(200);
  });

  it('applies request quirks to POST /.search bodies too', async () => {
    server.setQuirks({ maxCount: 2, ignoreFilter: true });
    const res = await get('/Users/.search', {
      method: 'POST',
      headers: { 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "nobody"', count: 10 }),
    });
    expect(res.body).toMatchObject({ totalResults: USERS, itemsPerPage: 2 });
  });

  it('setQuirks restores normal behaviour', async () => {
    server.setQuirks({ errorBurst: { status: 500, count: 5 } });
    expect((await get('/Users?count=1')).status).toBe(500);
    server.setQuirks({});
    expect((await get('/Users?count=1')).status).toBe(200);
  });
});
