/**
 * GET /api/v1/runs (filters and keyset paging in the database) and the run summaries on the task
 * list (lastRun, nextRunAt), end to end: real runs of real tasks against demo SCIM servers, through
 * the REST API, on the real worker and Temporal.
 */
import { randomUUID } from 'node:crypto';
import { useStack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { runApi, scimServerPool, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const { api } = useStack({ taskQueue: uniq('e2e-runs-list'), api: true, worker: true });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);

interface Listed {
  items: Array<RunBody & { startedAt: string; progress?: unknown; phases?: unknown }>;
  nextCursor: string | null;
}

async function list(query: Record<string, string>): Promise<Listed> {
  const res = await api.http().get('/api/v1/runs').query(query).set(rest.auth());
  if (res.status !== 200) throw new Error(`GET /runs ${JSON.stringify(query)}: ${res.status} ${res.text}`);
  return res.body as Listed;
}

/** Every run the filters match, page after page. */
async function all(query: Record<string, string>, limit = 200): Promise<Listed['items']> {
  const out: Listed['items'] = [];
  let cursor: string | null = null;
  do {
    const page: Listed = await list({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Newest first, as the list orders them (no two of these runs start in the same millisecond). */
const newestFirst = (runs: Array<{ id: string; startedAt: string }>) =>
  [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id)).map((r) => r.id);

describe('GET /runs and the run summaries of the task list', () => {
  let since: string;
  let connA: string;
  let connBad: string;
  let taskA: string;
  let taskB: string;
  let taskC: string;
  const runs: Record<string, RunBody & { startedAt: string }> = {};
  const ours = () => Object.values(runs);
  /** Our runs among those listed, in the listed order. */
  const oursIn = (items: Array<{ id: string }>) => items.map((r) => r.id).filter((id) => ours().some((o) => o.id === id));

  beforeAll(async () => {
    since = new Date(Date.now() - 1000).toISOString();
    const scim = await scimServers.start({ users: 6, groups: 0 });
    const codes = await rest.targetStore('rl');
    connA = await rest.connector(scim, USER, PASSWORD);
    connBad = await rest.connector(scim, USER, 'not-the-password');
    const identityOnly = { mappingsType: 'identityOnly', access: null };
    taskA = await rest.task(connA, codes, identityOnly);
    taskB = await rest.task(connA, codes, { ...identityOnly, type: 'incremental' });
    taskC = await rest.task(connBad, codes, identityOnly);

    const end = async (started: RunBody) => (await rest.waitRun(started.id)) as RunBody & { startedAt: string };
    runs.a1 = await end(await rest.runNow(taskA));
    await rest.settled(taskA);
    runs.a2 = await end(await rest.runNow(taskA, undefined, true));
    runs.b1 = await end(await rest.runNow(taskB));
    await rest.settled(taskB);
    runs.b2 = await end(await rest.runNow(taskB));
    runs.c1 = await end(await rest.runNow(taskC));
    await rest.settled(taskC);
    const retried = await rest.post(`/api/v1/runs/${runs.c1.id}/retry`, { strategy: 'restart' });
    expect(retried.status).toBe(202);
    runs.c2 = await end(retried.body as RunBody);

    expect(runs.a1).toMatchObject({ status: 'succeeded', mode: 'full', trigger: 'manual', dryRun: false });
    expect(runs.a2).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(runs.b1).toMatchObject({ status: 'succeeded', mode: 'full' });
    expect(runs.b2).toMatchObject({ status: 'succeeded', mode: 'incremental' });
    expect(runs.c1).toMatchObject({ status: 'failed', trigger: 'manual' });
    expect(runs.c2).toMatchObject({ status: 'failed', trigger: 'retry', retryOf: runs.c1.id });
  }, 300_000);

  afterAll(async () => {
    await scimServers.closeAll();
  });

  it('each filter narrows the list to exactly the runs it names, newest first', async () => {
    const { a1, a2, b1, b2, c1, c2 } = runs;
    expect((await all({ taskId: taskA })).map((r) => r.id)).toEqual(newestFirst([a1, a2]));
    expect((await all({ connectorId: connA })).map((r) => r.id)).toEqual(newestFirst([a1, a2, b1, b2]));
    expect((await all({ connectorId: connBad })).map((r) => r.id)).toEqual(newestFirst([c1, c2]));

    // filters not scoped to our tasks: every item listed matches, and ours are exactly the expected ones
    const cases: Array<[Record<string, string>, (r: Listed['items'][number]) => boolean, Array<RunBody & { startedAt: string }>]> = [
      [{ status: 'failed' }, (r) => r.status === 'failed', [c1, c2]],
      [{ status: 'failed,succeeded' }, (r) => ['failed', 'succeeded'].includes(r.status), [a1, a2, b1, b2, c1, c2]],
      [{ status: 'cancelled,timedOut' }, (r) => ['cancelled', 'timedOut'].includes(r.status), []],
      [{ trigger: 'retry' }, (r) => r.trigger === 'retry', [c2]],
      [{ trigger: 'manual' }, (r) => r.trigger === 'manual', [a1, a2, b1, b2, c1]],
      [{ mode: 'incremental' }, (r) => r.mode === 'incremental', [b2]],
      [{ dryRun: 'true' }, (r) => r.dryRun === true, [a2]],
      [{ dryRun: 'false', status: 'succeeded' }, (r) => r.dryRun === false && r.status === 'succeeded', [a1, b1, b2]],
      [{ mode: 'full', trigger: 'manual', status: 'failed' }, (r) => r.mode === 'full' && r.trigger === 'manual' && r.status === 'failed', [c1]],
    ];
    for (const [query, matches, expected] of cases) {
      const items = await all({ ...query, startedAfter: since });
      expect({ query, unmatched: items.filter((r) => !matches(r)).map((r) => r.id) }).toEqual({ query, unmatched: [] });
      expect({ query, ours: oursIn(items) }).toEqual({ query, ours: newestFirst(expected) });
    }

    // combined with a task, and the start window: after is inclusive, before exclusive
    expect((await all({ taskId: taskB, mode: 'full' })).map((r) => r.id)).toEqual([b1.id]);
    expect((await all({ taskId: taskA, dryRun: 'true', status: 'succeeded' })).map((r) => r.id)).toEqual([a2.id]);
    expect((await all({ taskId: taskA, trigger: 'retry' })).map((r) => r.id)).toEqual([]);
    expect((await all({ taskId: taskA, startedAfter: a2.startedAt })).map((r) => r.id)).toEqual(a2.startedAt > a1.startedAt ? [a2.id] : newestFirst([a1, a2]));
    expect((await all({ taskId: taskA, startedBefore: a2.startedAt })).map((r) => r.id)).toEqual(a2.startedAt > a1.startedAt ? [a1.id] : []);
    expect(oursIn(await all({ startedAfter: b1.startedAt, startedBefore: c1.startedAt }))).toEqual(newestFirst([b1, b2]));

    // the items are the runs as GET /runs/:id shows them, without the live progress and phases
    const [listed] = (await list({ taskId: taskA, dryRun: 'true' })).items;
    const shown = (await api.http().get(`/api/v1/runs/${a2.id}`).set(rest.auth())).body as Record<string, unknown>;
    expect(listed).not.toHaveProperty('progress');
    expect(listed).not.toHaveProperty('phases');
    const { progress: _progress, phases: _phases, ...withoutLive } = shown;
    expect(listed).toEqual(withoutLive);
  });

  it('paging returns every run exactly once, in order, across pages', async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: Listed = await list({ connectorId: connA, limit: '1', ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual(newestFirst([runs.a1, runs.a2, runs.b1, runs.b2]).map((id) => [id]));

    // the whole list since the start of this file, in pages of 2: ours all there, once, in order
    const walked = await all({ startedAfter: since }, 2);
    expect(new Set(walked.map((r) => r.id)).size).toBe(walked.length);
    expect(oursIn(walked)).toEqual(newestFirst(ours()));
    for (let i = 1; i < walked.length; i++) expect(walked[i - 1].startedAt >= walked[i].startedAt).toBe(true);
    expect(Math.ceil(walked.length / 2)).toBeGreaterThanOrEqual(3);
  });

  it("a task's own run list (GET /tasks/:id/runs) pages the same way, one run a page", async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: unknown } = await api.http().get(`/api/v1/tasks/${taskC}/runs`).query({ limit: '1', ...(cursor ? { cursor } : {}) }).set(rest.auth());
      expect(res.status).toBe(200);
      pages.push((res.body as Listed).items.map((r) => r.id));
      cursor = (res.body as Listed).nextCursor;
    } while (cursor);
    expect(pages).toEqual(newestFirst([runs.c1, runs.c2]).map((id) => [id]));
    const bad = await api.http().get(`/api/v1/tasks/${taskC}/runs`).query({ cursor: 'not-a-cursor' }).set(rest.auth());
    expect(bad.status).toBe(400);
  });

  it.each([
    ['status', 'broken'],
    ['status', 'failed,nope'],
    ['mode', 'delta'],
    ['trigger', 'cron'],
    ['dryRun', 'yes'],
    ['startedAfter', 'yesterday'],
    ['startedBefore', '2025-02-30T00:00:00Z'],
    ['limit', '0'],
    ['limit', '201'],
    ['limit', 'ten'],
    ['cursor', 'not-a-cursor'],
    ['taskId', 'not-a-uuid'],
    ['connectorId', '42'],
    ['state', 'failed'],
  ])('%s=%s is a 400 problem naming the field', async (field, value) => {
    const res = await api.http().get('/api/v1/runs').query({ [field]: value }).set(rest.auth());
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, errors: [expect.objectContaining({ field })] });
  });

  it('an empty list is a page with no cursor; the default page holds up to 50', async () => {
    expect(await list({ taskId: randomUUID() })).toEqual({ items: [], nextCursor: null });
    expect((await list({})).items.length).toBeLessThanOrEqual(50);
  });

  it('every task of GET /tasks carries its last run and next run time, as GET /tasks/:id shows them', async () => {
    const codes = await rest.targetStore('rl-sched');
    const identityOnly = { mappingsType: 'identityOnly', access: null };
    // far from now, so neither fires during the test (everyMinutes aligns to the Unix epoch: midnight UTC)
    const hour = (new Date().getUTCHours() + 12) % 24;
    const cron = await rest.task(connA, codes, { ...identityOnly, schedule: { cron: `0 ${hour} * * *`, timezone: 'Europe/Helsinki' } });
    const every = await rest.task(connA, codes, { ...identityOnly, schedule: { everyMinutes: 1440 } });
    const paused = await rest.task(connA, codes, { ...identityOnly, schedule: { cron: `0 ${hour} * * *` }, enabled: false });
    const scheduled = [cron, every, paused];
    try {
      type Item = { id: string; lastRun: Record<string, unknown> | null; nextRunAt: string | null };
      const detail = async (id: string) => (await api.http().get(`/api/v1/tasks/${id}`).set(rest.auth())).body as Item & { scheduleState: { nextRunTimes: string[] } };
      // the schedule listing is eventually consistent: a schedule created a moment ago may not be listed yet
      const listed = await eventually(async () => {
        const body = (await api.http().get('/api/v1/tasks').set(rest.auth())).body as { items: Item[] };
        const byId = new Map(body.items.map((t) => [t.id, t]));
        return byId.get(cron)?.nextRunAt && byId.get(every)?.nextRunAt ? byId : undefined;
      }, 20_000, 250);

      for (const id of [taskA, taskB, taskC, ...scheduled]) {
        const item = listed.get(id)!;
        const full = await detail(id);
        expect(item).toHaveProperty('lastRun');
        expect(item).toHaveProperty('nextRunAt');
        expect({ id, nextRunAt: item.nextRunAt }).toEqual({ id, nextRunAt: full.nextRunAt });
        expect(full.nextRunAt).toBe(full.scheduleState.nextRunTimes[0] ?? null);
        if (full.lastRun === null) expect(item.lastRun).toBeNull();
        else {
          const { id: runId, status, mode, trigger, dryRun, startedAt, finishedAt, stats } = full.lastRun;
          expect(item.lastRun).toEqual({ id: runId, status, mode, trigger, dryRun, startedAt, finishedAt, stats });
        }
      }
      // the newest run of each task, whatever its kind
      expect(listed.get(taskA)!.lastRun).toMatchObject({ id: runs.a2.id, dryRun: true, status: 'succeeded' });
      expect(listed.get(taskB)!.lastRun).toMatchObject({ id: runs.b2.id, mode: 'incremental' });
      expect(listed.get(taskC)!.lastRun).toMatchObject({ id: runs.c2.id, status: 'failed', trigger: 'retry' });
      expect(listed.get(cron)!.lastRun).toBeNull();
      // manual-only and paused tasks have no next run
      for (const id of [taskA, taskB, taskC, paused]) expect(listed.get(id)!.nextRunAt).toBeNull();
      // the cron runs at the hour in Helsinki, the interval at midnight UTC, both within a day
      const nextCron = new Date(listed.get(cron)!.nextRunAt!);
      const helsinkiHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hour: '2-digit', hourCycle: 'h23' }).format(nextCron));
      expect([helsinkiHour, nextCron.getUTCMinutes(), nextCron.getUTCSeconds()]).toEqual([hour, 0, 0]);
      expect(nextCron.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
      const nextEvery = new Date(listed.get(every)!.nextRunAt!);
      expect(nextEvery.getTime() % (24 * 3_600_000)).toBe(0);
      expect(nextEvery.getTime()).toBeGreaterThan(Date.now());

      // pausing and resuming answer with the fields too, and the list follows
      const pausedNow = await api.http().post(`/api/v1/tasks/${every}/pause`).set(rest.auth());
      expect(pausedNow.body).toMatchObject({ nextRunAt: null, lastRun: null });
      const afterPause = (await api.http().get('/api/v1/tasks').set(rest.auth())).body as { items: Item[] };
      expect(afterPause.items.find((t) => t.id === every)!.nextRunAt).toBeNull();
      const resumed = await api.http().post(`/api/v1/tasks/${every}/resume`).set(rest.auth());
      expect(resumed.body.nextRunAt).toBe(nextEvery.toISOString());
      // creating and updating answer with them as well
      const patched = await api.http().patch(`/api/v1/tasks/${taskA}`).set(rest.auth()).send({ schedule: null });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ lastRun: { id: runs.a2.id }, nextRunAt: null });
    } finally {
      for (const id of scheduled) await api.http().delete(`/api/v1/tasks/${id}`).set(rest.auth());
    }
  });
});
