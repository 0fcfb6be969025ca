/**
 * Temporal is the one source of truth for "is a run of this task in progress", end to end through
 * the REST API: a run terminated from Temporal shows as terminated and frees the task; a run
 * waiting for a removal decision outlives the run timeout of its execution; run-now starts
 * exactly one run however many callers race; a cancelled run resumes from the step it was
 * cancelled in. The worker runs the real activities; a second set loads in small, slow batches
 * so that a terminate or a cancel lands mid-load.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { startApi } from '../support/api-harness';
import { useStack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { eventually, uniq } from '../support/fixtures';
import { faultyWorker, noFaults } from '../support/activity-faults';
import { runApi, scimServerPool, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

const faults = noFaults();
// no reconciler loop in this API: the tests that need one start their own
const { api, client } = useStack({ taskQueue: uniq('e2e-truth'), config: { runReconcileIntervalMs: 0 }, api: true, worker: faultyWorker(faults) });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());

afterEach(() => {
  faults.slowLoad = false;
});

const count = async (sql: string, params: unknown[]) => Number((await api.ds.query<Array<{ n: string }>>(sql, params))[0].n);

async function identityTask(prefix: string, users: number) {
  const scim = await scimServers.start({ users, groups: 0 });
  const codes = await rest.targetStore(prefix);
  const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
  return { scim, codes, taskId };
}

describe('a run terminated from Temporal', () => {
  it('shows as terminated with the reason within seconds, keeps what it committed, releases its staging, and run-now works again', async () => {
    const { codes, taskId } = await identityTask('term', 150);
    faults.slowLoad = true;
    const started = await rest.runNow(taskId);
    await rest.waitRun(started.id, (r) => r.status !== 'running' || (r.phase === 'load' && r.stats.created >= 6));
    expect(await count(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [started.id])).toBe(150);

    // an API whose reconciler runs every second (10 s by default); nobody reads the run meanwhile
    const reconciling = await startApi({ taskQueue: api.config.taskQueue, runReconcileIntervalMs: 1000 });
    const terminatedAt = Date.now();
    let row: { status: string };
    try {
      await client.workflow.getHandle(started.workflowId).terminate('operator stopped it from the UI');
      row = await eventually(async () => {
        const rows: Array<{ status: string }> = await api.ds.query(`SELECT status FROM run WHERE id = $1`, [started.id]);
        return rows[0].status === 'running' ? undefined : rows[0];
      }, 30_000, 100);
    } finally {
      await reconciling.close();
    }
    const seconds = (Date.now() - terminatedAt) / 1000;
    expect(row.status).toBe('terminated');
    expect(seconds).toBeLessThan(30);

    const run = await rest.run(started.id);
    expect(run).toMatchObject({ status: 'terminated', phase: 'terminated', error: { type: 'Terminated' } });
    expect(run.error?.message).toContain('operator stopped it from the UI');
    expect(run.finishedAt).toBeTruthy();
    expect(run.stagingReleasedAt).toBeTruthy();
    // what it committed stays; its staging is gone
    const committed = await count(`SELECT count(*) AS n FROM datacard WHERE template_code = $1`, [codes.account]);
    expect(committed).toBeGreaterThanOrEqual(6);
    expect(committed).toBeLessThan(150);
    expect(await count(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [started.id])).toBe(0);

    // the task is free at once, and the next run completes the import
    faults.slowLoad = false;
    const next = await rest.runNow(taskId);
    expect(next.id).not.toBe(started.id);
    expect(await rest.waitRun(next.id)).toMatchObject({ status: 'succeeded', stats: { created: 150 - committed, unchanged: committed } });
    // a terminated run can be restarted, not resumed (its staging is gone)
    expect((await rest.post(`/api/v1/runs/${started.id}/retry`, { strategy: 'resume' })).status).toBe(409);
  });

  it('GET /runs/:id and run-now notice a closed workflow without the reconciler loop', async () => {
    const { scim, taskId } = await identityTask('term-read', 150);
    faults.slowLoad = true;
    const started = await rest.runNow(taskId);
    await rest.waitRun(started.id, (r) => r.status !== 'running' || r.phase === 'load');
    await client.workflow.getHandle(started.workflowId).terminate('stopped by a test');
    // this API has no reconciler loop: the read itself asks Temporal
    const seen = await rest.run(started.id);
    expect(seen).toMatchObject({ status: 'terminated', error: { type: 'Terminated' } });
    expect(seen.error?.message).toContain('stopped by a test');
    faults.slowLoad = false;
    const next = await rest.post(`/api/v1/tasks/${taskId}/runs`);
    expect(next.status).toBe(202);
    expect(await rest.waitRun(next.body.id)).toMatchObject({ status: 'succeeded' });

    // run-now on its own: terminate the next run and ask for another one without reading first.
    // Its records are unchanged (load has nothing to do): a slow listing keeps it in extract
    scim.setQuirks({ listLatencyMs: 500 });
    const third = await rest.runNow(taskId, 'full');
    const running = await rest.waitRun(third.id, (r) => r.status !== 'running' || r.phase === 'extract');
    expect(running.status).toBe('running');
    await client.workflow.getHandle(third.workflowId).terminate('stopped again');
    scim.setQuirks({});
    const fourth = await rest.post(`/api/v1/tasks/${taskId}/runs`);
    expect(fourth.status).toBe(202);
    const [row] = await api.ds.query<Array<{ status: string }>>(`SELECT status FROM run WHERE id = $1`, [third.id]);
    expect(row.status).toBe('terminated');
    expect(await rest.waitRun(fourth.body.id)).toMatchObject({ status: 'succeeded' });
  });
});

describe('run-now', () => {
  it('N concurrent requests start exactly one run: one 202, the others 409', async () => {
    const { taskId } = await identityTask('race', 60);
    faults.slowLoad = true;
    const answers = await Promise.all(Array.from({ length: 6 }, () => rest.post(`/api/v1/tasks/${taskId}/runs`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409]);
    const winner = answers.find((a) => a.status === 202)!.body as RunBody;
    for (const loser of answers.filter((a) => a.status === 409)) {
      expect(loser.headers['content-type']).toMatch(/problem\+json/);
      expect(loser.body.detail).toMatch(/already in progress/);
    }
    // exactly one run row and one workflow for this task
    expect(await count(`SELECT count(*) AS n FROM run WHERE task_id = $1`, [taskId])).toBe(1);
    const ids: string[] = [];
    await eventually(async () => {
      ids.length = 0;
      for await (const w of client.workflow.list({ query: `ImportTaskId = "${taskId}"` })) ids.push(w.workflowId);
      return ids.length >= 1;
    }, 20_000, 200);
    expect(ids).toEqual([winner.workflowId]);
    expect(winner).toMatchObject({ status: 'running', trigger: 'manual', taskId });
    expect(winner.temporalRunId).toBeTruthy();
    faults.slowLoad = false;
    expect(await rest.waitRun(winner.id)).toMatchObject({ status: 'succeeded', stats: { created: 60 } });
  });

  it('two sequential requests: 202, then 409 while the first runs; 202 again once it ended', async () => {
    const { taskId } = await identityTask('seq', 60);
    faults.slowLoad = true;
    const first = await rest.post(`/api/v1/tasks/${taskId}/runs`);
    expect(first.status).toBe(202);
    const second = await rest.post(`/api/v1/tasks/${taskId}/runs`);
    expect(second.status).toBe(409);
    expect(second.body.detail).toContain(first.body.id);
    faults.slowLoad = false;
    await rest.waitRun(first.body.id);
    const third = await rest.post(`/api/v1/tasks/${taskId}/runs`);
    expect(third.status).toBe(202);
    expect(await rest.waitRun(third.body.id)).toMatchObject({ status: 'succeeded' });
  });

  it('a scheduled start while a run-now is in progress is refused by the per-task lock and leaves no failed run', async () => {
    const { taskId, codes } = await identityTask('sched', 60);
    faults.slowLoad = true;
    const manual = await rest.runNow(taskId);
    // what the schedule would start (its SKIP policy does not see a run started outside it)
    const scheduledId = `import-task-${taskId}-${new Date().toISOString()}`;
    const handle = await startImportWorkflow(client, { input: { taskId }, workflowId: scheduledId, taskQueue: api.config.taskQueue, taskName: 'scheduled' });
    expect(await handle.result()).toMatchObject({ phase: 'skipped' });
    faults.slowLoad = false;
    expect(await rest.waitRun(manual.id)).toMatchObject({ status: 'succeeded' });
    expect(await count(`SELECT count(*) AS n FROM run WHERE task_id = $1`, [taskId])).toBe(1);
    expect(await rest.datacards({ template: codes.failure })).toHaveLength(0);
  });
});

describe('a run waiting for a removal decision', () => {
  it('outlives the run timeout of its execution: the wait continues in an execution whose timeout covers the window', async () => {
    const { scim, codes, taskId } = await identityTask('outlive', 10);
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    for (const id of scim.admin.listUserIds().slice(0, 5)) await scim.admin.deleteUser(id);
    // started as the schedule starts its runs, but with a run timeout of 12 s instead of 12 h
    // (and a decision window of 10 minutes instead of 72 h)
    const runTimeoutMs = 12_000;
    const workflowId = `import-task-${taskId}-timeout-${Date.now()}`;
    const startedAt = Date.now();
    const handle = await startImportWorkflow(client, {
      input: { taskId, trigger: 'manual', removalDecisionTimeoutMs: 10 * 60_000 },
      taskQueue: api.config.taskQueue,
      workflowId,
      runTimeout: runTimeoutMs,
    });
    const rows = await eventually(async () => {
      const r: Array<{ id: string }> = await api.ds.query(`SELECT id FROM run WHERE workflow_id = $1`, [workflowId]);
      return r.length ? r : undefined;
    });
    const pending = await rest.waitRun(rows[0].id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running', 60_000);
    expect(pending).toMatchObject({ status: 'running', removal: { state: 'awaitingApproval' } });

    // wait until well past the first execution's run timeout
    const wait = startedAt + runTimeoutMs + 4000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const described = await client.workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
    expect(await rest.run(pending.id)).toMatchObject({ status: 'running', removal: { state: 'awaitingApproval' } });
    const first = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');

    expect((await rest.post(`/api/v1/runs/${pending.id}/approve-removals`)).status).toBe(202);
    const done = await rest.waitRun(pending.id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved' } });
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(5);
  });
});

describe('resume of a cancelled run', () => {
  it('continues from the step it was cancelled in: load runs again, nothing is extracted again', async () => {
    const { scim, codes, taskId } = await identityTask('resume-cancel', 150);
    faults.slowLoad = true;
    const started = await rest.runNow(taskId);
    await rest.waitRun(started.id, (r) => r.status !== 'running' || (r.phase === 'load' && r.stats.created >= 6));
    expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(202);
    const cancelled = await rest.waitRun(started.id, (r) => r.status !== 'running', 60_000);
    expect(cancelled.status).toBe('cancelled');
    const committed = cancelled.stats.created;
    expect(committed).toBeGreaterThanOrEqual(6);
    expect(committed).toBeLessThan(150);

    faults.slowLoad = false;
    const requestsBefore = scim.requestCount();
    const retry = await rest.post(`/api/v1/runs/${started.id}/retry`, { strategy: 'resume' });
    expect(retry.status).toBe(202);
    const resumed = retry.body as RunBody;
    expect(resumed).toMatchObject({ retryOf: started.id, trigger: 'retry', workflowId: started.workflowId });
    const done = await rest.waitRun(resumed.id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { fetched: 150, created: 150, failed: 0 } });
    expect(done.notes.join('\n')).toMatch(/resumed from the cancelled step load/);
    expect(scim.requestCount()).toBe(requestsBefore);
    expect(await rest.datacards({ template: codes.account, taskId })).toHaveLength(150);
    expect(await rest.run(started.id)).toMatchObject({ status: 'cancelled' });

    const history = await client.workflow.getHandle(done.workflowId, done.temporalRunId ?? undefined).fetchHistory();
    const events = history.events ?? [];
    const reset = events.find((e) => e.workflowTaskFailedEventAttributes?.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
    expect(reset).toBeDefined();
    const after = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && Number(e.eventId) > Number(reset!.eventId))
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(after).toEqual(['load', 'reconcileRemovals', 'finishRun']);
  });

  it.each([
    ['while it waits in the execution it continued into', true],
    ['just as it continued as new to wait', false],
  ])('a run cancelled %s waits again for the removal decision when resumed, and the decision applies', async (_when, waitInNewExecution) => {
    const { scim, codes, taskId } = await identityTask('resume-approval', 10);
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    const gone = scim.admin.listUserIds().slice(0, 5);
    for (const id of gone) await scim.admin.deleteUser(id);
    const started = await rest.runNow(taskId);
    const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
    expect(pending.removal?.state).toBe('awaitingApproval');
    // the wait runs in the execution the run continued into (run-now runs have a run timeout)
    await eventually(async () => (await client.workflow.getHandle(started.workflowId).describe()).runId !== started.temporalRunId, 20_000, 50);
    if (waitInNewExecution) {
      // the new execution answers the progress query once it has started to wait
      await eventually(async () => (await client.workflow.getHandle(started.workflowId).query<{ phase: string }>('progress')).phase === 'awaitingRemovalApproval', 20_000, 100);
    }
    expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(202);
    const cancelled = await rest.waitRun(started.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', removal: { state: 'cancelled', removed: 0 } });

    const retry = await rest.post(`/api/v1/runs/${started.id}/retry`, { strategy: 'resume' });
    expect(retry.status).toBe(202);
    const waiting = await rest.waitRun(retry.body.id, (r) => r.status !== 'running' || (r.removal?.state === 'awaitingApproval' && r.phase !== 'resuming' && r.phase !== 'queued'));
    expect(waiting).toMatchObject({ status: 'running', removal: { state: 'awaitingApproval', total: 5 } });
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);
    const approved = await rest.post(`/api/v1/runs/${retry.body.id}/approve-removals`);
    expect({ status: approved.status, detail: approved.body.detail }).toEqual({ status: 202, detail: undefined });
    const done = await rest.waitRun(retry.body.id);
    expect(done).toMatchObject({ status: 'succeeded', retryOf: started.id, stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved' } });
    expect((await rest.datacards({ template: codes.account, status: 'removed' })).map((d) => d.uniqueValue).sort()).toEqual([...gone].sort());
  });
});
