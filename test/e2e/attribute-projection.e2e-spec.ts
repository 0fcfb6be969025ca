/**
 * Listing with `attributes=` (connector setting attributeProjection) gives the same target as
 * reading whole records, on every shape of the demo SCIM server the project tests against: plain
 * (honours the parameter, sub-attributes and extension attributes included), one that ignores it, one that drops what it cannot project, one that rejects it (400 and 501), one that omits members from group
 * listings, and a cursor-only one. Each shape is imported twice from the same source into target
 * stores of their own: once projected, once whole; datacards and links must be the same, and the
 * server's request log shows which listings named attributes.
 */
import { randomUUID } from 'node:crypto';
import { startScimDemoServer, type ScimDemoServer, type ScimQuirks } from '../../apps/scim-demo/src';
import { useStack } from '../support/e2e-stack';
import { DEPARTMENT_URN, uniq } from '../support/fixtures';
import { runApi, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const { api } = useStack({ taskQueue: uniq('e2e-projection'), api: true, worker: true });
const rest = runApi(api);
const servers: ScimDemoServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Top-level attributes and a value path only. */
const TOP_LEVEL = {
  identity: [
    { external: 'userName', local: 'login' },
    { external: 'emails[type eq "work"].value', local: 'email' },
    { external: 'displayName', local: 'firstName' },
  ],
};
/** The example mapping of docs/api.md: a sub-attribute and an extension attribute. */
const NESTED = {
  identity: [
    { external: 'userName', local: 'login' },
    { external: 'emails[type eq "work"].value', local: 'email' },
    { external: 'name.givenName', local: 'firstName' },
    { external: DEPARTMENT_URN, local: 'department' },
  ],
};

/** A listing request (not a group's own GET, not ServiceProviderConfig). */
const LISTING = /^GET \/scim\/v2\/(Users|Groups)\?/;
const namesAttributes = (line: string) => /[?&]attributes=/.test(line);
/** The projection check's whole first page of the resource `line` lists: the first request of that resource without attributes. */
const firstWhole = (listings: string[], line: string) => listings.find((l) => l.split('?')[0] === line.split('?')[0] && !namesAttributes(l));

async function connector(scim: ScimDemoServer, attributeProjection: boolean): Promise<string> {
  const res = await rest.post('/api/v1/connectors', { name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, pageSize: 15, attributeProjection });
  if (res.status !== 201) throw new Error(`connector: HTTP ${res.status} ${res.text}`);
  expect(res.body.attributeProjection).toBe(attributeProjection);
  return res.body.id as string;
}

/** Imports the server once with the setting given, into its own target store; the run and the listing requests it sent. */
async function importOnce(scim: ScimDemoServer, projection: boolean, identity: Array<{ external: string; local: string }>) {
  const codes = await rest.targetStore(projection ? 'proj' : 'whole');
  const taskId = await rest.task(await connector(scim, projection), codes, { filters: { users: 'active eq true', groups: null } });
  const base = await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth());
  await rest.patchTask(taskId, { identity: { ...base.body.identity, attributes: identity } });
  const before = scim.requestLog().length;
  const run: RunBody = await rest.runToEnd(taskId);
  expect(run).toMatchObject({ status: 'succeeded', stats: { failed: 0 } });
  const listings = scim.requestLog().slice(before).filter((l) => LISTING.test(l));
  return { run, listings, target: await rest.target(codes) };
}

const SHAPES: Array<{ name: string; quirks: ScimQuirks; mapping: typeof TOP_LEVEL; projects: boolean; note?: RegExp }> = [
  { name: 'plain', quirks: {}, mapping: TOP_LEVEL, projects: true },
  { name: 'plain, sub-attribute and extension mappings', quirks: {}, mapping: NESTED, projects: true },
  { name: 'drops sub-attributes and extension attributes it was asked for', quirks: { projectTopLevelOnly: true }, mapping: NESTED, projects: false, note: /source cannot list with attributes=; read whole records \(\/Users: "name\.givenName" of record \S+ differs from the whole record\)/ },
  { name: 'ignores attributes=', quirks: { ignoreAttributes: true }, mapping: NESTED, projects: true, note: /source ignores attributes= and sends whole records \(\/Users\)/ },
  { name: 'rejects attributes= with 400 invalidValue', quirks: { rejectAttributes: 400 }, mapping: TOP_LEVEL, projects: false, note: /source cannot list with attributes=; read whole records \(\/Users: HTTP 400 invalidValue/ },
  { name: 'rejects attributes= with 501', quirks: { rejectAttributes: 501 }, mapping: TOP_LEVEL, projects: false, note: /source cannot list with attributes=; read whole records \(\/Users: HTTP 501/ },
  { name: 'omits members from group listings', quirks: { omitMembersInList: true }, mapping: TOP_LEVEL, projects: true },
  { name: 'cursor paging only', quirks: { cursorOnly: true }, mapping: TOP_LEVEL, projects: true },
];

describe('attributes= gives the same target as a whole-record read', () => {
  it.each(SHAPES)('$name', async ({ quirks, mapping, projects, note }) => {
    const scim = await startScimDemoServer({ auth: { basic: { username: USER, password: PASSWORD } }, seed: { users: 40, groups: 6, membersPerUser: 2 }, quirks });
    servers.push(scim);
    // one user outside the filter, so the filter's attribute has to come back for the listing's filter check
    await scim.admin.updateUser(scim.admin.listUserIds()[0], { active: false });

    const whole = await importOnce(scim, false, mapping.identity);
    const projected = await importOnce(scim, true, mapping.identity);

    expect(Object.keys(whole.target).length).toBeGreaterThan(30);
    expect(projected.target).toEqual(whole.target);
    expect(projected.run.stats).toEqual(whole.run.stats);

    // projection off: no listing names attributes; on: every listing does when the source takes it
    expect(whole.listings.length).toBeGreaterThan(0);
    expect(whole.listings.filter(namesAttributes)).toEqual([]);
    const named = projected.listings.filter(namesAttributes);
    if (projects) {
      // the pages of the run; the check's whole first page and the tail check's sorted reads apart
      const paged = projected.listings.filter((l) => /[?&](startIndex|cursor)=/.test(l) && !/sortBy=/.test(l)).filter((l) => l !== firstWhole(projected.listings, l));
      expect(paged.length).toBeGreaterThan(0);
      expect(paged.filter((l) => !namesAttributes(l))).toEqual([]);
      const users = decodeURIComponent(named.find((l) => l.includes('/Users?'))!.replace(/\+/g, ' '));
      expect(users).toContain('attributes=id,meta,');
      expect(users).toContain('active');
      expect(decodeURIComponent(named.find((l) => l.includes('/Groups?'))!)).toContain('members');
    } else {
      // only the check requests asked; the listings themselves went whole
      expect(named.length).toBeGreaterThan(0);
      expect(projected.listings.filter((l) => /[?&]startIndex=([2-9]|\d\d)/.test(l)).filter(namesAttributes)).toEqual([]);
    }
    if (note) expect(projected.run.notes.join('\n')).toMatch(note);
    else expect(projected.run.notes.join('\n')).not.toMatch(/attributes=/);
  });
});

describe('a source that stops taking attributes= mid-read', () => {
  it('is read on whole from the last checkpoint, to the same target', async () => {
    const scim = await startScimDemoServer({ auth: { basic: { username: USER, password: PASSWORD } }, seed: { users: 60, groups: 6, membersPerUser: 2 } });
    servers.push(scim);
    const whole = await importOnce(scim, false, NESTED.identity);
    // the check's projected first page and the first two pages of users are served projected; the third is refused
    scim.setQuirks({ rejectAttributesAfter: 3 });
    const projected = await importOnce(scim, true, NESTED.identity);

    expect(projected.target).toEqual(whole.target);
    expect(projected.run.stats).toEqual(whole.run.stats);
    expect(projected.run.notes.join('\n')).toMatch(/source cannot list with attributes=; read whole records \(\/Users: .*no longer supported/);
    const users = projected.listings.filter((l) => l.startsWith('GET /scim/v2/Users?') && /[?&]startIndex=/.test(l) && !/sortBy=/.test(l));
    const refused = users.filter(namesAttributes).pop()!;
    const startOf = (l: string) => /[?&]startIndex=(\d+)/.exec(l)![1];
    // pages before the refusal were read projected; the refused page and those after it are read whole
    expect(users.filter(namesAttributes).length).toBeGreaterThan(2);
    const wholePages = users.filter((l) => !namesAttributes(l) && l !== firstWhole(projected.listings, l)).map(startOf);
    expect(wholePages).toContain(startOf(refused));
    expect(Number(wholePages[wholePages.length - 1])).toBeGreaterThan(Number(startOf(refused)));
  });
});

describe('turning attributeProjection on changes no hash', () => {
  it('a task read whole, then projected, finds every record unchanged', async () => {
    const scim = await startScimDemoServer({ auth: { basic: { username: USER, password: PASSWORD } }, seed: { users: 30, groups: 4, membersPerUser: 2 } });
    servers.push(scim);
    const codes = await rest.targetStore('toggle');
    const connectorId = await connector(scim, false);
    const taskId = await rest.task(connectorId, codes, { filters: null });
    const base = await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth());
    await rest.patchTask(taskId, { identity: { ...base.body.identity, attributes: TOP_LEVEL.identity } });
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', stats: { failed: 0 } });
    const records = first.stats.created;
    expect(records).toBeGreaterThan(25);
    const patched = await api.http().patch(`/api/v1/connectors/${connectorId}`).set(rest.auth()).send({ attributeProjection: true });
    expect(patched.body.attributeProjection).toBe(true);
    await rest.settled(taskId);
    const before = scim.requestLog().length;
    const second = await rest.runToEnd(taskId);
    expect(second).toMatchObject({ status: 'succeeded', stats: { created: 0, updated: 0, unchanged: records, failed: 0 } });
    expect(scim.requestLog().slice(before).filter((l) => LISTING.test(l) && /[?&]startIndex=/.test(l) && namesAttributes(l)).length).toBeGreaterThan(0);

    // an incremental run checks the projection on what changed, not on the whole listing's first page
    await rest.settled(taskId);
    await rest.patchTask(taskId, { type: 'incremental' });
    // the source's lastModified has second precision in the filter; step past the watermark
    await new Promise((r) => setTimeout(r, 1100));
    await scim.admin.updateUser(scim.admin.listUserIds()[1], { displayName: 'Changed Since' });
    const beforeIncremental = scim.requestLog().length;
    const incremental = await rest.runToEnd(taskId, 'incremental');
    expect(incremental).toMatchObject({ status: 'succeeded', mode: 'incremental', stats: { updated: 1, failed: 0 } });
    const listings = scim.requestLog().slice(beforeIncremental).filter((l) => LISTING.test(l)).map((l) => decodeURIComponent(l.replace(/\+/g, ' ')));
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.filter((l) => !/meta\.lastModified gt /.test(l))).toEqual([]);
  });
});
