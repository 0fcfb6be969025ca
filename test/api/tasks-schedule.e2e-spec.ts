import { ScheduleNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { TEMPORAL_CLIENT, scheduleIdForTask } from '../../libs/temporal/src';
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody } from '../support/fixtures';

describe('task schedules (real PostgreSQL + Temporal dev server)', () => {
  let api: ApiHarness;
  let client: Client;
  let connectorId: string;
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    api = await startApi();
    client = api.app.get(TEMPORAL_CLIENT);
    const res = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201);
    connectorId = res.body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  async function describeSchedule(taskId: string) {
    return client.schedule.getHandle(scheduleIdForTask(taskId)).describe();
  }

  it('creating a task creates its schedule with the spec, SKIP overlap and search attributes', async () => {
    const body = taskBody(connectorId, { schedule: { cron: '15 3 * * 1-5', timezone: 'Europe/Helsinki' } });
    const res = await api.http().post('/api/v1/tasks').set(auth()).send(body).expect(201);
    const taskId: string = res.body.id;
    try {
      const d = await describeSchedule(taskId);
      expect(d.spec.timezone).toBe('Europe/Helsinki');
      expect(d.spec.calendars?.length ?? 0).toBeGreaterThan(0);
      expect(d.policies.overlap).toBe('SKIP');
      expect(d.policies.catchupWindow).toBeGreaterThan(0);
      expect(d.state.paused).toBe(false);
      const action = d.action as { type: string; workflowType: string; args?: unknown[]; typedSearchAttributes?: { getAll(): Array<{ key: { name: string }; value: unknown }> }; workflowRunTimeout?: unknown };
      expect(action.workflowType).toBe('importTask');
      expect(action.args).toEqual([{ taskId }]);
      const attrs = Object.fromEntries((action.typedSearchAttributes?.getAll() ?? []).map((p) => [p.key.name, p.value]));
      expect(attrs).toEqual({ ImportTaskId: taskId, ImportTaskName: body.name });
      expect(action.workflowRunTimeout).toBeDefined();

      const got = await api.http().get(`/api/v1/tasks/${taskId}`).set(auth()).expect(200);
      expect(got.body.scheduleState.paused).toBe(false);
      expect(got.body.scheduleState.nextRunTimes.length).toBeGreaterThan(0);
    } finally {
      await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth());
    }
  });

  it('updating changes the schedule, pausing pauses it, deleting removes it', async () => {
    const res = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId)).expect(201);
    const taskId: string = res.body.id;
    await api.http().patch(`/api/v1/tasks/${taskId}`).set(auth()).send({ schedule: { everyMinutes: 45 } }).expect(200);
    let d = await describeSchedule(taskId);
    expect(d.spec.intervals?.[0]?.every).toBe(45 * 60 * 1000);

    await api.http().post(`/api/v1/tasks/${taskId}/pause`).set(auth()).expect(200);
    d = await describeSchedule(taskId);
    expect(d.state.paused).toBe(true);
    const paused = await api.http().get(`/api/v1/tasks/${taskId}`).set(auth()).expect(200);
    expect(paused.body.enabled).toBe(false);
    expect(paused.body.scheduleState.paused).toBe(true);

    await api.http().post(`/api/v1/tasks/${taskId}/resume`).set(auth()).expect(200);
    d = await describeSchedule(taskId);
    expect(d.state.paused).toBe(false);

    await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth()).expect(204);
    await expect(describeSchedule(taskId)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await api.http().get(`/api/v1/tasks/${taskId}`).set(auth()).expect(404);
  });

  it('a manual-only task (schedule null) has a paused schedule that can still be triggered', async () => {
    const res = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId, { schedule: null })).expect(201);
    const taskId: string = res.body.id;
    try {
      const d = await describeSchedule(taskId);
      expect(d.state.paused).toBe(true);
    } finally {
      await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth());
    }
  });

  it('an API restarted after the schedule was deleted behind its back recreates it', async () => {
    const res = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId)).expect(201);
    const taskId: string = res.body.id;
    try {
      await client.schedule.getHandle(scheduleIdForTask(taskId)).delete();
      await expect(describeSchedule(taskId)).rejects.toBeInstanceOf(ScheduleNotFoundError);
      const restarted = await startApi();
      try {
        const d = await describeSchedule(taskId);
        expect(d.action).toMatchObject({ workflowType: 'importTask' });
      } finally {
        await restarted.close();
      }
    } finally {
      await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth());
    }
  });

  it('run now starts a run at once and answers 409 while it is in progress', async () => {
    // no worker polls this queue, so the run stays in progress
    const res = await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connectorId, { schedule: null })).expect(201);
    const taskId: string = res.body.id;
    try {
      const run = await api.http().post(`/api/v1/tasks/${taskId}/runs`).set(auth()).send({ mode: 'full' }).expect(202);
      expect(run.body).toMatchObject({ taskId, status: 'running', trigger: 'manual', mode: 'full' });
      expect(run.body.workflowId).toMatch(new RegExp(`^import-task-${taskId}`));
      expect(run.body.temporalUiUrl).toContain(encodeURIComponent(run.body.workflowId));
      const again = await api.http().post(`/api/v1/tasks/${taskId}/runs`).set(auth()).send({}).expect(409);
      expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
      const desc = await client.workflow.getHandle(run.body.workflowId).describe();
      expect(desc.status.name).toBe('RUNNING');
      expect(desc.typedSearchAttributes.getAll().map((p) => p.key.name).sort()).toEqual(expect.arrayContaining(['ImportTaskId', 'ImportTaskName']));
      await client.workflow.getHandle(run.body.workflowId).terminate('test cleanup');
      const list = await api.http().get(`/api/v1/tasks/${taskId}/runs`).set(auth()).expect(200);
      expect(list.body.items.map((r: { id: string }) => r.id)).toContain(run.body.id);
    } finally {
      await api.ds.query(`UPDATE run SET status = 'cancelled' WHERE task_id = $1 AND status = 'running'`, [taskId]);
      await api.http().delete(`/api/v1/tasks/${taskId}`).set(auth());
    }
  });
});
