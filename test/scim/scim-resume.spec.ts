/**
 * Interrupted listings resume from a saved position (as the extract activity does after a worker
 * crash or a Temporal retry) and end with exactly the server's id set.
 */
import { startScimDemoServer, type ScimDemoServer, type ScimQuirks } from '../../apps/scim-demo/src';
import { InMemoryIdTracker, ScimClient, ScimRetryableError, type IdTracker, type ListPosition } from '../../libs/scim/src';
import { expectNoDuplicates, readListing, sorted } from './scim-test-helpers';

/** Stands in for the PostgreSQL-backed tracker: only `add` and `size`, state kept outside the listing. */
class CountingOnlyTracker implements IdTracker {
  readonly ids = new Set<string>();
  add(ids: string[]): Promise<number> {
    let fresh = 0;
    for (const id of ids) {
      if (this.ids.has(id)) continue;
      this.ids.add(id);
      fresh++;
    }
    return Promise.resolve(fresh);
  }
  size(): Promise<number> {
    return Promise.resolve(this.ids.size);
  }
}

describe('resumable listings', () => {
  let server: ScimDemoServer;

  beforeAll(async () => {
    server = await startScimDemoServer({ seed: { users: 430, groups: 5 } });
  });
  afterAll(async () => {
    await server.close();
  });

  const newClient = (maxAttemptsPerRequest?: number) =>
    new ScimClient({ baseUrl: server.url, auth: { type: 'bearer', token: 'open' }, pageSize: 60 }, { maxAttemptsPerRequest });

  it.each<[string, ScimQuirks, () => IdTracker]>([
    ['index paging', {}, () => new InMemoryIdTracker()],
    ['index paging, capped pages', { maxCount: 35 }, () => new InMemoryIdTracker()],
    ['cursor paging', { cursorOnly: true }, () => new InMemoryIdTracker()],
    ['index paging with a counting-only tracker', {}, () => new CountingOnlyTracker()],
  ])('stops after 3 pages, resumes with a new client, and ends with the same set (%s)', async (_name, quirks, makeTracker) => {
    server.setQuirks(quirks);
    const tracker = makeTracker();
    const first = newClient();
    const part1 = await readListing(first.listResources('/Users', { idTracker: tracker }), 3);
    await first.close();
    expect(part1.report.complete).toBe(false);
    // The position must survive a round trip through JSON (heartbeat details, a database column).
    const saved: ListPosition = JSON.parse(JSON.stringify(part1.pages[2].position));
    expect(saved.pages).toBe(3);

    const second = newClient();
    const part2 = await readListing(second.listResources('/Users', { idTracker: tracker, resumeFrom: saved }));
    await second.close();
    const all = [...part1.ids, ...part2.ids];
    expectNoDuplicates(all);
    expect(sorted(all)).toEqual(sorted(server.admin.listUserIds()));
    expect(part2.report).toMatchObject({ complete: true, distinctIds: 430 });
    expect(part2.report.pages).toBeGreaterThan(3);
  });

  it('resumes after an expired cursor by restarting the pass, without duplicates', async () => {
    server.setQuirks({ cursorOnly: true });
    const tracker = new InMemoryIdTracker();
    const first = newClient();
    const part1 = await readListing(first.listResources('/Users', { idTracker: tracker }), 2);
    await first.close();
    // The saved cursor is rejected once on resume (it "expired" while the worker was down).
    server.setQuirks({ cursorOnly: true, expireCursorOnce: true });
    const second = newClient();
    const part2 = await readListing(second.listResources('/Users', { idTracker: tracker, resumeFrom: part1.pages[1].position }));
    await second.close();
    const all = [...part1.ids, ...part2.ids];
    expectNoDuplicates(all);
    expect(sorted(all)).toEqual(sorted(server.admin.listUserIds()));
    expect(part2.report).toMatchObject({ complete: true, restarts: 1 });
  });

  it('an error burst longer than the in-request retries fails retryably; resuming completes the read', async () => {
    server.setQuirks({});
    const tracker = new InMemoryIdTracker();
    const client = newClient(2);
    const listing = client.listResources('/Users', { idTracker: tracker });
    const ids: string[] = [];
    let lastPosition: ListPosition | undefined;
    let error: unknown;
    try {
      for await (const page of listing.pages()) {
        ids.push(...page.resources.map((r) => r.id));
        lastPosition = page.position;
        // The server starts failing mid-read, for longer than two attempts can ride out.
        if (page.position.pages === 2) server.setQuirks({ errorBurst: { status: 503, count: 3 } });
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ScimRetryableError);
    expect((error as ScimRetryableError).retryable).toBe(true);
    expect((error as ScimRetryableError).status).toBe(503);
    expect((error as ScimRetryableError).retryAfterMs).toBe(1000);
    expect(listing.report().complete).toBe(false);

    // What a Temporal retry does: same tracker state, the last heartbeated position.
    const rest = await readListing(client.listResources('/Users', { idTracker: tracker, resumeFrom: lastPosition }));
    await client.close();
    const all = [...ids, ...rest.ids];
    expectNoDuplicates(all);
    expect(sorted(all)).toEqual(sorted(server.admin.listUserIds()));
    expect(rest.report.complete).toBe(true);
  });

  it('a position from the last page resumes to nothing and still reports complete', async () => {
    server.setQuirks({});
    const tracker = new InMemoryIdTracker();
    const client = newClient();
    const full = await readListing(client.listResources('/Users', { idTracker: tracker }));
    const last = full.pages[full.pages.length - 1].position;
    expect(last.done).toBe(true);
    const again = await readListing(client.listResources('/Users', { idTracker: tracker, resumeFrom: last }));
    await client.close();
    expect(again.ids).toEqual([]);
    expect(again.report).toMatchObject({ complete: true, distinctIds: 430 });
  });
});
