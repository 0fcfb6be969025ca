/**
 * ETag and If-Match (docs/api.md, Changing what someone else may change): a GET answers with the
 * version it shows, and a PATCH or DELETE with If-Match changes only that version; a stale one is
 * a 412 with the resource as it is now, so two editors never overwrite each other silently.
 */
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody } from '../support/fixtures';

let api: ApiHarness;
const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe('connectors', () => {
  it('GET, POST and PATCH answer with an ETag that changes with every update', async () => {
    const created = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201);
    const id = created.body.id;
    try {
      const got = await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200);
      expect(got.headers.etag).toMatch(/^"connector-\d+"$/);
      expect(created.headers.etag).toBe(got.headers.etag);
      const patched = await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', got.headers.etag).send({ pageSize: 50 }).expect(200);
      expect(patched.headers.etag).not.toBe(got.headers.etag);
      expect((await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).headers.etag).toBe(patched.headers.etag);
    } finally {
      await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
    }
  });

  it('a PATCH with a stale If-Match is a 412 carrying the current connector; nothing changes', async () => {
    const id = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
    try {
      const read = (await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).headers.etag;
      await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).send({ pageSize: 75 }).expect(200);
      const stale = await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', read).send({ pageSize: 10 }).expect(412);
      expect(stale.body.current.pageSize).toBe(75);
      expect(stale.body.etag).toMatch(/^"connector-\d+"$/);
      expect(stale.body.detail).toMatch(/changed by someone else/);
      expect(JSON.stringify(stale.body)).not.toContain('pa55-Secret-Value!');
      expect((await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).body.pageSize).toBe(75);
      // the ETag the 412 carried is the one to send
      await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', stale.body.etag).send({ pageSize: 10 }).expect(200);
    } finally {
      await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
    }
  });

  it('two concurrent PATCHes with the same If-Match: one 200, one 412', async () => {
    const id = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
    try {
      const etag = (await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).headers.etag;
      const answers = await Promise.all(
        [11, 22].map((pageSize) => api.http().patch(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', etag).send({ pageSize })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
      const winner = answers.find((a) => a.status === 200)!;
      expect((await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).body.pageSize).toBe(winner.body.pageSize);
    } finally {
      await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
    }
  });

  it('DELETE honours If-Match; * matches any version; a weak ETag never matches', async () => {
    const id = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
    const etag = (await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).headers.etag;
    await api.http().patch(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', '*').send({ pageSize: 33 }).expect(200);
    await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', etag).expect(412);
    const now = (await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(200)).headers.etag;
    await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', `W/${now}`).expect(412);
    await api.http().delete(`/api/v1/connectors/${id}`).set(auth()).set('If-Match', `"other", ${now}`).expect(204);
    await api.http().get(`/api/v1/connectors/${id}`).set(auth()).expect(404);
  });
});

describe('tasks', () => {
  let connectorId: string;
  beforeAll(async () => {
    connectorId = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
  });

  it('two concurrent PATCHes with the same If-Match: one 200, one 412 with the winner as current', async () => {
    const created = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId, { schedule: null })).expect(201);
    const id = created.body.id;
    try {
      const got = await api.http().get(`/api/v1/tasks/${id}`).set(auth()).expect(200);
      expect(got.headers.etag).toMatch(/^"task-\d+"$/);
      expect(created.headers.etag).toBe(got.headers.etag);
      const answers = await Promise.all(
        [5, 7].map((maxRemovalPercent) =>
          api.http().patch(`/api/v1/tasks/${id}`).set(auth()).set('If-Match', got.headers.etag).send({ safety: { maxRemovalPercent } }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 412]);
      const winner = answers.find((a) => a.status === 200)!;
      const loser = answers.find((a) => a.status === 412)!;
      expect(loser.body.current.safety.maxRemovalPercent).toBe(winner.body.safety.maxRemovalPercent);
      expect(loser.body.etag).toBe(winner.headers.etag);
      const now = await api.http().get(`/api/v1/tasks/${id}`).set(auth()).expect(200);
      expect(now.body.safety.maxRemovalPercent).toBe(winner.body.safety.maxRemovalPercent);
      expect(now.headers.etag).toBe(winner.headers.etag);
    } finally {
      await api.http().delete(`/api/v1/tasks/${id}`).set(auth());
    }
  });

  it('pausing changes the ETag, so a DELETE with the version from before is a 412', async () => {
    const id = (await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId, { schedule: { everyMinutes: 60 } })).expect(201)).body.id;
    const before = (await api.http().get(`/api/v1/tasks/${id}`).set(auth()).expect(200)).headers.etag;
    const paused = await api.http().post(`/api/v1/tasks/${id}/pause`).set(auth()).expect(200);
    expect(paused.headers.etag).not.toBe(before);
    await api.http().delete(`/api/v1/tasks/${id}`).set(auth()).set('If-Match', before).expect(412);
    await api.http().get(`/api/v1/tasks/${id}`).set(auth()).expect(200);
    await api.http().delete(`/api/v1/tasks/${id}`).set(auth()).set('If-Match', paused.headers.etag).expect(204);
  });
});

it('a template answers with an ETag that stays while it does', async () => {
  const list = await api.http().get('/api/v1/templates').set(auth()).expect(200);
  const code = list.body.items[0].code;
  const a = await api.http().get(`/api/v1/templates/${code}`).set(auth()).expect(200);
  const b = await api.http().get(`/api/v1/templates/${code}`).set(auth()).expect(200);
  expect(a.headers.etag).toMatch(/^"template-[\w-]+"$/);
  expect(b.headers.etag).toBe(a.headers.etag);
});
