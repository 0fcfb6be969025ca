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

/** A public, self-signed test CA certificate (its key was thrown away). */
const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBkjCCATegAwIBAgIUfakFXxCS1bZDQYDB/PgsEXiGqHEwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTc2NpbS1pbXBvcnQtdGVzdC1jYTAeFw0yNjExMzAwNTM1MzJa
Fw0zNjExMjcwNTM1MzJaMB4xHDAaBgNVBAMME3NjaW0taW1wb3J0LXRlc3QtY2Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARvww5ROxHvjXpQ5ekKGZB370isgyXK
ZIanWM5lCHsAn/hlxz+URqz2mlHdwie/Lb8eYpAq9zK2ysHdNi1vszcLo1MwUTAd
BgNVHQ4EFgQUHsaTGQ9+K1O+pNbFG/iEUWDpMLswHwYDVR0jBBgwFoAUHsaTGQ9+
K1O+pNbFG/iEUWDpMLswDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBG
AiEAsz81e5TMuPG4s3F1G4lyscvtnQVXXAYZqHp8nwIJxosCIQDRmQW7pR8P4/al
/bugZfqMbwkZ/lXJtXsPdrzvWSisww==
-----END CERTIFICATE-----`;

/** `{"name": [[[…]]]}` nested `depth` levels: JSON.parse copes, recursive walkers do not. */
const deeplyNested = (depth: number) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const genericSection = (resourcePath: string) => ({
  resourcePath,
  templateCode: 'account',
  folderCode: 'accounts',
  unique: { external: 'id', local: 'scimId' },
  attributes: [{ external: 'displayName', local: 'login' }],
});

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
  // control characters, blanks and NUL (PostgreSQL cannot store NUL: it used to answer 500)
  { name: 'NUL in a connector name', path: 'connectors', body: () => connectorBody({ name: 'bad\u0000name' }), status: 400, field: 'name' },
  { name: 'NUL in a task name', body: (c) => base(c.connectorId, { name: 'bad\u0000name' }), status: 400, field: 'name' },
  { name: 'NUL deep inside a task body', body: (c) => base(c.connectorId, { filters: { users: 'userName eq "a\u0000b"' } }), status: 400, field: 'filters.users' },
  { name: 'control characters in a connector name', path: 'connectors', body: () => connectorBody({ name: 'bad\u0007name' }), status: 400, field: 'name' },
  { name: 'a line break in a connector name', path: 'connectors', body: () => connectorBody({ name: 'two\nlines' }), status: 400, field: 'name' },
  { name: 'a connector name of spaces only', path: 'connectors', body: () => connectorBody({ name: '    ' }), status: 400, field: 'name' },
  { name: 'a task name of spaces only', body: (c) => base(c.connectorId, { name: '   ' }), status: 400, field: 'name' },
  // a lone UTF-16 surrogate is not text: refused, never stored as U+FFFD
  { name: 'a lone surrogate in a task name', body: () => undefined, raw: { contentType: 'application/json', payload: '{"name":"bad \\ud800 name"}' }, status: 400, field: 'name', detail: /lone UTF-16 surrogate/ },
  { name: 'a lone surrogate deep in a task body', body: (c) => base(c.connectorId, { filters: { users: 'userName eq "\udc00"' } }), status: 400, field: 'filters.users' },
  { name: 'a lone surrogate in a connector password', path: 'connectors', body: () => connectorBody({ auth: { type: 'basic', username: 'svc', password: 'pw-\ud83d-value' } }), status: 400, field: 'auth.password' },
  { name: 'a paired surrogate (emoji) in a connector name (accepted)', path: 'connectors', body: () => connectorBody({ name: `emoji \ud83d\ude00 ${uniq('')}` }), status: 201 },
  // nesting and size limits are applied before validation (deep nesting used to overflow the stack: 500)
  { name: 'a body nested 100,000 levels deep', body: () => undefined, raw: { contentType: 'application/json', payload: deeplyNested(100_000) }, status: 400, field: 'name', detail: /nested deeper than 32 levels/ },
  { name: 'a body nested 40 levels deep', body: () => undefined, raw: { contentType: 'application/json', payload: deeplyNested(40) }, status: 400, field: 'name' },
  { name: 'a body with 60,000 values', body: () => undefined, raw: { contentType: 'application/json', payload: JSON.stringify({ name: 'x', filters: new Array(60_000).fill(0) }) }, status: 400, field: 'filters', detail: /more than 50000 values/ },
  // baseUrl ports, TLS and header-safe credentials
  { name: 'baseUrl port 99999', path: 'connectors', body: () => connectorBody({ baseUrl: 'https://scim.example.com:99999/scim/v2' }), status: 400, field: 'baseUrl' },
  { name: 'baseUrl port 0', path: 'connectors', body: () => connectorBody({ baseUrl: 'https://scim.example.com:0/scim/v2' }), status: 400, field: 'baseUrl' },
  { name: 'oauth2 tokenUrl port 70000', path: 'connectors', body: () => connectorBody({ auth: { type: 'oauth2', tokenUrl: 'https://login.example.com:70000/token', clientId: 'c', clientSecret: 'secret-value' } }), status: 400, field: 'auth.tokenUrl' },
  { name: 'a garbage tls.caPem', path: 'connectors', body: () => connectorBody({ tls: { caPem: '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----' } }), status: 400, field: 'tls.caPem' },
  { name: 'a tls.caPem with trailing junk', path: 'connectors', body: () => connectorBody({ tls: { caPem: `${TEST_CA_PEM}\nrm -rf /` } }), status: 400, field: 'tls.caPem' },
  { name: 'a bearer token with CR/LF', path: 'connectors', body: () => connectorBody({ auth: { type: 'bearer', token: 'abc\r\nX-Injected: 1' } }), status: 400, field: 'auth.token' },
  { name: 'a bearer token with a space', path: 'connectors', body: () => connectorBody({ auth: { type: 'bearer', token: 'abc def' } }), status: 400, field: 'auth.token' },
  { name: 'a password with CR/LF', path: 'connectors', body: () => connectorBody({ auth: { type: 'basic', username: 'svc', password: 'pw\r\nX-Injected: 1' } }), status: 400, field: 'auth.password' },
  { name: 'a username with LF', path: 'connectors', body: () => connectorBody({ auth: { type: 'basic', username: 'svc\nroot', password: 'pw-value' } }), status: 400, field: 'auth.username' },
  { name: 'a username with a colon', path: 'connectors', body: () => connectorBody({ auth: { type: 'basic', username: 'svc:root', password: 'pw-value' } }), status: 400, field: 'auth.username' },
  { name: 'an oauth2 client secret with CR', path: 'connectors', body: () => connectorBody({ auth: { type: 'oauth2', tokenUrl: 'https://login.example.com/token', clientId: 'c', clientSecret: 'x\ry' } }), status: 400, field: 'auth.clientSecret' },
  { name: 'a connector with a valid CA certificate (accepted)', path: 'connectors', body: () => connectorBody({ tls: { caPem: TEST_CA_PEM, rejectUnauthorized: true } }), status: 201 },
  // generic.resourcePath stays under the connector base URL
  { name: 'generic.resourcePath with ".." segments', body: (c) => base(c.connectorId, { mappingsType: 'generic', identity: null, access: null, generic: genericSection('/../../internal/admin/Users') }), status: 400, field: 'generic.resourcePath' },
  { name: 'generic.resourcePath with percent-encoded ".."', body: (c) => base(c.connectorId, { mappingsType: 'generic', identity: null, access: null, generic: genericSection('/%2e%2e/admin/Users') }), status: 400, field: 'generic.resourcePath' },
  { name: 'generic.resourcePath as an absolute URL', body: (c) => base(c.connectorId, { mappingsType: 'generic', identity: null, access: null, generic: genericSection('https://evil.example.com/Users') }), status: 400, field: 'generic.resourcePath' },
  { name: 'generic.resourcePath with a "." segment', body: (c) => base(c.connectorId, { mappingsType: 'generic', identity: null, access: null, generic: genericSection('/Devices/./x') }), status: 400, field: 'generic.resourcePath' },
  { name: 'generic.resourcePath with a query', body: (c) => base(c.connectorId, { mappingsType: 'generic', identity: null, access: null, generic: genericSection('/Devices?x=1') }), status: 400, field: 'generic.resourcePath' },
];

describe('bad input is refused field by field and leaves nothing behind', () => {
  let api: ApiHarness;
  let client: Client;
  let connectorId: string;
  let existingName: string;
  let existingTaskId: string;
  const created: string[] = [];
  const createdConnectors: string[] = [];
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
    for (const id of createdConnectors) await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
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
    if (c.status === 201 && c.path === 'connectors') {
      createdConnectors.push(res.body.id);
      const back = await api.http().get(`/api/v1/connectors/${res.body.id}`).set(auth()).expect(200);
      expect(back.body.name).toBe(body?.name);
      return;
    }
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
    // (a NUL cannot even be sent to PostgreSQL as a query parameter)
    if (c.path === 'connectors' && typeof body?.name === 'string' && !body.name.includes('\u0000')) {
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
