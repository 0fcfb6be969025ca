/**
 * Idempotency-Key on POST (docs/api.md, Safe retries), against the real API, PostgreSQL and
 * Temporal dev server: a client that retries after a timeout gets the first answer back instead of
 * a duplicate or a 409 it cannot tell from a real conflict.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TEMPORAL_CLIENT } from '../../libs/temporal/src';
import { createApiToken } from '../../apps/api/src/auth/api-tokens';
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody, uniq } from '../support/fixtures';

let api: ApiHarness;
let temporal: Client;
let connectorId: string;
const auth = (token = api.adminToken) => ({ Authorization: `Bearer ${token}` });
const tasksNamed = async (name: string) => (await api.ds.query(`SELECT id FROM import_task WHERE name = $1`, [name])).length;

beforeAll(async () => {
  api = await startApi();
  temporal = api.app.get(TEMPORAL_CLIENT);
  connectorId = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
});
afterAll(async () => {
  await api?.close();
});

/** Deletes the task and ends the run it may have started (no worker runs it here). */
async function cleanUp(taskId: string, runWorkflowIds: string[] = []) {
  for (const id of runWorkflowIds) await temporal.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth());
}

it('a retried POST /tasks with the same key and body creates one task and answers as the first time', async () => {
  const key = randomUUID();
  const body = taskBody(connectorId, { schedule: null });
  const first = await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(body).expect(201);
  // the same body in another key order is the same request
  const reordered = Object.fromEntries(Object.entries(body).reverse());
  const again = await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(reordered).expect(201);
  try {
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body).toEqual(first.body);
    expect(await tasksNamed(body.name)).toBe(1);
  } finally {
    await cleanUp(first.body.id);
  }
});

it('the same key with another body is a 422 that says so, and creates nothing', async () => {
  const key = randomUUID();
  const body = taskBody(connectorId, { schedule: null });
  const first = await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(body).expect(201);
  try {
    const other = { ...body, name: uniq('other-task') };
    const res = await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(other).expect(422);
    expect(res.body.detail).toMatch(/Idempotency-Key was used with another request/);
    expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'already used with another request' }]);
    expect(await tasksNamed(other.name)).toBe(0);
    // another path with the same key is another request too
    await api.http().post('/api/v1/connectors').set(auth()).set('Idempotency-Key', key).send(connectorBody()).expect(422);
  } finally {
    await cleanUp(first.body.id);
  }
});

it('a retried run-now with the same key starts one run; without a key the next POST is a real 409', async () => {
  const task = (await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId, { schedule: null })).expect(201)).body;
  const key = randomUUID();
  const first = await api.http().post(`/api/v1/tasks/${task.id}/runs`).set(auth()).set('Idempotency-Key', key).send({}).expect(202);
  try {
    const again = await api.http().post(`/api/v1/tasks/${task.id}/runs`).set(auth()).set('Idempotency-Key', key).send({}).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const runs = await api.http().get(`/api/v1/tasks/${task.id}/runs`).set(auth()).expect(200);
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
    await api.http().post(`/api/v1/tasks/${task.id}/runs`).set(auth()).send({}).expect(409);
  } finally {
    await cleanUp(task.id, [first.body.workflowId]);
  }
});

it('keys are per token: another token with the same key runs its own request', async () => {
  const key = randomUUID();
  const other = (await createApiToken(api.ds, uniq('idem-other'), 'admin')).token;
  const body = connectorBody();
  const mine = await api.http().post('/api/v1/connectors').set(auth()).set('Idempotency-Key', key).send(body).expect(201);
  // the other token's request runs: the name is taken now, a real conflict
  await api.http().post('/api/v1/connectors').set(auth(other)).set('Idempotency-Key', key).send(body).expect(409);
  await api.http().delete(`/api/v1/connectors/${mine.body.id}`).set(auth()).expect(204);
});

it('concurrent requests with one key create one task', async () => {
  const key = randomUUID();
  const body = taskBody(connectorId, { schedule: null });
  const answers = await Promise.all(
    Array.from({ length: 4 }, () => api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(body)),
  );
  const created = answers.filter((a) => a.status === 201);
  try {
    // each is the task's first answer, or "still being answered" (409 with Retry-After)
    expect(answers.every((a) => a.status === 201 || (a.status === 409 && a.headers['retry-after'] === '1'))).toBe(true);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(await tasksNamed(body.name)).toBe(1);
  } finally {
    if (created[0]) await cleanUp(created[0].body.id);
  }
});

it('a request that failed is not remembered: its retry with a corrected body runs', async () => {
  const key = randomUUID();
  const body = taskBody(connectorId, { schedule: null });
  await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send({ ...body, type: 'sideways' }).expect(400);
  const fixed = await api.http().post('/api/v1/tasks').set(auth()).set('Idempotency-Key', key).send(body).expect(201);
  await cleanUp(fixed.body.id);
});

it('an expired key is a new request; a malformed key is a 400', async () => {
  const key = randomUUID();
  const first = await api.http().post('/api/v1/connectors').set(auth()).set('Idempotency-Key', key).send(connectorBody()).expect(201);
  await api.ds.query(`UPDATE idempotent_request SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
  const second = await api.http().post('/api/v1/connectors').set(auth()).set('Idempotency-Key', key).send(connectorBody()).expect(201);
  expect(second.body.id).not.toBe(first.body.id);
  const bad = await api.http().post('/api/v1/connectors').set(auth()).set('Idempotency-Key', 'x'.repeat(256)).send(connectorBody()).expect(400);
  expect(bad.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'one key of 1-255 visible ASCII characters' }]);
  for (const id of [first.body.id, second.body.id]) await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).expect(204);
});
