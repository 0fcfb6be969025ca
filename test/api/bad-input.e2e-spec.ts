import type { Client } from '@temporalio/client';
import { TEMPORAL_CLIENT } from '../../libs/temporal/src';
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody, uniq } from '../support/fixtures';

type Case = {
  name: string;
  method?: 'post' | 'patch';
  path?: 'tasks' | 'connectors' | 'task';
  body: (ctx: { connectorId: string; existingName: string }) => unknown;
  raw?: { contentType: string; payload: string | Buffer };
  status: number;
  field?: string;
  detail?: RegExp;
};

const base = (connectorId: string, over: Record<string, unknown> = {}) => taskBody(connectorId, over);
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

const CASES: Case[] = [
  { name: 'missing name', body: (c) => without(base(c.connectorId), 'name'), status: 400, field: 'name' },
  { name: 'missing connectorId', body: (c) => without(base(c.connectorId), 'connectorId'), status: 400, field: 'connectorId' },
  { name: 'missing type', body: (c) => without(base(c.connectorId), 'type'), status: 400, field: 'type' },
  { name: 'name is a number', body: (c) => base(c.connectorId, { name: 42 }), status: 400, field: 'name' },
  { name: 'enabled is a string', body: (c) => base(c.connectorId, { enabled: 'yes' }), status: 400, field: 'enabled' },
  { name: 'type is unknown', body: (c) => base(c.connectorId, { type: 'delta' }), status: 400, field: 'type' },
  { name: 'mappingsType is unknown', body: (c) => base(c.connectorId, { mappingsType: 'everything' }), status: 400, field: 'mappingsType' },
  { name: 'usage write is not supported', body: (c) => base(c.connectorId, { usage: 'write' }), status: 422, field: 'usage', detail: /not supported for SCIM connectors/ },
  { name: 'bad cron', body: (c) => base(c.connectorId, { schedule: { cron: '61 * * * *' } }), status: 400, field: 'schedule.cron' },
  { name: 'cron with 3 fields', body: (c) => base(c.connectorId, { schedule: { cron: '* * *' } }), status: 400, field: 'schedule.cron' },
  { name: 'bad timezone', body: (c) => base(c.connectorId, { schedule: { cron: '0 * * * *', timezone: 'Mars/Olympus' } }), status: 400, field: 'schedule.timezone' },
  { name: 'cron and everyMinutes together', body: (c) => base(c.connectorId, { schedule: { cron: '0 * * * *', everyMinutes: 5 } }), status: 400, field: 'schedule' },
  { name: 'everyMinutes zero', body: (c) => base(c.connectorId, { schedule: { everyMinutes: 0 } }), status: 400, field: 'schedule.everyMinutes' },
  { name: 'bad SCIM users filter', body: (c) => base(c.connectorId, { filters: { users: 'active eq' } }), status: 422, field: 'filters.users' },
  { name: 'bad SCIM groups filter', body: (c) => base(c.connectorId, { filters: { groups: 'displayName zz "x"' } }), status: 422, field: 'filters.groups' },
  {
    name: 'mapping to an unknown template attribute',
    body: (c) => {
      const b = base(c.connectorId) as Record<string, any>;
      b.identity.attributes.push({ external: 'title', local: 'noSuchAttribute' });
      return b;
    },
    status: 422,
    field: 'identity.attributes[4].local',
  },
  {
    name: 'bad mapping expression',
    body: (c) => {
      const b = base(c.connectorId) as Record<string, any>;
      b.identity.attributes[1].external = 'emails[type eq "work".value';
      return b;
    },
    status: 422,
    field: 'identity.attributes[1].external',
  },
  {
    name: 'folder of another template',
    body: (c) => {
      const b = base(c.connectorId) as Record<string, any>;
      b.identity.folderCode = 'entitlements';
      return b;
    },
    status: 422,
    field: 'identity.folderCode',
  },
  { name: 'unknown failure attribute', body: (c) => base(c.connectorId, { failure: { templateCode: 'failure', folderCode: 'failures', attributeCode: 'nope' } }), status: 422, field: 'failure.attributeCode' },
  { name: 'missing access mapping for identityAndAccess', body: (c) => base(c.connectorId, { access: null }), status: 400, field: 'access' },
  { name: 'unknown connector', body: (c) => base(c.connectorId, { connectorId: '00000000-0000-4000-8000-000000000000' }), status: 422, field: 'connectorId' },
  { name: 'connectorId not a uuid', body: (c) => base(c.connectorId, { connectorId: 'abc' }), status: 400, field: 'connectorId' },
  { name: 'duplicate name', body: (c) => base(c.connectorId, { name: c.existingName }), status: 409, field: 'name' },
  { name: 'unknown top-level field', body: (c) => base(c.connectorId, { colour: 'blue' }), status: 400, field: 'colour' },
  { name: 'SQL-looking name is stored safely (accepted)', body: (c) => base(c.connectorId, { name: `x'; DROP TABLE import_task; -- ${uniq('')}` }), status: 201 },
  { name: 'unicode name is accepted', body: (c) => base(c.connectorId, { name: `Käyttäjät – 用户 ✓ ${uniq('')}` }), status: 201 },
  { name: 'control characters in name', body: (c) => base(c.connectorId, { name: 'bad\u0007name' }), status: 400, field: 'name' },
  { name: 'maxRemovalPercent above 100', body: (c) => base(c.connectorId, { safety: { maxRemovalPercent: 150 } }), status: 400, field: 'safety.maxRemovalPercent' },
  { name: 'clearHoursUtc out of range', body: (c) => base(c.connectorId, { cache: { clearHoursUtc: [25] } }), status: 400, field: 'cache.clearHoursUtc' },
  { name: 'name change on update', method: 'patch', path: 'task', body: () => ({ name: 'renamed' }), status: 400, field: 'name' },
  { name: 'bad filter on update', method: 'patch', path: 'task', body: () => ({ filters: { users: '((' } }), status: 422, field: 'filters.users' },
  { name: 'a 5 MB body', body: () => ({ name: 'x'.repeat(5 * 1024 * 1024) }), status: 413 },
  { name: 'a non-JSON body', body: () => undefined, raw: { contentType: 'text/plain', payload: 'name=hello' }, status: 415 },
  { name: 'malformed JSON', body: () => undefined, raw: { contentType: 'application/json', payload: '{"name": "x",' }, status: 400, detail: /not valid JSON/ },
  { name: 'connector with bad baseUrl', path: 'connectors', body: () => connectorBody({ baseUrl: 'ftp://nope' }), status: 400, field: 'baseUrl' },
  { name: 'connector basic auth without password', path: 'connectors', body: () => connectorBody({ auth: { type: 'basic', username: 'u' } }), status: 400, field: 'auth.password' },
  { name: 'connector with unknown auth type', path: 'connectors', body: () => connectorBody({ auth: { type: 'kerberos' } }), status: 400, field: 'auth.type' },
];

describe('bad input is refused field by field and leaves nothing behind', () => {
  let api: ApiHarness;
  let client: Client;
  let connectorId: string;
  let existingName: string;
  let existingTaskId: string;
  const created: string[] = [];
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    api = await startApi();
    client = api.app.get(TEMPORAL_CLIENT);
    connectorId = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
    const existing = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId)).expect(201);
    existingName = existing.body.name;
    existingTaskId = existing.body.id;
    created.push(existingTaskId);
  });
  afterAll(async () => {
    for (const id of created) await api.http().delete(`/api/v1/tasks/${id}`).set(auth());
    await api.close();
  });

  it('has at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const countsBefore = await counts(api, connectorId);
    const body = c.body({ connectorId, existingName }) as { name?: string } | undefined;
    const path = c.path === 'connectors' ? '/api/v1/connectors' : c.path === 'task' ? `/api/v1/tasks/${existingTaskId}` : '/api/v1/tasks';
    let req = (c.method === 'patch' ? api.http().patch(path) : api.http().post(path)).set(auth());
    if (c.raw) req = req.set('Content-Type', c.raw.contentType).send(c.raw.payload);
    else req = req.send(body as object);
    const res = await req;
    expect(res.status).toBe(c.status);
    if (c.status === 201) {
      created.push(res.body.id);
      const back = await api.http().get(`/api/v1/tasks/${res.body.id}`).set(auth()).expect(200);
      expect(back.body.name).toBe(body?.name);
      return;
    }
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = JSON.parse(res.text);
    expect(problem).toMatchObject({ status: c.status, title: expect.any(String), type: expect.any(String) });
    expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
    if (c.field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    if (c.detail) expect(problem.detail).toMatch(c.detail);
    expect(await counts(api, connectorId)).toEqual(countsBefore);
    if (c.path === 'connectors' && typeof body?.name === 'string') {
      expect(await api.ds.query(`SELECT 1 FROM connector WHERE name = $1`, [body.name])).toHaveLength(0);
    }
  });

  it('the refused requests left no task row or schedule behind', async () => {
    const rows: Array<{ id: string }> = await api.ds.query(`SELECT id FROM import_task WHERE connector_id = $1`, [connectorId]);
    expect(rows.map((r) => r.id).sort()).toEqual([...created].sort());
    for (const id of created) await expect(client.schedule.getHandle(`import-task-${id}`).describe()).resolves.toBeDefined();
  });
});

/** Rows this file's connector owns, with their config versions (a refused PATCH must not bump them). */
async function counts(api: ApiHarness, connectorId: string) {
  return api.ds.query(`SELECT id, config_version, name FROM import_task WHERE connector_id = $1 ORDER BY id`, [connectorId]);
}
