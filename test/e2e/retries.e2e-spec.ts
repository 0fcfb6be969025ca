/**
 * Failed, retried and cancelled runs end to end, through the REST API: failure datacards, retry
 * from history (`restart` and `resume` = Temporal reset before the failed step) and cancellation.
 * The worker runs the real activities; a test-only wrapper can make `load` fail once, and a
 * second set of activities loads in small, slow batches so a cancel lands mid-load.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { useStack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { faultyWorker, noFaults } from '../support/activity-faults';
import { runApi, scimServerPool, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

/** Test switches read by the worker's activity wrappers. */
const faults = noFaults();
const { api, client } = useStack({ taskQueue: uniq('e2e-retries'), api: true, worker: faultyWorker(faults) });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());

afterEach(() => {
  Object.assign(faults, noFaults());
});

/** Activity types scheduled in a history, in order, with their event ids. */
function scheduled(history: temporal.api.history.v1.IHistory): Array<{ id: number; type: string }> {
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => ({ id: Number(e.eventId), type: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '' }));
}

describe('a rejected password', () => {
  it('fails fast without retries, leaves one readable failure datacard; fixed password + restart succeeds', async () => {
    const scim = await scimServers.start({ users: 12, groups: 2, membersPerUser: 1 });
    const codes = await rest.targetStore('pw');
    const connectorId = await rest.connector(scim, USER, PASSWORD);
    const taskId = await rest.task(connectorId, codes);
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded', stats: { created: 14 } });

    const rotated = `Rotated-${randomUUID()}`;
    scim.setAuth({ basic: { username: USER, password: rotated } });
    const failed = await rest.runToEnd(taskId);
    expect(failed).toMatchObject({ status: 'failed', phase: 'failed', error: { type: 'ScimAuthError' } });
    expect(failed.error?.message).toMatch(/rejected the credentials/);
    expect(Date.parse((failed as RunBody & { finishedAt: string }).finishedAt) - Date.parse((failed as RunBody & { startedAt: string }).startedAt)).toBeLessThan(15_000);

    // no retries: every activity ran exactly once, and extract failed on its first attempt (the
    // row says failed as recordFailure commits; its activity completes a moment later)
    const handle = client.workflow.getHandle(failed.workflowId, failed.temporalRunId ?? undefined);
    await handle.result().catch(() => undefined);
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a): a is number => typeof a === 'number');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((a) => a === 1)).toBe(true);
    expect(scheduled(history).map((s) => s.type)).toEqual(['prepareRun', 'extract', 'recordFailure']);

    const cards = await rest.datacards({ template: codes.failure, taskId });
    expect(cards).toHaveLength(1);
    expect(cards[0].uniqueValue).toBe(failed.id);
    const message = String(cards[0].attributes.message);
    expect(message).toMatch(new RegExp(`^ScimAuthError: .*rejected the credentials.* \\(run ${failed.id}, \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`));
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(rotated);

    const fixed = await api.http().patch(`/api/v1/connectors/${connectorId}`).set(rest.auth()).send({ auth: { type: 'basic', username: USER, password: rotated } });
    expect(fixed.status).toBe(200);
    await rest.settled(taskId);
    const retry = await rest.post(`/api/v1/runs/${failed.id}/retry`, { strategy: 'restart' });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ retryOf: failed.id, trigger: 'retry', status: 'running' });
    expect(retry.body.workflowId).not.toBe(failed.workflowId);
    const done = await rest.waitRun(retry.body.id);
    expect(done).toMatchObject({ status: 'succeeded', retryOf: failed.id, trigger: 'retry' });
    expect((await rest.run(failed.id)).status).toBe('failed');
    expect(await rest.datacards({ template: codes.failure, taskId })).toHaveLength(1);

    // only failed or cancelled runs can be retried
    const again = await rest.post(`/api/v1/runs/${done.id}/retry`, { strategy: 'restart' });
    expect(again.status).toBe(409);
  });
});

describe('a transient failure in load', () => {
  it('resume continues from the failed step without extracting again (shown in the activity history)', async () => {
    const scim = await scimServers.start({ users: 30, groups: 4, membersPerUser: 2 });
    const codes = await rest.targetStore('resume');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);

    faults.loadOutages = 1;
    const failed = await rest.runToEnd(taskId);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage', message: 'simulated outage' }, stats: { fetched: 34, created: 0 } });
    const staged: Array<{ n: string }> = await api.ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [failed.id]);
    expect(Number(staged[0].n)).toBe(34);
    const oldHistory = await client.workflow.getHandle(failed.workflowId, failed.temporalRunId ?? undefined).fetchHistory();
    const failedLoad = scheduled(oldHistory).find((s) => s.type === 'load');
    expect(failedLoad).toBeDefined();

    const requestsBefore = scim.requestCount();
    await rest.settled(taskId);
    const retry = await rest.post(`/api/v1/runs/${failed.id}/retry`, { strategy: 'resume' });
    expect(retry.status).toBe(202);
    const resumed = retry.body as RunBody;
    expect(resumed).toMatchObject({ retryOf: failed.id, trigger: 'retry', workflowId: failed.workflowId });
    expect(resumed.id).not.toBe(failed.id);
    expect(resumed.temporalRunId).not.toBe(failed.temporalRunId);

    const done = await rest.waitRun(resumed.id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { fetched: 34, created: 34, failed: 0 } });
    expect(done.notes.join('\n')).toMatch(/resumed from the failed step load/);
    // the old run stays as it was; the source was not read again
    expect(await rest.run(failed.id)).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage' } });
    expect(scim.requestCount()).toBe(requestsBefore);
    expect(await rest.datacards({ template: codes.account, taskId })).toHaveLength(30);
    expect(await rest.datacards({ template: codes.entitlement, taskId })).toHaveLength(4);
    expect((await rest.records(done.id, 'created')).length).toBe(34);

    // the new execution's history: everything up to the reset point is the old one's, after it no extract
    const history = await client.workflow.getHandle(done.workflowId, done.temporalRunId ?? undefined).fetchHistory();
    const events = history.events ?? [];
    const reset = events.find((e) => e.workflowTaskFailedEventAttributes?.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW);
    expect(reset).toBeDefined();
    const resetAt = Number(reset!.eventId);
    const before = scheduled(history).filter((s) => s.id < resetAt).map((s) => s.type);
    const after = scheduled(history).filter((s) => s.id > resetAt).map((s) => s.type);
    expect(before).toEqual(['prepareRun', 'extract', 'extract', 'map', 'diff']);
    expect(after).toEqual(['load', 'reconcileRemovals', 'finishRun']);
    expect(after).not.toContain('extract');

    // the failed run's staging served the resume and is gone once it succeeded
    const left: Array<{ n: string }> = await api.ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [failed.id]);
    expect(Number(left[0].n)).toBe(0);
    // one failure datacard: the failed run's; the resumed run did not fail
    const cards = await rest.datacards({ template: codes.failure, taskId });
    expect(cards.map((c) => c.uniqueValue)).toEqual([failed.id]);
  });

  it('a resumed run that fails again is a failed run of its own, and can be resumed in turn', async () => {
    const scim = await scimServers.start({ users: 10, groups: 2, membersPerUser: 1 });
    const codes = await rest.targetStore('resume2');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    faults.loadOutages = 2;
    const first = await rest.runToEnd(taskId);
    expect(first.status).toBe('failed');
    await rest.settled(taskId);
    const second = (await rest.post(`/api/v1/runs/${first.id}/retry`, { strategy: 'resume' })).body as RunBody;
    const secondDone = await rest.waitRun(second.id);
    expect(secondDone).toMatchObject({ status: 'failed', retryOf: first.id, error: { type: 'SimulatedOutage' }, workflowId: first.workflowId });
    await rest.settled(taskId);
    const third = await rest.post(`/api/v1/runs/${second.id}/retry`, { strategy: 'resume' });
    expect(third.status).toBe(202);
    const done = await rest.waitRun(third.body.id);
    expect(done).toMatchObject({ status: 'succeeded', retryOf: second.id, workflowId: first.workflowId, stats: { created: 12 } });
    expect(await rest.run(first.id)).toMatchObject({ status: 'failed' });
    expect(await rest.run(second.id)).toMatchObject({ status: 'failed' });
    const cards = await rest.datacards({ template: codes.failure, taskId });
    expect(cards.map((c) => c.uniqueValue).sort()).toEqual([first.id, second.id].sort());
  });
});

describe('removal decision as an Update', () => {
  it('an approval sent while reconcile is still returning is answered once it returns, and applies exactly the set', async () => {
    const scim = await scimServers.start({ users: 10, groups: 0 });
    const codes = await rest.targetStore('early-approve');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    const gone = scim.admin.listUserIds().slice(0, 5);
    for (const id of gone) await scim.admin.deleteUser(id);
    faults.reconcileTailMs = 2_000;
    const started = await rest.runNow(taskId);
    await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
    const approved = await rest.post(`/api/v1/runs/${started.id}/approve-removals`);
    expect(approved.status).toBe(202);
    const done = await rest.waitRun(started.id, undefined, 30_000);
    expect(done).toMatchObject({ status: 'succeeded', stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved', removed: 5 } });
    expect((await rest.records(done.id, 'removed')).length).toBe(5);
  });
});

describe('cancellation', () => {
  it('POST /runs/:id/cancel stops the run mid-load: committed batches stay whole, status cancelled', async () => {
    const scim = await scimServers.start({ users: 150, groups: 0 });
    const codes = await rest.targetStore('cancel');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    faults.slowLoad = true;
    const started = await rest.runNow(taskId);
    await rest.waitRun(started.id, (r) => r.status !== 'running' || (r.phase === 'load' && r.stats.created >= 6));
    const res = await rest.post(`/api/v1/runs/${started.id}/cancel`);
    expect(res.status).toBe(202);
    const cancelled = await rest.waitRun(started.id, (r) => r.status !== 'running', 60_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', phase: 'cancelled' });
    await eventually(async () => (await client.workflow.getHandle(cancelled.workflowId).describe()).status.name === 'CANCELLED', 20_000, 200);

    // nothing half-applied: each committed batch wrote its datacards, outcomes, sightings and cache together
    const count = async (sql: string, params: unknown[]) => Number((await api.ds.query<Array<{ n: string }>>(sql, params))[0].n);
    const cards = await count(`SELECT count(*) AS n FROM datacard WHERE template_code = $1`, [codes.account]);
    expect(cards).toBeGreaterThanOrEqual(6);
    expect(cards).toBeLessThan(150);
    expect(cancelled.stats.created).toBe(cards);
    expect(await count(`SELECT count(*) AS n FROM run_record WHERE run_id = $1 AND outcome = 'created'`, [started.id])).toBe(cards);
    expect(await count(`SELECT count(*) AS n FROM datacard_sighting WHERE task_id = $1`, [taskId])).toBe(cards);
    expect(await count(`SELECT count(*) AS n FROM datacard_sighting WHERE task_id = $1 AND hash IS NOT NULL`, [taskId])).toBe(cards);
    expect(await count(`SELECT COALESCE(sum(loaded_rows), 0) AS n FROM staging_load_batch WHERE run_id = $1`, [started.id])).toBe(cards);
    // and nothing is written after the run says cancelled
    await new Promise((r) => setTimeout(r, 1000));
    expect(await count(`SELECT count(*) AS n FROM datacard WHERE template_code = $1`, [codes.account])).toBe(cards);

    expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(409);
    // a cancelled run can be retried; the restart finishes the import
    faults.slowLoad = false;
    await rest.settled(taskId);
    const retry = await rest.post(`/api/v1/runs/${started.id}/retry`, { strategy: 'restart' });
    expect(retry.status).toBe(202);
    expect(await rest.waitRun(retry.body.id)).toMatchObject({ status: 'succeeded', retryOf: started.id, stats: { created: 150 - cards, unchanged: cards } });
  });

  it.each([
    ['once the run waits', 0],
    // the gap CI once hit: the cancel arrives while reconcile's result is still on its way, and the
    // workflow must not continue as new into the wait (a new execution would not carry the cancel)
    ['before reconcile has returned', 2_000],
  ])('cancelling while removals await approval (%s) leaves nothing removed and says so', async (_when, tailMs) => {
    const scim = await scimServers.start({ users: 10, groups: 0 });
    const codes = await rest.targetStore('cancel-rm');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    for (const id of scim.admin.listUserIds().slice(0, 5)) await scim.admin.deleteUser(id);
    faults.reconcileTailMs = tailMs;
    const started = await rest.runNow(taskId);
    const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
    expect(pending.removal?.state).toBe('awaitingApproval');
    expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(202);
    const cancelled = await rest.waitRun(started.id, undefined, 30_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', stats: { removed: 0 }, removal: { state: 'cancelled', removed: 0 } });
    // the row says cancelled as cancelRun commits; the workflow closes once that activity returns
    const handle = client.workflow.getHandle(cancelled.workflowId);
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);
  });
});
