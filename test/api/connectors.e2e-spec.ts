import { randomBytes } from 'node:crypto';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody } from '../support/fixtures';

describe('connectors', () => {
  let api: ApiHarness;
  let scim: ScimDemoServer;
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    api = await startApi();
    scim = await startScimDemoServer({ auth: { basic: { username: 'svc', password: 'right-password' } }, seed: { users: 5, groups: 2 } });
  });
  afterAll(async () => {
    await scim.close();
    await api.close();
  });

  it('creates, lists, reads, updates and deletes; secrets are write-only and encrypted at rest', async () => {
    const body = connectorBody({ auth: { type: 'basic', username: 'svc', password: 'Very-Secret-1' }, rateLimitPerSecond: 20 });
    const created = await api.http().post('/api/v1/connectors').set(auth()).send(body).expect(201);
    expect(created.body.auth).toEqual({ type: 'basic', username: 'svc', secretSet: true });
    expect(JSON.stringify(created.body)).not.toContain('Very-Secret-1');
    const [stored] = await api.ds.query(`SELECT secret_ciphertext FROM connector WHERE id = $1`, [created.body.id]);
    expect(stored.secret_ciphertext).not.toContain('Very-Secret-1');

    const list = await api.http().get('/api/v1/connectors').set(auth()).expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain('Very-Secret-1');

    const patched = await api.http().patch(`/api/v1/connectors/${created.body.id}`).set(auth()).send({ pageSize: 250, auth: { type: 'basic', username: 'svc2' } }).expect(200);
    expect(patched.body.pageSize).toBe(250);
    expect(patched.body.auth).toEqual({ type: 'basic', username: 'svc2', secretSet: true });

    await api.http().delete(`/api/v1/connectors/${created.body.id}`).set(auth()).expect(204);
    await api.http().get(`/api/v1/connectors/${created.body.id}`).set(auth()).expect(404);
  });

  it('rotating the secret keeps the other settings, and an omitted secret keeps the stored one', async () => {
    const created = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: scim.url, auth: { type: 'basic', username: 'svc', password: 'wrong-password' } })).expect(201);
    const id = created.body.id;
    let result = await api.http().post(`/api/v1/connectors/${id}/test-authentication`).set(auth()).expect(200);
    expect(result.body.ok).toBe(false);
    expect(result.body.message).not.toContain('wrong-password');

    await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).send({ auth: { type: 'basic', password: 'right-password' } }).expect(200);
    result = await api.http().post(`/api/v1/connectors/${id}/test-authentication`).set(auth()).expect(200);
    expect(result.body.ok).toBe(true);
    expect(result.body.serviceProvider).toMatchObject({ filter: expect.any(Boolean), patch: expect.any(Boolean) });

    // changing only the username keeps the rotated password
    await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).send({ timeoutMs: 7000 }).expect(200);
    result = await api.http().post(`/api/v1/connectors/${id}/test-authentication`).set(auth()).expect(200);
    expect(result.body.ok).toBe(true);
    await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).expect(204);
  });

  it('test-connection reports latency, and 502 when the source is unreachable', async () => {
    const ok = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: scim.url })).expect(201);
    const res = await api.http().post(`/api/v1/connectors/${ok.body.id}/test-connection`).set(auth()).expect(200);
    expect(res.body).toMatchObject({ ok: true, latencyMs: expect.any(Number) });

    const down = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: 'http://127.0.0.1:9/scim/v2' })).expect(201);
    const bad = await api.http().post(`/api/v1/connectors/${down.body.id}/test-connection`).set(auth()).expect(502);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    expect(bad.body.ok).toBe(false);
    for (const id of [ok.body.id, down.body.id]) await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).expect(204);
  });

  it('refuses to delete a connector still used by a task (409)', async () => {
    const c = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201);
    const t = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(c.body.id, { schedule: null })).expect(201);
    const res = await api.http().delete(`/api/v1/connectors/${c.body.id}`).set(auth()).expect(409);
    expect(res.body.detail).toContain(t.body.name);
    await api.http().delete(`/api/v1/tasks/${t.body.id}`).set(auth()).expect(204);
    await api.http().delete(`/api/v1/connectors/${c.body.id}`).set(auth()).expect(204);
  });

  it('a changed SECRET_KEY gives a clear error, never garbage credentials', async () => {
    const c = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: scim.url })).expect(201);
    const other = await startApi({ secretKey: randomBytes(32) });
    try {
      const res = await other.http().post(`/api/v1/connectors/${c.body.id}/test-authentication`).set({ Authorization: `Bearer ${other.adminToken}` }).expect(409);
      expect(res.body.detail).toMatch(/SECRET_KEY/);
    } finally {
      await other.close();
    }
    await api.http().delete(`/api/v1/connectors/${c.body.id}`).set(auth()).expect(204);
  });
});
