/** Groups and members: full member lists when listings omit them, numeric ids, single reads. */
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { ScimClient } from '../../libs/scim/src';
import { readListing, sorted } from './scim-test-helpers';

describe('groups and members', () => {
  let server: ScimDemoServer;
  let client: ScimClient;

  beforeAll(async () => {
    server = await startScimDemoServer({ seed: { users: 150, groups: 12, membersPerUser: 3 } });
    client = new ScimClient({ baseUrl: server.url, auth: { type: 'bearer', token: 'open' }, pageSize: 5 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => server.setQuirks({}));

  /** Every (group, member) pair, read the way the import does: small listing, then one GET per group. */
  async function membershipsViaPerGroupFetch(): Promise<string[]> {
    const { ids } = await readListing(client.listResources('/Groups', { excludedAttributes: ['members'] }));
    const pairs: string[] = [];
    for (const id of ids) {
      const members = await client.fetchGroupMembers(id);
      expect(members).not.toBeNull();
      for (const m of members ?? []) pairs.push(`${id}:${m.value}:${m.type ?? ''}`);
    }
    return pairs;
  }

  it('excludedAttributes=members keeps listings small; fetchGroupMembers returns the full lists', async () => {
    const { pages } = await readListing(client.listResources('/Groups', { excludedAttributes: ['members'] }));
    expect(pages.flatMap((p) => p.resources).every((g) => g.members === undefined)).toBe(true);
    const pairs = await membershipsViaPerGroupFetch();
    expect(pairs).toHaveLength(150 * 3);
    expect(pairs.every((p) => p.endsWith(':User'))).toBe(true);
  });

  it('gets the same memberships when the server omits members from listings', async () => {
    const expected = await membershipsViaPerGroupFetch();
    server.setQuirks({ omitMembersInList: true });
    const listed = await readListing(client.listResources('/Groups'));
    expect(listed.pages.flatMap((p) => p.resources).every((g) => g.members === undefined)).toBe(true);
    expect(sorted(await membershipsViaPerGroupFetch())).toEqual(sorted(expected));
  });

  it('turns numeric ids and member values into strings', async () => {
    server.setQuirks({ numbersAsStrings: true });
    const { pages, report } = await readListing(client.listResources('/Groups'));
    const groups = pages.flatMap((p) => p.resources);
    expect(report.complete).toBe(true);
    expect(groups.every((g) => typeof g.id === 'string')).toBe(true);
    const values = groups.flatMap((g) => (g.members as { value: unknown }[]).map((m) => m.value));
    expect(values.length).toBe(450);
    expect(values.every((v) => typeof v === 'string')).toBe(true);
    const members = await client.fetchGroupMembers(groups[0].id);
    expect(members?.every((m) => typeof m.value === 'string')).toBe(true);
  });

  it('getResource reads one user (with attributes) and gives null for a deleted one', async () => {
    const [id] = server.admin.listUserIds();
    const user = await client.getResource('/Users', id, { attributes: ['userName'] });
    expect(user).toMatchObject({ id, userName: server.admin.getUser(id)?.userName });
    expect(user).not.toHaveProperty('emails');
    const { id: temp } = await server.admin.addUser({ userName: `temp.${Date.now()}@example.com` });
    await server.admin.deleteUser(temp);
    expect(await client.getResource('/Users', temp)).toBeNull();
    expect(await client.fetchGroupMembers('no-such-group')).toBeNull();
  });
});
