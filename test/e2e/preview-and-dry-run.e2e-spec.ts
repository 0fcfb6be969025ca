/**
 * Task preview and dry runs end to end, through the REST API: real demo SCIM servers, real
 * PostgreSQL, real Temporal (dev server), the production workflow bundle and activities.
 */
import { randomUUID } from 'node:crypto';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { useStack } from '../support/e2e-stack';
import { taskBody, uniq } from '../support/fixtures';
import { runApi, scimServerPool, sorted, type TargetCodes } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const { api } = useStack({ taskQueue: uniq('e2e-preview'), api: true, worker: true });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());

interface PreviewRecord {
  sourceId: string | null;
  unique: string | null;
  card: Record<string, unknown> | null;
  sources: Record<string, { from: string; expression?: string; sourceValue?: unknown; transforms?: string[]; members?: number; resolved?: number }>;
  action: 'create' | 'update' | 'unchanged' | null;
  datacardId?: string;
  changes: Array<{ attribute: string; before: unknown; after: unknown }>;
  errors: string[];
}
interface PreviewBody {
  taskId: string | null;
  limit: number;
  resources: Array<{
    kind: string;
    path: string;
    totalResults: number | null;
    sampled: number;
    counts: { create: number; update: number; unchanged: number; failed: number };
    extrapolated: { records: number; create: number; update: number; unchanged: number; failed: number } | null;
    records: PreviewRecord[];
  }>;
  extrapolatedRunSize: number | null;
  removals: { reported: false; reason: string; ownedActive: number | null };
  notes: string[];
  scheduleAdvice: Array<{ level: string; message: string }>;
}

/** The body of a task on the test's own templates (as RunApi.task builds it), for POST /tasks/preview. */
function newTaskBody(connectorId: string, codes: TargetCodes, overrides: Record<string, unknown> = {}) {
  const base = taskBody(connectorId, { schedule: null, filters: null }) as Record<string, unknown> & { identity: Record<string, unknown>; access: Record<string, unknown> };
  return {
    ...base,
    failure: { templateCode: codes.failure, folderCode: codes.failure, attributeCode: 'message' },
    identity: { ...base.identity, templateCode: codes.account, folderCode: codes.account },
    access: { ...base.access, templateCode: codes.entitlement, folderCode: codes.entitlement },
    ...overrides,
  };
}

/**
 * Row counts per table of everything the tasks on a test's own templates, their runs and those
 * templates own, with digests of the rows a write in place would change: what "nothing changed"
 * is checked against (scoped, as other test files share the database).
 */
async function footprint(codes: TargetCodes, extra: { runTables: boolean }) {
  const q = async (sql: string, params: unknown[]) => (await api.ds.query<Array<{ n: string | null }>>(sql, params))[0].n;
  const templates = [codes.account, codes.entitlement, codes.failure];
  const tasks = `SELECT id FROM import_task WHERE config->'identity'->>'templateCode' = $1`;
  const runs = `SELECT id FROM run WHERE task_id IN (${tasks})`;
  const p = [codes.account];
  const counts: Record<string, string | null> = {
    import_task: await q(`SELECT count(*) || ':' || md5(COALESCE(string_agg(id::text || config::text || COALESCE(watermark::text, '') || config_version, '|' ORDER BY id), '')) AS n FROM import_task WHERE id IN (${tasks})`, p),
    datacard: await q(`SELECT count(*) || ':' || md5(COALESCE(string_agg(id::text || status || attributes::text || updated_at::text || COALESCE(task_id::text, ''), '|' ORDER BY id), '')) AS n FROM datacard WHERE template_code = ANY($1)`, [templates]),
    datacard_link: await q(`SELECT count(*) AS n FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id WHERE d.template_code = ANY($1)`, [templates]),
    task_cache: await q(`SELECT count(*) || ':' || md5(COALESCE(string_agg(d.unique_value || s.hash || s.pushed_at::text, '|' ORDER BY s.task_id, s.kind, d.unique_value), '')) AS n FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id WHERE s.task_id IN (${tasks}) AND s.hash IS NOT NULL`, p),
    datacard_sighting: await q(`SELECT count(*) || ':' || md5(COALESCE(string_agg(datacard_id::text || last_run_id::text || last_seen_at::text, '|' ORDER BY datacard_id, task_id), '')) AS n FROM datacard_sighting WHERE task_id IN (${tasks})`, p),
    staging_record: await q(`SELECT count(*) AS n FROM staging_record WHERE run_id IN (${runs})`, p),
    removal_candidate: await q(`SELECT count(*) AS n FROM removal_candidate WHERE run_id IN (${runs})`, p),
  };
  if (extra.runTables) {
    counts.run = await q(`SELECT count(*) AS n FROM run WHERE id IN (${runs})`, p);
    counts.run_record = await q(`SELECT count(*) AS n FROM run_record WHERE run_id IN (${runs})`, p);
    counts.run_extract = await q(`SELECT count(*) AS n FROM run_extract WHERE run_id IN (${runs})`, p);
  }
  return counts;
}

async function preview(path: string, body: object, query = ''): Promise<PreviewBody> {
  const res = await rest.post(`${path}${query}`, body);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
  return res.body as PreviewBody;
}

describe('preview of a task before it is saved', () => {
  let scim: ScimDemoServer;
  let codes: TargetCodes;
  let connectorId: string;
  let noExternalId: string;

  beforeAll(async () => {
    scim = await scimServers.start({ users: 30, groups: 4, membersPerUser: 1 });
    noExternalId = (await scim.admin.addUser({ userName: 'no.external.id', name: { givenName: 'Nobody' } })).id;
    codes = await rest.targetStore('pv');
    connectorId = await rest.connector(scim, USER, PASSWORD);
  });

  it('shows mapped cards with their sources, a per-record error for a record without its unique id, in the words a run records, and writes nothing', async () => {
    const body = newTaskBody(connectorId, codes, { identity: { ...newTaskBody(connectorId, codes).identity, unique: { external: 'externalId', local: 'scimId' } } });
    const before = await footprint(codes, { runTables: true });
    const result = await preview('/api/v1/tasks/preview', body, '?limit=100');
    expect(await footprint(codes, { runTables: true })).toEqual(before);
    expect(result.taskId).toBeNull();

    const users = result.resources.find((r) => r.kind === 'identity');
    expect(users).toMatchObject({ path: '/Users', totalResults: 31, sampled: 31, counts: { create: 30, update: 0, unchanged: 0, failed: 1 } });
    const someId = scim.admin.listUserIds()[0];
    const source = scim.admin.getUser(someId) as { userName: string; externalId: string; name: { givenName: string } };
    const card = users?.records.find((r) => r.sourceId === someId);
    expect(card).toMatchObject({
      unique: source.externalId,
      action: 'create',
      errors: [],
      changes: [],
      card: { scimId: source.externalId, login: source.userName, firstName: source.name.givenName },
      sources: {
        scimId: { from: 'unique', expression: 'externalId', sourceValue: source.externalId },
        login: { from: 'external', expression: 'userName', sourceValue: source.userName },
        email: { from: 'external', expression: 'emails[type eq "work"].value' },
      },
    });
    const failed = users?.records.filter((r) => r.errors.length > 0) ?? [];
    expect(failed).toEqual([
      expect.objectContaining({ sourceId: noExternalId, unique: null, card: null, action: null, errors: ['missing unique attribute "externalId"'] }),
    ]);
    const groups = result.resources.find((r) => r.kind === 'access');
    expect(groups).toMatchObject({ path: '/Groups', totalResults: 4, sampled: 4, counts: { create: 4, failed: 0 } });
    // an unsaved task has no accounts yet: members resolve on its first run
    expect(groups?.records[0].sources.members).toMatchObject({ from: 'members', resolved: 0 });
    expect(result.extrapolatedRunSize).toBe(35);
    expect(result.removals).toEqual({ reported: false, reason: expect.stringContaining('a sample cannot prove absence'), ownedActive: null });
    expect(result.notes).toEqual(expect.arrayContaining([expect.stringContaining('removals are not previewed: a sample cannot prove absence')]));

    // the same task, run for real, records the same words for the same record
    const res = await api.http().post('/api/v1/tasks').set(rest.auth()).send(body);
    expect(res.status).toBe(201);
    const run = await rest.runToEnd(res.body.id as string);
    expect(run).toMatchObject({ status: 'succeeded', dryRun: false, stats: { created: 34, failed: 1 } });
    expect((await rest.records(run.id, 'failed')).map((r) => [r.sourceId, r.message])).toEqual([[noExternalId, failed[0].errors[0]]]);
  });

  it('reports a value that cannot be converted to its attribute type on the record alone', async () => {
    const template = uniq('pv-num');
    await api.http().post('/api/v1/templates').set(rest.auth())
      .send({ code: template, name: template, attributes: [{ code: 'scimId', name: 'scimId', type: 'string' }, { code: 'employeeNo', name: 'employeeNo', type: 'number' }, { code: 'login', name: 'login', type: 'number' }] })
      .expect(201);
    await api.http().post('/api/v1/folders').set(rest.auth()).send({ code: template, name: template, templateCode: template }).expect(201);
    const identity = {
      templateCode: template,
      folderCode: template,
      unique: { external: 'id', local: 'scimId' },
      attributes: [
        { external: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', local: 'employeeNo' },
        { external: 'userName', local: 'login' },
      ],
    };
    const result = await preview('/api/v1/tasks/preview', newTaskBody(connectorId, codes, { mappingsType: 'identityOnly', identity, access: null }), '?limit=3');
    const [users] = result.resources;
    expect(users.counts).toEqual({ create: 0, update: 0, unchanged: 0, failed: 3 });
    for (const r of users.records) {
      const source = scim.admin.getUser(r.sourceId ?? '') as { userName: string };
      expect(r).toMatchObject({ action: null, card: null, errors: [`attribute "login": cannot convert ${JSON.stringify(source.userName)} from "userName" to number`] });
      // the employee number itself converts: the record fails on its login only
      expect(r.sources.employeeNo).toMatchObject({ from: 'external', sourceValue: expect.stringMatching(/^\d+$/) });
    }
  });

  it('reads at most `limit` records and extrapolates the run from the totals', async () => {
    const result = await preview('/api/v1/tasks/preview', newTaskBody(connectorId, codes), '?limit=5');
    const users = result.resources.find((r) => r.kind === 'identity');
    expect(users).toMatchObject({ totalResults: 31, sampled: 5, extrapolated: { records: 31 } });
    expect(users?.records).toHaveLength(5);
    expect(result.notes).toEqual(expect.arrayContaining(['/Users: 5 of 31 records previewed; the counts for the whole run are extrapolated from this sample']));
  });

  it('validates the body as create does, refuses a bad limit and needs an admin token', async () => {
    const bad = await rest.post('/api/v1/tasks/preview', newTaskBody(connectorId, codes, { filters: { users: 'userName eq' } }));
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'filters.users' })]);
    const missing = await rest.post('/api/v1/tasks/preview', { ...newTaskBody(connectorId, codes), type: 'sometimes' });
    expect(missing.status).toBe(400);
    expect((await rest.post('/api/v1/tasks/preview?limit=1001', newTaskBody(connectorId, codes))).status).toBe(400);
    const read = await api.http().post('/api/v1/tasks/preview').set({ Authorization: `Bearer ${api.readToken}` }).send(newTaskBody(connectorId, codes));
    expect(read.status).toBe(403);
  });

  it('answers 502 without a secret when the source refuses the credentials', async () => {
    const wrong = await api.http().post('/api/v1/connectors').set(rest.auth())
      .send({ name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username: USER, password: 'wrong-Password-123' } });
    const res = await rest.post('/api/v1/tasks/preview', newTaskBody(wrong.body.id as string, codes));
    expect(res.status).toBe(502);
    expect(res.text).not.toContain('wrong-Password-123');
  });
});

describe('preview of a saved task with a changed mapping', () => {
  it('after a real run, shows exactly the records the change updates, before → after, and changes nothing', async () => {
    const scim = await scimServers.start({ users: 20, groups: 3, membersPerUser: 2 });
    const codes = await rest.targetStore('pvc');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', stats: { created: 23 } });
    const task = (await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth())).body as { identity: { attributes: Array<Record<string, unknown>> } };

    // the same task: nothing would change
    const same = await preview(`/api/v1/tasks/${taskId}/preview`, {});
    expect(same.resources.map((r) => [r.kind, r.counts])).toEqual([
      ['identity', { create: 0, update: 0, unchanged: 20, failed: 0 }],
      ['access', { create: 0, update: 0, unchanged: 3, failed: 0 }],
    ]);
    expect(same.removals.ownedActive).toBe(23);
    const group = same.resources[1].records[0];
    expect(group.sources.members).toMatchObject({ from: 'members', members: expect.any(Number) });
    expect(group.sources.members.resolved).toBe(group.sources.members.members);

    // one user changed at the source, and the login mapping changed to upper case
    const changedUser = scim.admin.listUserIds()[4];
    await scim.admin.updateUser(changedUser, { name: { givenName: 'Renamed', familyName: 'Person' } });
    const attributes = task.identity.attributes.map((a) => (a.local === 'login' ? { ...a, transforms: [{ op: 'upper' }] } : a));
    const before = await footprint(codes, { runTables: true });
    const changed = await preview(`/api/v1/tasks/${taskId}/preview`, { identity: { ...task.identity, attributes } });
    expect(await footprint(codes, { runTables: true })).toEqual(before);

    const users = changed.resources.find((r) => r.kind === 'identity');
    expect(users?.counts).toEqual({ create: 0, update: 20, unchanged: 0, failed: 0 });
    for (const r of users?.records ?? []) {
      const source = scim.admin.getUser(r.sourceId ?? '') as { userName: string };
      const expected: PreviewRecord['changes'] = [{ attribute: 'login', before: source.userName, after: source.userName.toUpperCase() }];
      if (r.sourceId === changedUser) expected.push({ attribute: 'firstName', before: expect.any(String), after: 'Renamed' });
      expect(r).toMatchObject({ action: 'update', datacardId: expect.any(String) });
      expect(r.changes).toEqual(expect.arrayContaining(expected));
      expect(r.changes).toHaveLength(expected.length);
      expect(r.sources.login).toMatchObject({ from: 'external', expression: 'userName', transforms: ['upper'], sourceValue: source.userName });
    }
    expect(changed.resources.find((r) => r.kind === 'access')?.counts).toEqual({ create: 0, update: 0, unchanged: 3, failed: 0 });
    // the saved task is untouched by a preview with changes
    const after = (await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth())).body as { identity: unknown; scheduleAdvice: unknown[] };
    expect(after.identity).toEqual(task.identity);
    expect(after.scheduleAdvice).toEqual([{ level: 'info', message: 'manual runs only: no schedule to advise on' }]);
  });
});

describe('dry run of a full task', () => {
  it('with 3 users deleted at the source reports 3 would-be removals and changes nothing', async () => {
    const scim = await scimServers.start({ users: 40, groups: 5, membersPerUser: 2 });
    const codes = await rest.targetStore('dry');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', dryRun: false, stats: { created: 45 } });

    const gone = scim.admin.listUserIds().slice(5, 8);
    for (const id of gone) await scim.admin.deleteUser(id);
    const changedUser = scim.admin.listUserIds()[10];
    await scim.admin.updateUser(changedUser, { userName: 'renamed.user' });

    const before = await footprint(codes, { runTables: false });
    const started = await rest.post(`/api/v1/tasks/${taskId}/runs`, { dryRun: true });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ dryRun: true });
    const dry = await rest.waitRun(started.body.id as string);
    expect(await footprint(codes, { runTables: false })).toEqual(before);

    expect(dry).toMatchObject({
      status: 'succeeded',
      dryRun: true,
      mode: 'full',
      stats: { fetched: 42, created: 0, removed: 3, failed: 0 },
      removal: { state: 'dryRun', candidates: { identity: 3, access: 0, generic: 0 }, total: 3, removed: 0, threshold: { exceeded: false, active: { identity: 40, access: 5 } } },
    });
    expect(dry.notes).toEqual(expect.arrayContaining([expect.stringContaining('dry run')]));
    expect(dry.extractReports.every((r) => r.complete)).toBe(true);
    const removed = await rest.records(dry.id, 'removed');
    expect(sorted(removed.map((r) => r.sourceId))).toEqual(sorted(gone));
    expect(removed.every((r) => r.datacardId)).toBe(true);
    // the renamed user; and groups whose member lists lost a deleted user
    const updated = await rest.records(dry.id, 'updated');
    expect(updated.filter((r) => r.kind === 'identity').map((r) => r.sourceId)).toEqual([changedUser]);
    expect(dry.stats.updated).toBe(updated.length);
    expect(dry.stats.updated + dry.stats.unchanged).toBe(42);

    // the task view measures the source from the dry run's complete read
    const view = (await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth())).body as { lastRun: { dryRun: boolean } };
    expect(view.lastRun.dryRun).toBe(true);

    // above the safety threshold a dry run says that a real run would wait for approval
    await rest.patchTask(taskId, { safety: { maxRemovalPercent: 20, maxRemovals: 2 } });
    const strict = await rest.waitRun((await rest.runNow(taskId, undefined, true)).id);
    expect(strict).toMatchObject({ status: 'succeeded', dryRun: true, stats: { removed: 3 }, removal: { state: 'dryRun', total: 3, threshold: { maxRemovals: 2, exceeded: true } } });
    expect(strict.removal?.reason).toMatch(/^dry run: 3 removals is more than safety.maxRemovals 2; a real run would wait for approval/);
    for (const r of await rest.records(strict.id, 'removed')) expect(r.message).toBe('above the safety threshold: a real run would wait for approval before removing it');
    await rest.patchTask(taskId, { safety: { maxRemovalPercent: 20 } });

    // and a real run then does exactly what the dry run said
    const real = await rest.runToEnd(taskId);
    expect(real).toMatchObject({ status: 'succeeded', dryRun: false, stats: dry.stats, removal: { state: 'applied', total: 3 } });
    for (const outcome of ['created', 'updated', 'removed']) {
      const ids = async (runId: string) => sorted((await rest.records(runId, outcome)).map((r) => `${r.kind}:${r.sourceId}:${r.datacardId}`));
      expect(await ids(real.id)).toEqual(await ids(dry.id));
    }

    // schedule advice from the size this read measured (paused, so no scheduled run starts)
    await rest.patchTask(taskId, { schedule: { everyMinutes: 10 }, enabled: false });
    const advised = (await api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth())).body as { scheduleAdvice: Array<{ level: string; message: string }> };
    expect(advised.scheduleAdvice).toEqual([
      { level: 'info', message: 'the schedule is paused; the advice below applies once it is resumed' },
      {
        level: 'warning',
        message: `a full read of 37 users and 5 groups (measured by run ${real.id}) is scheduled every 10 minutes; at this size the reference is every 30 minutes: schedule it less often, or make it incremental`,
      },
    ]);
  });

  it('refuses a dryRun that is not a boolean', async () => {
    const res = await rest.post(`/api/v1/tasks/${randomUUID()}/runs`, { dryRun: 'yes' });
    expect(res.status).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('documents both preview endpoints with their response schema, and dryRun on run-now', async () => {
    const doc = (await api.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>; parameters?: Array<{ name: string }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    for (const path of ['/api/v1/tasks/preview', '/api/v1/tasks/{id}/preview']) {
      const post = doc.paths[path]?.post;
      expect(post?.responses['200'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/TaskPreviewView');
      expect(post?.parameters?.map((p) => p.name)).toContain('limit');
    }
    expect(Object.keys(doc.components.schemas.TaskPreviewView.properties ?? {})).toEqual(
      expect.arrayContaining(['resources', 'extrapolatedRunSize', 'removals', 'notes', 'scheduleAdvice']),
    );
    expect(Object.keys(doc.components.schemas.PreviewRecordView.properties ?? {})).toEqual(
      expect.arrayContaining(['unique', 'card', 'sources', 'action', 'changes', 'errors']),
    );
    expect(Object.keys(doc.components.schemas.RunNowDto.properties ?? {})).toEqual(expect.arrayContaining(['mode', 'dryRun']));
  });
});
