/**
 * The client against the real demo SCIM server (scimmy), with every server quirk: each read
 * either ends with exactly the server's id set, or fails/reports incompleteness clearly.
 */
import { startScimDemoServer, type ScimDemoServer, type ScimQuirks } from '../../apps/scim-demo/src';
import {
  ScimClient,
  ScimConfigError,
  ScimIncompleteReadError,
  composeIncrementalFilter,
  type ListOptions,
  type ScimConnectionConfig,
} from '../../libs/scim/src';
import { expectNoDuplicates, readListing, recordingLogger, sorted } from './scim-test-helpers';

const USERS = 537;
const GROUPS = 23;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('ScimClient listing against the demo server', () => {
  let server: ScimDemoServer;
  let client: ScimClient;
  const auth = { username: 'importer', password: 'p@ss:word' };

  beforeAll(async () => {
    server = await startScimDemoServer({ auth: { basic: auth }, seed: { users: USERS, groups: GROUPS } });
  });
  afterAll(async () => {
    await server.close();
  });

  function newClient(config: Partial<ScimConnectionConfig> = {}, maxAttemptsPerRequest?: number): ScimClient {
    return new ScimClient(
      { baseUrl: server.url, auth: { type: 'basic', ...auth }, pageSize: 100, ...config },
      { logger: recordingLogger(), maxAttemptsPerRequest },
    );
  }

  beforeEach(() => {
    server.setQuirks({});
    client = newClient();
  });
  afterEach(async () => {
    await client.close();
  });

  async function readUsers(quirks: ScimQuirks, options: ListOptions = {}) {
    server.setQuirks(quirks);
    const result = await readListing(client.listResources('/Users', options));
    expectNoDuplicates(result.ids);
    return result;
  }

  it('reads every user of a well-behaved server', async () => {
    const { ids, report } = await readUsers({});
    expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
    expect(report).toMatchObject({
      path: '/Users',
      pagingMethod: 'index',
      distinctIds: USERS,
      totalResultsClaimed: USERS,
      duplicatesDropped: 0,
      rejected: 0,
      complete: true,
    });
  });

  it('reads every group with members', async () => {
    const { ids, pages, report } = await readListing(client.listResources('/Groups'));
    expect(sorted(ids)).toEqual(sorted(server.admin.listGroupIds()));
    expect(report.complete).toBe(true);
    const members = pages.flatMap((p) => p.resources).flatMap((g) => (g.members as { value: string }[]) ?? []);
    expect(members.length).toBe(USERS * 2);
  });

  it.each<[string, ScimQuirks]>([
    ['maxCount (silent page cap)', { maxCount: 37 }],
    ['wrongItemsPerPage', { wrongItemsPerPage: true, maxCount: 60 }],
    ['numbersAsStrings (counts and ids)', { numbersAsStrings: true }],
    ['plainJsonContentType', { plainJsonContentType: true }],
    ['zeroBasedStartIndex', { zeroBasedStartIndex: true }],
    ['cursorOnly (RFC 9865)', { cursorOnly: true }],
    ['cursorOnly + expireCursorOnce', { cursorOnly: true, expireCursorOnce: true }],
    ['cursorOnly + maxCount + numbersAsStrings', { cursorOnly: true, maxCount: 45, numbersAsStrings: true }],
  ])('reads the complete id set despite %s', async (_name, quirks) => {
    const { ids, report } = await readUsers(quirks);
    expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
    expect(report.complete).toBe(true);
    expect(report.distinctIds).toBe(USERS);
  });

  it('says when it had to recover the first record of a 0-based server', async () => {
    const { report } = await readUsers({ zeroBasedStartIndex: true });
    expect(report.zeroBasedStartIndex).toBe(true);
    expect(report.reason).toMatch(/startIndex from 0/);
  });

  it('uses cursor paging when the ServiceProviderConfig advertises only cursors', async () => {
    const { report } = await readUsers({ cursorOnly: true });
    expect(report.pagingMethod).toBe('cursor');
  });

  it('restarts the cursor pass after expiredCursor and reports the restart', async () => {
    const { report } = await readUsers({ cursorOnly: true, expireCursorOnce: true });
    expect(report.restarts).toBe(1);
    expect(report.reason).toMatch(/restarted 1 time/);
  });

  it('fails with a config error when index paging is forced on a cursor-only server', async () => {
    server.setQuirks({ cursorOnly: true });
    await expect(readListing(client.listResources('/Users', { paging: 'index' }))).rejects.toThrow(ScimConfigError);
  });

  it('fails clearly when the server ignores startIndex', async () => {
    server.setQuirks({ ignoreStartIndex: true });
    const listing = client.listResources('/Users');
    const error = await readListing(listing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScimIncompleteReadError);
    expect((error as Error).name).toBe('ScimIncompleteReadError');
    expect((error as Error).message).toMatch(/ignore startIndex/);
    expect((error as Error).message).toContain(`${server.url}/Users`);
    expect(listing.report().complete).toBe(false);
  });

  it('ignoring startIndex is harmless when one page holds everything', async () => {
    const big = newClient({ pageSize: 1000 });
    server.setQuirks({ ignoreStartIndex: true });
    const { ids, report } = await readListing(big.listResources('/Users'));
    await big.close();
    expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
    expect(report.complete).toBe(true);
  });

  describe('truncated listings are never reported complete', () => {
    it.each<[string, ScimQuirks]>([
      ['truncateAfter (true total)', { truncateAfter: 250 }],
      ['truncateAfter + truncateWrongTotal', { truncateAfter: 250, truncateWrongTotal: true }],
      ['truncateAfter + truncateWrongTotal on a page boundary', { truncateAfter: 300, truncateWrongTotal: true }],
      ['cursorOnly + truncateAfter', { cursorOnly: true, truncateAfter: 250 }],
      ['cursorOnly + truncateAfter + truncateWrongTotal', { cursorOnly: true, truncateAfter: 250, truncateWrongTotal: true }],
    ])('%s', async (_name, quirks) => {
      server.setQuirks(quirks);
      const { ids, report } = await readListing(client.listResources('/Users'));
      expectNoDuplicates(ids);
      expect(report.complete).toBe(false);
      expect(report.reason).toMatch(/incomplete|truncat/);
      expect(ids.length).toBeLessThan(USERS);
      // Whatever was delivered is real.
      const all = new Set(server.admin.listUserIds());
      expect(ids.every((id) => all.has(id))).toBe(true);
    });

    it('names the missed records when totalResults lies', async () => {
      const { report } = await readUsers({ truncateAfter: 250, truncateWrongTotal: true });
      expect(report.missedByListing).toBeGreaterThan(0);
      expect(report.reason).toMatch(/descending-order check found \d+ records the listing never returned/);
    });
  });

  describe('filters', () => {
    const salesFilter = `${ENTERPRISE}:department eq "Sales"`;
    const salesIds = () =>
      server.admin
        .listUserIds()
        .filter((id) => (server.admin.getUser(id)?.[ENTERPRISE] as { department?: string })?.department === 'Sales');

    it('passes the filter to the server', async () => {
      const { ids, report } = await readUsers({}, { filter: salesFilter });
      expect(sorted(ids)).toEqual(sorted(salesIds()));
      expect(ids.length).toBeGreaterThan(10);
      expect(report).toMatchObject({ complete: true, totalResultsClaimed: ids.length });
    });

    it('drops what a server that ignores the filter sends anyway, and says so', async () => {
      const { ids, report } = await readUsers({ ignoreFilter: true }, { filter: salesFilter });
      expect(sorted(ids)).toEqual(sorted(salesIds()));
      expect(report.complete).toBe(true);
      expect(report.filteredOut).toBe(USERS - ids.length);
      expect(report.reason).toMatch(/ignored the filter/);
    });

    it('keeps them when asked to', async () => {
      const { ids, report } = await readUsers({ ignoreFilter: true }, { filter: salesFilter, filterCheck: 'keep' });
      expect(ids).toHaveLength(USERS);
      expect(report.filteredOut).toBe(USERS - salesIds().length);
    });

    it('reads only what changed since a watermark', async () => {
      const since = new Date();
      await new Promise((r) => setTimeout(r, 1100));
      const [a, b] = server.admin.listUserIds().slice(5, 7);
      await server.admin.updateUser(a, { title: 'Changed' });
      const { id: created } = await server.admin.addUser({ userName: `incremental.${Date.now()}@example.com`, active: true });
      const { ids, report } = await readUsers({}, { filter: composeIncrementalFilter('active eq true', since) });
      expect(sorted(ids)).toEqual(sorted([a, created]));
      expect(ids).not.toContain(b);
      expect(report.complete).toBe(true);
      await server.admin.deleteUser(created);
    });

    it('surfaces a refused lastModified filter as ScimConfigError invalidFilter', async () => {
      server.setQuirks({ noLastModifiedFilter: true });
      const error = await readListing(client.listResources('/Users', { filter: composeIncrementalFilter(undefined, new Date()) })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ScimConfigError);
      expect((error as ScimConfigError).scimType).toBe('invalidFilter');
      expect((error as ScimConfigError).status).toBe(400);
      expect((error as Error).message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\?filter=meta\.lastModified/);
    });

    it('surfaces a filter the server cannot parse the same way', async () => {
      const error = await readListing(client.listResources('/Users', { filter: '(userName eq "a"' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScimConfigError);
      expect((error as ScimConfigError).scimType).toBe('invalidFilter');
    });
  });

  describe('transient failures', () => {
    it('honours Retry-After (seconds) on 429 and still reads everything', async () => {
      const logger = recordingLogger();
      const c = new ScimClient({ baseUrl: server.url, auth: { type: 'basic', ...auth }, pageSize: 200 }, { logger });
      server.setQuirks({ rateLimitEvery: 3 });
      const { ids, report } = await readListing(c.listResources('/Users'));
      await c.close();
      expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
      expect(report.complete).toBe(true);
      const retries = logger.lines.filter((l) => l.includes('will be retried'));
      expect(retries.length).toBeGreaterThan(0);
      expect(retries[0]).toMatch(/"waitMs":1000/);
    });

    it('honours Retry-After as an HTTP date', async () => {
      const logger = recordingLogger();
      const c = new ScimClient({ baseUrl: server.url, auth: { type: 'basic', ...auth }, pageSize: 600 }, { logger });
      server.setQuirks({ rateLimitEvery: 3, retryAfterHttpDate: true });
      const { ids } = await readListing(c.listResources('/Users'));
      await c.close();
      expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
      const waits = logger.lines.filter((l) => l.includes('will be retried')).map((l) => Number(/"waitMs":(\d+)/.exec(l)?.[1]));
      expect(waits.length).toBeGreaterThan(0);
      // The date is ~2 s ahead with one-second resolution.
      for (const w of waits) expect(w).toBeGreaterThan(500);
    });

    it.each([500, 503])('rides out a burst of HTTP %i inside the request retries', async (status) => {
      server.setQuirks({ errorBurst: { status, count: 2 } });
      const { ids, report } = await readListing(client.listResources('/Users'));
      expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
      expect(report.complete).toBe(true);
    });
  });
});
