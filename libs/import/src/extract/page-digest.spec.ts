import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { digestListResponse, filterCheckOf, normalizeResource, parseJsonBody, parseListResponse, type ListPageText, type ScimClient } from '@app/scim';
import type { StagedRecordInput } from '@app/persistence';
import { mapperFor, type MapperConfig } from '../decide/map-records';
import { ThreadPool } from '../infrastructure/thread-pool';
import { digestPageJob, PageDigestCache, type ListedPage, type PageJob, type PageJobAnswer } from './page-digest';
import { settledEntries, stagedEntryDigester } from './page-threads';
import { completeStaged, stagedEntry, toStaged, type EntryWork } from './staged-records';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const identityConfig: MapperConfig = {
  kind: 'identity',
  templateCode: 'account',
  mapping: {
    unique: { external: 'id', local: 'scimId' },
    attributes: [
      { external: 'userName', local: 'login' },
      { external: 'emails[type eq "work"].value', local: 'email' },
      { external: `${ENTERPRISE}:department`, local: 'department' },
      { external: 'active', local: 'enabled' },
    ],
  },
  targetAttributes: [
    { code: 'scimId', type: 'string' },
    { code: 'login', type: 'string' },
    { code: 'email', type: 'string' },
    { code: 'department', type: 'string' },
    { code: 'enabled', type: 'boolean' },
  ],
};

const accessConfig: MapperConfig = {
  kind: 'access',
  templateCode: 'entitlement',
  mapping: { unique: { external: 'id', local: 'scimId' }, attributes: [{ external: 'displayName', local: 'name' }] },
  targetAttributes: [
    { code: 'scimId', type: 'string' },
    { code: 'name', type: 'string' },
    { code: 'members', type: 'reference', multiple: true },
  ],
  membersLocal: 'members',
};

const users = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: '7',
  startIndex: 1,
  itemsPerPage: 7,
  Resources: [
    { id: 'u1', userName: 'ann', active: true, emails: [{ type: 'work', value: 'ann@example.com' }], [ENTERPRISE]: { department: 'Sales' }, meta: { created: '2024-01-01T00:00:00Z' } },
    { ID: 42, userName: 'bob', active: 'false' },
    { id: 'u3', userName: 'carl', active: true, [ENTERPRISE]: { department: 'IT' } },
    // unmappable: the unique value is required and an object is not one
    { id: 'u4', userName: { not: 'a string' }, active: 'maybe' },
    { userName: 'no-id' },
    'not an object',
    { id: '   ', userName: 'blank id' },
    { id: 'u1', userName: 'ann again' },
  ],
};

const groups = {
  totalResults: 4,
  Resources: [
    { id: 'g1', displayName: 'app-admins', members: [{ value: 'u3', type: 'User' }, { value: 'u1' }, { value: 7, type: 'user' }, { value: 'g2', type: 'Group' }, { bogus: true }] },
    { id: 'g2', displayName: 'app-nested', Members: [] },
    { id: 'g3', displayName: 'app-listed-without-members' },
    { id: 'g4', displayName: 'big', members: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] },
  ],
  nextCursor: 'next',
};

function pageOf(body: unknown): ListPageText {
  return { text: JSON.stringify(body), contentType: 'application/scim+json', ctx: { method: 'GET', url: 'https://scim.example/Users', status: 200 } };
}

/** The in-process path of ScimClient.listResources with extract's digester. */
function inProcess(page: ListPageText, filter: string | undefined, work: EntryWork) {
  const parsed = parseListResponse(parseJsonBody(page.text, page.contentType, page.ctx), page.ctx);
  return { ...digestListResponse(parsed, filterCheckOf(filter), (r) => stagedEntry(r, work)), bytes: page.text.length };
}

/** What extract staged before page threads: toStaged, then every record mapped. */
async function before(body: { Resources: unknown[] }, config: MapperConfig, membersWanted: boolean, client: ScimClient): Promise<StagedRecordInput[]> {
  const resources = parseListResponse(body, {}).resources.flatMap((raw) => {
    const normalized = normalizeResource(raw);
    return 'resource' in normalized ? [normalized.resource] : [];
  });
  const records = await toStaged(client, config.kind, firstOfEach(resources, (r) => r.id), 2, () => undefined, undefined, membersWanted);
  const mapper = mapperFor(config);
  for (const r of records) {
    const out = mapper(r.raw, r.members);
    if (out.ok) r.mapped = { uniqueValue: out.uniqueValue, attributes: out.attributes, hash: out.hash };
  }
  return records;
}

/** What a listing passes on of a page: the first record of each id. */
function firstOfEach<T>(items: T[], id: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(id(item)) && !!seen.add(id(item)));
}

const memberClient = { fetchGroupMembers: async (id: string) => (id === 'g3' ? [{ value: 'u9' }, { value: 'u1', type: 'User' }] : null) } as unknown as ScimClient;

/** Staged records compared on what stagePage writes: a mapped record's mapping, else its raw JSON. */
function written(records: StagedRecordInput[]) {
  return records.map((r) => (r.mapped ? { sourceId: r.sourceId, members: r.members, mapped: r.mapped } : { sourceId: r.sourceId, members: r.members, raw: r.raw }));
}

describe('page digest (what a page thread makes of a list page)', () => {
  const cache = new PageDigestCache();
  const cases: Array<{ name: string; body: { Resources: unknown[] }; config: MapperConfig; membersWanted: boolean; filter?: string }> = [
    { name: 'users with extension attributes, rejected and unmappable records', body: users, config: identityConfig, membersWanted: true, filter: 'active eq true' },
    { name: 'groups with members, nested groups and a group listed without members', body: groups, config: accessConfig, membersWanted: true },
    { name: 'groups whose members are not wanted', body: groups, config: accessConfig, membersWanted: false },
  ];

  it.each(cases)('digests $name exactly as the in-process path does', ({ body, config, membersWanted, filter }) => {
    const page = pageOf(body);
    const job: PageJob = { page, filter, work: { resource: config.kind, membersWanted, mapping: { key: `run:${config.kind}`, config } } };
    const local = inProcess(page, filter, { resource: config.kind, membersWanted, mapper: mapperFor(config) });
    expect(digestPageJob(job, cache)).toEqual(local);
    // the answer survives the trip between threads unchanged
    expect(structuredClone(digestPageJob(job, cache))).toEqual(local);
  });

  it.each(cases)('stages $name as extract staged them before (same rows, same hashes)', async ({ body, config, membersWanted }) => {
    const work: EntryWork = { resource: config.kind, membersWanted, mapper: mapperFor(config) };
    const digested = digestPageJob({ page: pageOf(body), work: { resource: config.kind, membersWanted, mapping: { key: `run:${config.kind}`, config } } }, cache);
    const unique = firstOfEach(digested.entries, (e) => e.id).map((e) => e.payload);
    const staged = await completeStaged(structuredClone(unique), work, memberClient, 2, () => undefined);
    expect(written(staged)).toEqual(written(await before(body, config, membersWanted, memberClient)));
  });

  it('keeps the envelope, the rejections and the filter verdicts', () => {
    const digested = digestPageJob({ page: pageOf(users), filter: 'active eq true', work: { resource: 'identity', membersWanted: true } }, cache);
    expect(digested).toMatchObject({ totalResults: 7, startIndex: 1, itemsPerPage: 7, bytes: JSON.stringify(users).length });
    expect(digested.rejected.map((r) => r.reason)).toEqual(['record has no id', 'entry is not a JSON object', 'record id is empty or not a string/number']);
    expect(digested.entries.map((e) => [e.id, e.outsideFilter])).toEqual([
      ['u1', false],
      ['42', true],
      ['u3', false],
      ['u4', false],
      ['u1', false],
    ]);
    expect(digested.entries[0].created).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(digested.entries[1].created).toBeNaN();
    // not mapped without a mapping: the raw record is kept
    expect(digested.entries[0].payload).toEqual({ sourceId: 'u1', members: null, raw: expect.objectContaining({ userName: 'ann' }) });
  });

  it('flags a group listed with more members than the worker holds, with the message of before', async () => {
    const work: EntryWork = { resource: 'access', membersWanted: true, memberLimit: 2, mapper: mapperFor(accessConfig) };
    const digested = digestPageJob({ page: pageOf(groups), work: { resource: 'access', membersWanted: true, memberLimit: 2, mapping: { key: 'run:access', config: accessConfig } } }, cache);
    expect(digested.entries.map((e) => e.payload.tooLarge)).toEqual([{ members: 5, name: 'app-admins' }, undefined, undefined, { members: 3, name: 'big' }]);
    const limits = { memberLimit: 2, path: '/Groups', reserveFetch: async () => ({ shrinkTo() {}, release() {} }) as never };
    const now = completeStaged(digested.entries.map((e) => e.payload), work, memberClient, 2, () => undefined, limits);
    const then = toStaged(memberClient, 'access', groups.Resources, 2, () => undefined, limits);
    await expect(now).rejects.toThrow(/^group g1 "app-admins" of \/Groups has 5 members; this worker's heap holds groups of up to 2 members/);
    const message = await now.then(
      () => '',
      (e: Error) => e.message,
    );
    await expect(then).rejects.toThrow(message);
  });

  it('throws on an answer that is not a ListResponse', () => {
    expect(() => digestPageJob({ page: { ...pageOf({}), text: '<html>login</html>' }, work: { resource: 'identity', membersWanted: true } }, cache)).toThrow(/expected a SCIM JSON body/);
  });
});

describe('page threads', () => {
  const start = () => {
    const file = join(__dirname, `page-thread${extname(__filename)}`);
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true });
  };
  let pool: ThreadPool<PageJob, PageJobAnswer, ListedPage>;
  beforeEach(() => {
    pool = new ThreadPool<PageJob, PageJobAnswer, ListedPage>(1, start);
  });
  afterEach(() => pool.close());

  const mapping = { key: 'run:access', config: accessConfig };
  const job: PageJob = { page: pageOf(groups), work: { resource: 'access', membersWanted: true, mapping } };
  const local = () => inProcess(job.page, undefined, { resource: 'access', membersWanted: true, mapper: mapperFor(accessConfig) });

  it('answers the listed page, then its entries: what the in-process path makes of it, on one reused thread', async () => {
    for (let i = 0; i < 3; i++) {
      const parts: ListedPage[] = [];
      const answer = await pool.run(job, (part) => parts.push(part));
      const expected = local();
      expect(parts).toEqual([{ ...expected, entries: expected.entries.map((e) => ({ ...e, payload: null })) }]);
      expect(answer).toEqual({ ok: true, entries: expected.entries.map((e) => e.payload) });
    }
    expect(pool.stats).toEqual({ started: 1, answered: 3, died: 0 });
  });

  it('answers a page that is not a ListResponse with the error alone', async () => {
    const parts: ListedPage[] = [];
    const answer = await pool.run({ ...job, page: { ...job.page, text: 'nope' } }, (part) => parts.push(part));
    expect(parts).toEqual([]);
    expect(answer).toEqual({ ok: false, error: { name: 'ScimProtocolError', message: expect.stringMatching(/expected a SCIM JSON body/) } });
  });

  it('fails the job of a thread killed mid-page and answers the next one on a fresh thread', async () => {
    await pool.run(job);
    pool.onDispatch = (thread) => {
      pool.onDispatch = undefined;
      void thread.terminate();
    };
    await expect(pool.run(job)).rejects.toMatchObject({ name: 'ThreadDiedError' });
    expect(await pool.run(job)).toMatchObject({ ok: true });
    expect(pool.stats).toMatchObject({ started: 2, died: 1 });
  });

  describe('extract\'s digester', () => {
    const work: EntryWork = { resource: 'access', membersWanted: true };
    const pageMapping = { mapper: mapperFor(accessConfig), config: accessConfig };
    /** A page the thread takes a while to map and hash. */
    const many = pageOf({ totalResults: 3000, Resources: Array.from({ length: 3000 }, (_, i) => ({ id: `g${i}`, displayName: `group ${i}`, members: [{ value: `u${i}` }, { value: `u${i + 1}` }] })) });
    const expected = (page: ListPageText) => inProcess(page, undefined, { ...work, mapper: pageMapping.mapper }).entries.map((e) => e.payload);

    it('lists a page before its entries are made, and the entries are those made in-process', async () => {
      const digester = stagedEntryDigester(work, pageMapping, 'run', pool);
      const digested = await digester.digestText!(many, undefined);
      expect(digested.entries).toHaveLength(3000);
      expect(await settledEntries(digested.entries.map((e) => e.payload))).toEqual(expected(many));
    });

    it('makes the entries of a page here when its thread dies after listing it', async () => {
      let thread: Worker | undefined;
      pool.onDispatch = (t) => (thread = t);
      const digested = await stagedEntryDigester(work, pageMapping, 'run', pool).digestText!(many, undefined);
      // the thread is still mapping and hashing 3000 groups
      await thread!.terminate();
      expect(await settledEntries(digested.entries.map((e) => e.payload))).toEqual(expected(many));
      expect(pool.stats).toMatchObject({ died: 1, answered: 0 });
    });

    it('leaves a page whose thread died before listing it, or which is not a ListResponse, to the in-process path', async () => {
      pool.onDispatch = (t) => void t.terminate();
      await expect(stagedEntryDigester(work, pageMapping, 'run', pool).digestText!(many, undefined)).rejects.toMatchObject({ name: 'ThreadDiedError' });
      pool.onDispatch = undefined;
      await expect(stagedEntryDigester(work, pageMapping, 'run', pool).digestText!({ ...many, text: '<html>' }, undefined)).rejects.toMatchObject({ name: 'ScimProtocolError' });
      // without threads, the entries are made at once
      const plain = stagedEntryDigester(work, pageMapping, 'run', undefined);
      expect(plain.digestText).toBeUndefined();
      expect(plain.payload({ id: 'g1', displayName: 'x', members: [{ value: 'u1' }] })).toEqual({ ready: expected(pageOf({ Resources: [{ id: 'g1', displayName: 'x', members: [{ value: 'u1' }] }] }))[0] });
    });
  });
});
