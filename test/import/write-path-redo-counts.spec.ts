/**
 * Counts of the write path when a step runs again: a run that reads its source again after its
 * staging was lost, and a finishRun attempt repeated after the first one had done its work (an
 * activity whose completion never reached Temporal). Activities called directly in workflow order
 * (as removal-and-failure-rules.spec.ts does) against real PostgreSQL and a demo SCIM server.
 */
import { randomBytes } from 'node:crypto';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore } from './support/import-fixtures';
import { useActivityHarness } from './support/activity-harness';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const USERS = 30;

const h = useActivityHarness(AUTH, USERS);
let sequence = 0;

async function identityTask(tag: string): Promise<string> {
  const codes = await seedTargetStore(h.ds, `${SUFFIX}${tag}`);
  const connectorId = await insertConnector(h.ds, h.box, { baseUrl: h.server.url, ...AUTH, pageSize: 10 });
  return insertTask(h.ds, { connectorId, mappingsType: 'identityOnly', config: identityAndAccessConfig(codes, { access: null }) });
}

/** Every step up to (not including) finishRun, in workflow order. */
async function upToFinish(runId: string): Promise<void> {
  await h.activities.extract(runId, 'identity');
  await h.activities.map(runId, {});
  await h.activities.diff(runId);
  await h.activities.load(runId);
  const reconcile = await h.activities.reconcileRemovals(runId, { decisionTimeoutMs: 60_000 });
  if (reconcile.next === 'apply') await h.activities.applyRemovals(runId, 'withinThreshold');
}

async function prepare(taskId: string): Promise<string> {
  return (await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`)).runId;
}

it('records loaded before staging was lost are counted once after the run reads its source again (created, not also unchanged)', async () => {
  const taskId = await identityTask('l');
  const runId = await prepare(taskId);
  await h.activities.extract(runId, 'identity');
  await h.activities.map(runId, {});
  await h.activities.diff(runId);
  await h.activities.load(runId);
  // what PostgreSQL crash recovery does to the UNLOGGED staging after the load committed
  await h.ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
  await h.ds.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);

  // the redo: extract starts the read over; the records this run loaded now equal its task cache
  await upToFinish(runId);
  const finished = await h.activities.finishRun(runId);
  expect(finished.stats).toEqual({ fetched: USERS, created: USERS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
});

it('a finishRun attempt repeated after the first one completed leaves the run succeeded with the same counts', async () => {
  const taskId = await identityTask('f');
  const first = await prepare(taskId);
  await upToFinish(first);
  await h.activities.finishRun(first);
  // a mostly unchanged full run: one record changed at the source
  const changed = h.server.admin.listUserIds()[3];
  const before = (h.server.admin.getUser(changed) as { userName: string }).userName;
  await h.server.admin.updateUser(changed, { userName: `changed-${changed}@example.com` });
  try {
    const runId = await prepare(taskId);
    await upToFinish(runId);
    const done = await h.activities.finishRun(runId);
    expect(done.stats).toEqual({ fetched: USERS, created: 0, updated: 1, unchanged: USERS - 1, removed: 0, failed: 0 });

    // the worker died before Temporal learnt of the completion: the attempt runs again
    expect(await h.activities.finishRun(runId)).toEqual(done);
    const rows: Array<{ status: string; stats: unknown }> = await h.ds.query(`SELECT status, stats FROM run WHERE id = $1`, [runId]);
    expect(rows[0]).toEqual({ status: 'succeeded', stats: done.stats });
  } finally {
    await h.server.admin.updateUser(changed, { userName: before });
  }
});
