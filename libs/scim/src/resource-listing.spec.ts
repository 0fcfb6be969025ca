import { ScimConfigError, ScimCursorError, ScimIncompleteReadError } from './errors';
import type { IdTracker } from './id-tracker';
import { InMemoryIdTracker } from './id-tracker';
import type { ParsedListResponse } from './list-response';
import type { ListOptions, ListingSource, ScimPage } from './resource-listing';
import { ResourceListing } from './resource-listing';

type Query = Record<string, string>;
type Handler = (q: Query, call: number) => ParsedListResponse;

const users = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ id: `u${from + i}`, meta: { created: '2020-01-01T00:00:00Z' } }));

/** A fake endpoint: records every query and answers through `handler`. */
function source(handler: Handler, hints: { cursor?: boolean; index?: boolean } = {}) {
  const queries: Query[] = [];
  const s: ListingSource & { queries: Query[] } = {
    queries,
    defaultPageSize: 10,
    logger: { debug: () => undefined, warn: () => undefined },
    displayUrl: (p) => `https://scim.example.com${p}`,
    pagingHints: async () => ({ cursor: hints.cursor ?? false, index: hints.index ?? true }),
    fetchPage: async (_path, query) => {
      const q = Object.fromEntries(query);
      queries.push(q);
      return handler(q, queries.length);
    },
  };
  return s;
}

/** An RFC index server over `data` that caps pages at `cap` and honours sortOrder=descending. */
function indexServer(data: { id: string }[], cap = Number.POSITIVE_INFINITY): Handler {
  return (q) => {
    const ordered = q.sortOrder === 'descending' ? [...data].reverse() : data;
    const start = Math.max(1, Number(q.startIndex ?? 1));
    const count = Math.min(Number(q.count), cap);
    return { totalResults: data.length, resources: ordered.slice(start - 1, start - 1 + count) };
  };
}

async function readAll(listing: ResourceListing, stopAfter = Number.POSITIVE_INFINITY): Promise<{ ids: string[]; pages: ScimPage[] }> {
  const ids: string[] = [];
  const pages: ScimPage[] = [];
  for await (const page of listing.pages()) {
    pages.push(page);
    ids.push(...page.resources.map((r) => r.id));
    if (pages.length >= stopAfter) break;
  }
  return { ids, pages };
}

const list = (s: ListingSource, options: ListOptions = {}) => new ResourceListing('/Users', { paging: 'index', ...options }, s);

describe('ResourceListing, index paging', () => {
  it('advances by what arrived when the server silently caps the page size', async () => {
    const s = source(indexServer(users(95), 25));
    const listing = list(s, { pageSize: 50 });
    const { ids } = await readAll(listing);
    expect(ids).toEqual(users(95).map((u) => u.id));
    expect(s.queries.slice(0, 4).map((q) => q.startIndex)).toEqual(['1', '26', '51', '76']);
    expect(s.queries[0]).toMatchObject({ count: '50' });
    expect(listing.report()).toMatchObject({ complete: true, distinctIds: 95, totalResultsClaimed: 95, pages: 4 });
  });

  it('keeps going after a short page until the total or an empty page', async () => {
    // A short page in the middle is not the end.
    const data = users(30);
    const s = source((q) => {
      const start = Number(q.startIndex);
      const size = start === 11 ? 3 : 10;
      return { totalResults: 30, resources: data.slice(start - 1, start - 1 + size) };
    });
    const { ids } = await readAll(list(s));
    expect(new Set(ids).size).toBe(30);
  });

  /** Two records are inserted at the front after page 1: page 2 repeats two records and the new ones are missed. */
  function shiftingServer(): Handler {
    const before = users(20);
    const after = [{ id: 'n1' }, { id: 'n2' }, ...before];
    return (q) => {
      const start = Number(q.startIndex);
      const data = start === 1 ? before : after;
      return { totalResults: data.length, resources: data.slice(start - 1, start + 9) };
    };
  }

  it('drops duplicates caused by inserts under the pages, counts them, and flags the missed inserts', async () => {
    const listing = list(source(shiftingServer()));
    const { ids } = await readAll(listing);
    expect(ids).toEqual(users(20).map((u) => u.id));
    expect(listing.report()).toMatchObject({ complete: false, duplicatesDropped: 2, distinctIds: 20, totalResultsClaimed: 22 });
    expect(listing.report().reason).toMatch(/20 of 22/);
  });

  it('rejects records without id and reports them', async () => {
    const s = source((q) => ({
      totalResults: 3,
      resources: q.startIndex === '1' ? [{ id: 'a' }, { userName: 'ghost' }, { id: 7 }] : [],
    }));
    const listing = list(s, { tailCheck: false });
    const { ids, pages } = await readAll(listing);
    expect(ids).toEqual(['a', '7']);
    expect(pages[0].rejected).toEqual([{ reason: 'record has no id', excerpt: '{"userName":"ghost"}' }]);
    // The unusable record still accounts for one of the three the server claims.
    expect(listing.report()).toMatchObject({ rejected: 1, distinctIds: 2, complete: true });
    expect(listing.report().reason).toMatch(/1 records without a usable id were rejected/);
  });

  it('ends on an empty page when the server reports no total', async () => {
    const data = users(15);
    const s = source((q) => ({ resources: data.slice(Number(q.startIndex) - 1, Number(q.startIndex) + 9) }));
    const listing = list(s);
    await readAll(listing);
    const report = listing.report();
    expect(report.complete).toBe(true);
    expect(report.reason).toMatch(/no totalResults/);
  });

  it('is incomplete when the listing ends short of totalResults', async () => {
    const data = users(40);
    const s = source((q) => {
      const start = Number(q.startIndex);
      return { totalResults: 40, resources: start > 20 ? [] : data.slice(start - 1, start + 9) };
    });
    const listing = list(s);
    await readAll(listing);
    expect(listing.report()).toMatchObject({ complete: false, distinctIds: 20, totalResultsClaimed: 40 });
    expect(listing.report().reason).toMatch(/20 of 40 claimed/);
  });

  it('is incomplete, and says so, when totalResults drops mid-read', async () => {
    const data = users(40);
    const s = source((q) => {
      const start = Number(q.startIndex);
      return { totalResults: start > 10 ? 20 : 40, resources: start > 20 ? [] : data.slice(start - 1, start + 9) };
    });
    const listing = list(s);
    await readAll(listing);
    expect(listing.report().complete).toBe(false);
    expect(listing.report().reason).toMatch(/fell from 40 to 20/);
  });

  it('fails clearly when the server ignores startIndex', async () => {
    const data = users(30);
    const s = source(() => ({ totalResults: 30, resources: data.slice(0, 10) }));
    const listing = list(s);
    await expect(readAll(listing)).rejects.toThrow(ScimIncompleteReadError);
    await expect(readAll(list(s))).rejects.toThrow(/ignore startIndex/);
    expect(listing.report().complete).toBe(false);
  });

  it('recovers the first record of a server that counts startIndex from 0', async () => {
    const data = users(25);
    const s = source((q) => {
      const start = Number(q.startIndex);
      return { totalResults: 25, resources: data.slice(start, start + 10) };
    });
    const listing = list(s);
    const { ids } = await readAll(listing);
    expect(new Set(ids)).toEqual(new Set(data.map((u) => u.id)));
    expect(listing.report()).toMatchObject({ complete: true, zeroBasedStartIndex: true });
  });

  it('finds records a truncating server hides behind a shrunken totalResults', async () => {
    const data = users(50);
    const s = source((q) => {
      const visible = q.sortOrder === 'descending' ? [...data].reverse() : data.slice(0, 30);
      const start = Number(q.startIndex);
      return { totalResults: 30, resources: visible.slice(start - 1, start + 9) };
    });
    const listing = list(s);
    const { ids } = await readAll(listing);
    const report = listing.report();
    expect(report.complete).toBe(false);
    expect(report.missedByListing).toBe(10);
    expect(report.reason).toMatch(/truncates/);
    expect(ids).toHaveLength(40);
  });

  it('resumes from a saved position with the same tracker and ends with the same set', async () => {
    const data = users(57);
    const tracker = new InMemoryIdTracker();
    const first = await readAll(list(source(indexServer(data)), { idTracker: tracker }), 3);
    const position = first.pages[2].position;
    expect(position).toMatchObject({ method: 'index', startIndex: 31, pages: 3, received: 30 });
    const s = source(indexServer(data));
    const resumed = list(s, { idTracker: tracker, resumeFrom: JSON.parse(JSON.stringify(position)) });
    const second = await readAll(resumed);
    expect([...first.ids, ...second.ids]).toEqual(data.map((u) => u.id));
    expect(s.queries[0].startIndex).toBe('31');
    expect(resumed.report()).toMatchObject({ complete: true, distinctIds: 57, pages: 6 });
  });

  it('tolerates a repeated first page after a resume (ids recorded before the crash)', async () => {
    const data = users(30);
    const tracker = new InMemoryIdTracker();
    await tracker.add(data.slice(0, 20).map((u) => u.id));
    const resumed = list(source(indexServer(data)), {
      idTracker: tracker,
      resumeFrom: { method: 'index', startIndex: 11, pages: 1, received: 10, lastTotal: 30 },
    });
    const { ids } = await readAll(resumed);
    expect(ids).toEqual(data.slice(20).map((u) => u.id));
    expect(resumed.report().complete).toBe(true);
  });

  it('passes a partly duplicate page on whole when the tracker can only count', async () => {
    const inner = new InMemoryIdTracker();
    const countingOnly: IdTracker = { add: (ids) => inner.add(ids), size: () => inner.size() };
    const listing = list(source(shiftingServer()), { idTracker: countingOnly });
    const { ids } = await readAll(listing);
    expect(new Set(ids).size).toBe(20);
    expect(ids).toHaveLength(22);
    expect(listing.report()).toMatchObject({ distinctIds: 20, duplicatesDropped: 2 });
  });

  it('refuses attributes together with excludedAttributes', async () => {
    const listing = list(source(indexServer(users(1))), { attributes: ['userName'], excludedAttributes: ['emails'] });
    await expect(readAll(listing)).rejects.toThrow(ScimConfigError);
  });

  it('drops records outside the filter when the server ignores it', async () => {
    const data = users(20).map((u, i) => ({ ...u, active: i % 2 === 0 }));
    const s = source(indexServer(data));
    const listing = list(s, { filter: 'active eq true' });
    const { ids } = await readAll(listing);
    expect(ids).toEqual(data.filter((u) => u.active).map((u) => u.id));
    expect(s.queries[0].filter).toBe('active eq true');
    expect(listing.report()).toMatchObject({ complete: true, filteredOut: 10, distinctIds: 10 });
  });

  it('switches to cursor paging in auto mode when an index answer carries nextCursor', async () => {
    const data = users(25);
    const s = source((q) => {
      const offset = q.cursor ? Number(q.cursor) : Number(q.startIndex ?? 1) - 1;
      const next = offset + 10 < 25 ? String(offset + 10) : undefined;
      return { totalResults: 25, resources: data.slice(offset, offset + 10), nextCursor: next };
    });
    const listing = new ResourceListing('/Users', { paging: 'auto', tailCheck: false }, s);
    const { ids } = await readAll(listing);
    expect(ids).toEqual(data.map((u) => u.id));
    expect(listing.report()).toMatchObject({ pagingMethod: 'cursor', complete: true });
  });
});

describe('ResourceListing, cursor paging', () => {
  /** An RFC 9865 server with opaque cursors that need percent-encoding. */
  function cursorServer(data: { id: string }[], opts: { expireAt?: number[] } = {}): Handler {
    return (q, call) => {
      if (opts.expireAt?.includes(call)) {
        throw new ScimCursorError('expired', { status: 400, scimType: 'expiredCursor' });
      }
      const offset = q.cursor === '' ? 0 : Number(Buffer.from(q.cursor, 'base64').toString());
      const next = offset + Number(q.count);
      const nextCursor = next < data.length ? Buffer.from(String(next)).toString('base64') + '+/=' : undefined;
      return { totalResults: data.length, resources: data.slice(offset, next), nextCursor };
    };
  }

  it('starts with an empty cursor, keeps the other parameters and ends without nextCursor', async () => {
    const data = users(23);
    const s = source(cursorServer(data));
    const listing = new ResourceListing(
      '/Users',
      { paging: 'cursor', filter: 'active eq true', attributes: ['userName'], tailCheck: false },
      s,
    );
    const active = data.map((u) => ({ ...u, active: true }));
    s.fetchPage = (() => {
      const inner = cursorServer(active);
      return async (_p: string, query: [string, string][]) => {
        const q = Object.fromEntries(query);
        s.queries.push(q);
        return inner({ ...q, cursor: q.cursor.replace('+/=', '') }, s.queries.length);
      };
    })();
    const { ids } = await readAll(listing);
    expect(ids).toEqual(data.map((u) => u.id));
    expect(s.queries[0]).toEqual({ filter: 'active eq true', attributes: 'userName', count: '10', cursor: '' });
    expect(s.queries[1].cursor).toMatch(/\+\/=$/);
    expect(Object.keys(s.queries[1])).toEqual(Object.keys(s.queries[0]));
    expect(listing.report()).toMatchObject({ pagingMethod: 'cursor', complete: true, pages: 3 });
  });

  it('restarts the pass when a cursor expires and still reads everything once', async () => {
    const data = users(30);
    const raw = cursorServer(data, { expireAt: [3] });
    const s = source((q, call) => raw({ ...q, cursor: q.cursor.replace('+/=', '') }, call));
    const listing = new ResourceListing('/Users', { paging: 'cursor', tailCheck: false }, s);
    const { ids } = await readAll(listing);
    expect(ids).toEqual(data.map((u) => u.id));
    expect(s.queries.filter((q) => q.cursor === '')).toHaveLength(2);
    expect(listing.report()).toMatchObject({ complete: true, restarts: 1, distinctIds: 30 });
  });

  it('gives up after maxRestarts rejected cursors', async () => {
    const s = source((q) => {
      if (q.cursor !== '') throw new ScimCursorError('invalid', { status: 400, scimType: 'invalidCursor' });
      return { totalResults: 30, resources: users(10), nextCursor: 'c' };
    });
    const listing = new ResourceListing('/Users', { paging: 'cursor', maxRestarts: 2 }, s);
    await expect(readAll(listing)).rejects.toThrow(ScimIncompleteReadError);
    expect(s.queries.filter((q) => q.cursor === '')).toHaveLength(3);
  });

  it('fails instead of looping when the server hands back the same cursor', async () => {
    const s = source((q) => ({ totalResults: 30, resources: users(10), nextCursor: q.cursor === '' ? 'same' : 'same' }));
    const listing = new ResourceListing('/Users', { paging: 'cursor' }, s);
    await expect(readAll(listing)).rejects.toThrow(/same cursor|returned the cursor it was given/);
  });

  it('fails instead of looping when pages stop bringing anything new and no total is known', async () => {
    let n = 0;
    const s = source(() => ({ resources: users(5), nextCursor: `c${++n}` }));
    const listing = new ResourceListing('/Users', { paging: 'cursor' }, s);
    await expect(readAll(listing)).rejects.toThrow(ScimIncompleteReadError);
    expect(n).toBeLessThan(100);
  });

  it('resumes from a saved cursor', async () => {
    const data = users(30);
    const raw = cursorServer(data);
    const handler: Handler = (q, call) => raw({ ...q, cursor: q.cursor.replace('+/=', '') }, call);
    const tracker = new InMemoryIdTracker();
    const first = await readAll(new ResourceListing('/Users', { paging: 'cursor', idTracker: tracker }, source(handler)), 1);
    const position = first.pages[0].position;
    expect(position).toMatchObject({ method: 'cursor', pages: 1, restarts: 0 });
    const resumed = new ResourceListing('/Users', { idTracker: tracker, resumeFrom: position, tailCheck: false }, source(handler));
    const second = await readAll(resumed);
    expect([...first.ids, ...second.ids]).toEqual(data.map((u) => u.id));
    expect(resumed.report()).toMatchObject({ complete: true, pages: 3 });
  });

  it('uses cursors in auto mode when the server advertises only cursor paging', async () => {
    const data = users(12);
    const raw = cursorServer(data);
    const s = source((q, call) => raw({ ...q, cursor: (q.cursor ?? '').replace('+/=', '') }, call), { cursor: true, index: false });
    const listing = new ResourceListing('/Users', { tailCheck: false }, s);
    await readAll(listing);
    expect(s.queries[0]).toHaveProperty('cursor', '');
    expect(listing.report()).toMatchObject({ pagingMethod: 'cursor', complete: true });
  });
});

describe('ResourceListing.report', () => {
  it('is not complete before the pages were read to the end', async () => {
    const listing = list(source(indexServer(users(30))));
    expect(listing.report().complete).toBe(false);
    await readAll(listing, 1);
    expect(listing.report()).toMatchObject({ complete: false, reason: expect.stringMatching(/not been read to the end/) });
  });

  it('refuses a second iteration', async () => {
    const listing = list(source(indexServer(users(3))));
    await readAll(listing);
    await expect(readAll(listing)).rejects.toThrow(/only once/);
  });
});
