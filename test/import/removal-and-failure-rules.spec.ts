/**
 * The rules behind removal, failure records and resumed runs, checked by calling the activities
 * directly (outside a worker, in workflow order) against real PostgreSQL and a demo SCIM server.
 */
import { randomBytes } from 'node:crypto';
import { SecretBox } from '@app/persistence';
import { createActivities } from '@app/import';
import type { RunRemovalState } from '@app/temporal';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore, type TargetCodes } from './support/import-fixtures';
import { extractMapDiff, useActivityHarness } from './support/activity-harness';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

const h = useActivityHarness(AUTH, 30);
let sequence = 0;

/** One full run in workflow order; removals are applied when within the threshold. */
async function fullRun(taskId: string) {
  const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`);
  await extractMapDiff(h.activities, plan);
  await h.activities.load(plan.runId);
  const reconcile = await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 });
  if (reconcile.next === 'apply') await h.activities.applyRemovals(plan.runId, 'withinThreshold');
  await h.activities.finishRun(plan.runId);
  const rows: Array<{ removal: RunRemovalState; stats: { removed: number } }> = await h.ds.query(`SELECT removal, stats FROM run WHERE id = $1`, [plan.runId]);
  return { runId: plan.runId, removal: rows[0].removal, removed: rows[0].stats.removed };
}

async function identityTask(codes: TargetCodes, overrides: Parameters<typeof identityAndAccessConfig>[1] = {}): Promise<string> {
  const connectorId = await insertConnector(h.ds, h.box, { baseUrl: h.server.url, ...AUTH, pageSize: 10 });
  return insertTask(h.ds, { connectorId, mappingsType: 'identityOnly', config: identityAndAccessConfig(codes, { access: null, ...overrides }) });
}

describe('removal rules', () => {
  it('a record still listed but failing to map is seen, not gone: it is not removed', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}m`);
    const base = identityAndAccessConfig(codes).identity!;
    // unique by externalId: a record whose externalId disappears cannot be mapped any more
    const taskId = await identityTask(codes, { identity: { ...base, unique: { external: 'externalId', local: 'externalId' } } });
    expect((await fullRun(taskId)).removal).toMatchObject({ state: 'applied', total: 0 });
    const victim = h.server.admin.listUserIds()[4];
    const before = (h.server.admin.getUser(victim) as { externalId: string }).externalId;
    await h.server.admin.updateUser(victim, { externalId: '' });
    try {
      const run = await fullRun(taskId);
      const failed: Array<{ source_id: string }> = await h.ds.query(`SELECT source_id FROM run_record WHERE run_id = $1 AND outcome = 'failed'`, [run.runId]);
      expect(failed.map((f) => f.source_id)).toEqual([victim]);
      expect(run.removal).toMatchObject({ state: 'applied', total: 0 });
      expect(run.removed).toBe(0);
    } finally {
      await h.server.admin.updateUser(victim, { externalId: before });
    }
  });

  it('a unique value listed twice fails for every source id after the first, which alone is loaded', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}d`);
    const base = identityAndAccessConfig(codes).identity!;
    const taskId = await identityTask(codes, { identity: { ...base, unique: { external: 'externalId', local: 'externalId' } } });
    const ids = [...h.server.admin.listUserIds()].sort();
    const [first, second, third] = ids;
    const before = ids.slice(0, 3).map((id) => (h.server.admin.getUser(id) as { externalId: string }).externalId);
    for (const id of [first, second, third]) await h.server.admin.updateUser(id, { externalId: 'shared-value' });
    try {
      const run = await fullRun(taskId);
      const failed: Array<{ source_id: string; message: string }> = await h.ds.query(
        `SELECT source_id, message FROM run_record WHERE run_id = $1 AND outcome = 'failed' ORDER BY source_id`,
        [run.runId],
      );
      expect(failed).toEqual([second, third].map((id) => ({ source_id: id, message: `duplicate unique value shared-value (also source id ${first})` })));
      const loaded: Array<{ source_id: string }> = await h.ds.query(
        `SELECT source_id FROM run_record WHERE run_id = $1 AND unique_value = 'shared-value' AND outcome IN ('created', 'updated')`,
        [run.runId],
      );
      expect(loaded.map((r) => r.source_id)).toEqual([first]);
      expect(run.removal).toMatchObject({ state: 'applied', total: 0 });
    } finally {
      for (const [i, id] of [first, second, third].entries()) await h.server.admin.updateUser(id, { externalId: before[i] });
    }
  });

  it('staging lost to a database restart never removes: extract reads again, reconcile refuses an incomplete staging', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}l`);
    const taskId = await identityTask(codes);
    expect((await fullRun(taskId)).removal).toMatchObject({ state: 'applied', total: 0 });

    const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`);
    const kind = plan.resources[0].kind;
    await h.activities.extract(plan.runId, kind);
    // staged rows gone while the (logged) checkpoint says done
    await h.ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [plan.runId]);
    const again = await h.activities.extract(plan.runId, kind);
    expect(again.fetched).toBe(30);
    const staged: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [plan.runId]);
    expect(Number(staged[0].n)).toBe(30);

    await h.activities.map(plan.runId, {});
    await h.activities.diff(plan.runId);
    await h.activities.load(plan.runId);
    await h.ds.query(`DELETE FROM staging_record WHERE run_id = $1 AND source_id IN (SELECT source_id FROM staging_record WHERE run_id = $1 ORDER BY source_id LIMIT 5)`, [plan.runId]);
    // a missing record would look gone: no candidate set, the run must read its source again
    await expect(h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 })).rejects.toMatchObject({
      type: 'StagingLostError',
      nonRetryable: true,
      message: expect.stringContaining('staging holds 25 of the 30 records'),
    });
    const candidates: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM removal_candidate WHERE run_id = $1`, [plan.runId]);
    expect(Number(candidates[0].n)).toBe(0);
    const notes: Array<{ notes: string[] }> = await h.ds.query(`SELECT notes FROM run WHERE id = $1`, [plan.runId]);
    expect(notes[0].notes.join('\n')).toContain('the read starts over');

    // the redo: extract starts the whole read over, and the run ends with nothing removed
    const redo = await h.activities.extract(plan.runId, kind);
    expect(redo.fetched).toBe(30);
    await h.activities.map(plan.runId, {});
    await h.activities.diff(plan.runId);
    await h.activities.load(plan.runId);
    expect(await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 })).toMatchObject({ next: 'none', state: 'applied', candidates: 0 });
    const finished = await h.activities.finishRun(plan.runId);
    // the records loaded before the loss keep their one outcome
    expect(finished.stats).toEqual({ fetched: 30, created: 0, updated: 0, unchanged: 30, removed: 0, failed: 0 });
  });

  it('what PostgreSQL crash recovery does to staging stops every later step, and finish never succeeds or moves the watermark', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}r`);
    const taskId = await identityTask(codes);
    const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`);
    await h.activities.extract(plan.runId, plan.resources[0].kind);
    await h.activities.map(plan.runId, {});
    await h.activities.diff(plan.runId);
    // load the first half, then empty the UNLOGGED tables as crash recovery does
    await h.ds.query(`UPDATE staging_record SET loaded = true WHERE run_id = $1 AND source_id IN (SELECT source_id FROM staging_record WHERE run_id = $1 ORDER BY source_id LIMIT 15)`, [plan.runId]);
    await h.ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [plan.runId]);
    await h.ds.query(`DELETE FROM staging_marker WHERE run_id = $1`, [plan.runId]);
    const lost = { type: 'StagingLostError', nonRetryable: true };
    await expect(h.activities.map(plan.runId, {})).rejects.toMatchObject(lost);
    await expect(h.activities.diff(plan.runId)).rejects.toMatchObject(lost);
    await expect(h.activities.load(plan.runId)).rejects.toMatchObject(lost);
    await expect(h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 })).rejects.toMatchObject(lost);
    await expect(h.activities.finishRun(plan.runId)).rejects.toMatchObject(lost);
    const rows: Array<{ status: string; watermark: Date | null }> = await h.ds.query(
      `SELECT r.status, t.watermark FROM run r JOIN import_task t ON t.id = r.task_id WHERE r.id = $1`,
      [plan.runId],
    );
    expect(rows[0]).toEqual({ status: 'running', watermark: null });

    // a load that stopped early (half the records never loaded) does not finish either
    await h.ds.query(`UPDATE run SET status = 'cancelled' WHERE id = $1`, [plan.runId]);
    const plan2 = await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`);
    await h.activities.extract(plan2.runId, plan2.resources[0].kind);
    await h.activities.map(plan2.runId, {});
    await h.activities.diff(plan2.runId);
    await expect(h.activities.finishRun(plan2.runId)).rejects.toMatchObject({ ...lost, message: expect.stringContaining('30 of the 30 staged records were never loaded') });
  });

  it('an owner that never completed a full read still counts as seeing what it sighted', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}o`);
    const a = await identityTask(codes);
    const b = await identityTask(codes);
    await fullRun(a);
    // task b sighted everything but its only run failed before finishing
    const planB = await h.activities.prepareRun({ taskId: b, trigger: 'manual' }, `import-task-${b}-broken`, 'tb');
    await h.activities.extract(planB.runId, 'identity');
    await h.activities.map(planB.runId, {});
    await h.activities.diff(planB.runId);
    await h.activities.load(planB.runId);
    await h.activities.recordFailure({ runId: planB.runId, taskId: b, workflowId: `import-task-${b}-broken` }, { type: 'Boom', message: 'later step failed' });

    await h.ds.query(`UPDATE import_task SET config = jsonb_set(config, '{filters,users}', to_jsonb('userName ne "' || $2 || '"')) WHERE id = $1`, [
      a,
      (h.server.admin.getUser(h.server.admin.listUserIds()[0]) as { userName: string }).userName,
    ]);
    const blocked = await fullRun(a);
    expect(blocked.removal).toMatchObject({ state: 'applied', total: 0 });

    // once b is deleted its sightings no longer protect anything
    await h.ds.query(`DELETE FROM import_task WHERE id = $1`, [b]);
    const run = await fullRun(a);
    expect(run.removal).toMatchObject({ state: 'applied', total: 1, removed: 1 });
  });

  it('above safety.maxRemovals nothing is marked until applyRemovals; retried steps keep and apply exactly the computed set', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}t`);
    const taskId = await identityTask(codes, { filters: { users: 'active eq true', groups: null }, safety: { maxRemovalPercent: 100, maxRemovals: 2 } });
    await fullRun(taskId);
    const leaving = h.server.admin.listUserIds().filter((id) => (h.server.admin.getUser(id) as { active: boolean }).active).slice(10, 13);
    for (const id of leaving) await h.server.admin.updateUser(id, { active: false });
    try {
      const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-thr`, 'thr');
      await h.activities.extract(plan.runId, 'identity');
      await h.activities.map(plan.runId, {});
      await h.activities.diff(plan.runId);
      await h.activities.load(plan.runId);
      const first = await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 });
      expect(first).toMatchObject({ state: 'awaitingApproval', next: 'awaitDecision', candidates: 3 });
      const stored: Array<{ removal: RunRemovalState }> = await h.ds.query(`SELECT removal FROM run WHERE id = $1`, [plan.runId]);
      expect(stored[0].removal).toMatchObject({ threshold: { maxRemovalPercent: 100, maxRemovals: 2, exceeded: true } });
      expect(stored[0].removal.reason).toMatch(/3 removals is more than safety.maxRemovals 2/);
      // a retried reconcile keeps the computed set instead of computing a new one
      expect(await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 })).toMatchObject({ state: 'awaitingApproval', candidates: 3 });
      const marked: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = $1 AND status = 'removed'`, [codes.account]);
      expect(Number(marked[0].n)).toBe(0);

      expect(await h.activities.applyRemovals(plan.runId, 'approved')).toMatchObject({ state: 'applied', removed: 3 });
      expect(await h.activities.applyRemovals(plan.runId, 'approved')).toMatchObject({ state: 'applied', removed: 3 });
      const removed: Array<{ unique_value: string }> = await h.ds.query(
        `SELECT unique_value FROM run_record WHERE run_id = $1 AND outcome = 'removed' ORDER BY 1`,
        [plan.runId],
      );
      expect(removed.map((r) => r.unique_value)).toEqual([...leaving].sort());
      await h.activities.finishRun(plan.runId);
      const left: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM removal_candidate WHERE run_id = $1`, [plan.runId]);
      expect(Number(left[0].n)).toBe(0);
    } finally {
      for (const id of leaving) await h.server.admin.updateUser(id, { active: true });
    }
  });
});

describe('failure records', () => {
  it('a retried recordFailure leaves exactly one failure datacard per failed run', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}f`);
    const taskId = await identityTask(codes);
    const workflowId = `import-task-${taskId}-fail`;
    const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, workflowId, 'f1');
    const error = { type: 'ScimAuthError', message: `the server rejected the credentials (password ${AUTH.password})` };
    const first = await h.activities.recordFailure({ runId: plan.runId, taskId, workflowId }, error);
    const second = await h.activities.recordFailure({ runId: plan.runId, taskId, workflowId }, error);
    expect(second).toEqual(first);
    const cards: Array<{ unique_value: string; attributes: { message: string } }> = await h.ds.query(
      `SELECT unique_value, attributes FROM datacard WHERE template_code = $1`,
      [codes.failure],
    );
    expect(cards).toHaveLength(1);
    expect(cards[0].unique_value).toBe(plan.runId);
    expect(cards[0].attributes.message).toMatch(new RegExp(`^ScimAuthError: the server rejected the credentials \\(password \\*\\*\\*\\) \\(run ${plan.runId}, `));
    const runs: Array<{ status: string; error: { type: string } }> = await h.ds.query(`SELECT status, error FROM run WHERE id = $1`, [plan.runId]);
    expect(runs[0]).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });
  });

  it('when the connector secret cannot be decrypted, the failure text is redacted closed: no secret-looking value survives', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}k`);
    const taskId = await identityTask(codes);
    const workflowId = `import-task-${taskId}-wrong-key`;
    const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, workflowId, 'k1');
    // a worker whose SECRET_KEY changed: it cannot read the stored password to look for it
    const wrongKey = createActivities({ dataSource: h.ds, secretBox: new SecretBox(randomBytes(32)), config: h.config });
    const basic = Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64');
    const message = `401 from https://${AUTH.username}:${AUTH.password}@scim.example.com/v2/Users: server said "Authorization: Basic ${basic}" password=${AUTH.password}`;
    await wrongKey.recordFailure({ runId: plan.runId, taskId, workflowId }, { type: 'ScimAuthError', message });
    const cards: Array<{ attributes: { message: string } }> = await h.ds.query(`SELECT attributes FROM datacard WHERE template_code = $1`, [codes.failure]);
    const runs: Array<{ error: { message: string } }> = await h.ds.query(`SELECT error FROM run WHERE id = $1`, [plan.runId]);
    for (const text of [cards[0].attributes.message, runs[0].error.message]) {
      expect(text).toContain('401 from https://');
      for (const secret of [AUTH.password, basic, AUTH.password.slice(3)]) expect(text).not.toContain(secret);
      expect(text).toContain('scim.example.com');
    }
  });

  it('a failure before the run row existed still gets one run row and one datacard', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}g`);
    const taskId = await identityTask(codes);
    const workflowId = `import-task-${taskId}-early`;
    const ref = { taskId, workflowId, temporalRunId: 'e1', trigger: 'manual' as const };
    const a = await h.activities.recordFailure(ref, { type: 'RunAlreadyInProgressError', message: 'busy' });
    const b = await h.activities.recordFailure(ref, { type: 'RunAlreadyInProgressError', message: 'busy' });
    expect(b.runId).toBe(a.runId);
    const cards: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = $1`, [codes.failure]);
    expect(Number(cards[0].n)).toBe(1);
  });
});

describe('a run resumed from history', () => {
  it('writes run-level state to the resuming row while staging stays with the run the activities carry', async () => {
    const codes = await seedTargetStore(h.ds, `${SUFFIX}r`);
    const taskId = await identityTask(codes);
    const workflowId = `import-task-${taskId}-resume`;
    const plan = await h.activities.prepareRun({ taskId, trigger: 'manual' }, workflowId, 'x1');
    await h.activities.extract(plan.runId, 'identity');
    await h.activities.map(plan.runId, {});
    await h.activities.diff(plan.runId);
    await h.activities.recordFailure({ runId: plan.runId, taskId, workflowId }, { type: 'SimulatedOutage', message: 'load failed' });

    // what POST /runs/:id/retry {resume} inserts before it resets the workflow
    const [resumed]: Array<{ id: string }> = await h.ds.query(
      `INSERT INTO run (task_id, workflow_id, mode, trigger, status, phase, retry_of, resume_root_id, stats, extract_reports, notes, config_snapshot)
       SELECT task_id, workflow_id || '#resume-test', mode, 'retry', 'running', 'resuming', id, id, stats, extract_reports, notes, config_snapshot
         FROM run WHERE id = $1 RETURNING id`,
      [plan.runId],
    );
    const load = await h.activities.load(plan.runId);
    expect(load.created).toBe(30);
    expect(load.stats.created).toBe(30);
    const reconcile = await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 });
    expect(reconcile).toMatchObject({ state: 'applied', next: 'none' });
    await h.activities.finishRun(plan.runId);

    const rows: Array<{ id: string; status: string; stats: { created: number; fetched: number }; removal: RunRemovalState | null; error: unknown }> = await h.ds.query(
      `SELECT id, status, stats, removal, error FROM run WHERE id = ANY($1)`,
      [[plan.runId, resumed.id]],
    );
    const old = rows.find((r) => r.id === plan.runId)!;
    const now = rows.find((r) => r.id === resumed.id)!;
    expect(old).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage' }, removal: null });
    expect(old.stats.created).toBe(0);
    expect(now).toMatchObject({ status: 'succeeded', error: null, stats: { created: 30, fetched: 30 }, removal: { state: 'applied' } });
    const records: Array<{ run_id: string; n: string }> = await h.ds.query(
      `SELECT run_id, count(*) AS n FROM run_record WHERE run_id = ANY($1) GROUP BY run_id`,
      [[plan.runId, resumed.id]],
    );
    expect(records).toEqual([{ run_id: resumed.id, n: '30' }]);
    // sightings and staging are keyed by the run the activities carry; staging is gone after success
    const sightings: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM datacard_sighting WHERE last_run_id = $1`, [plan.runId]);
    expect(Number(sightings[0].n)).toBe(30);
    const staged: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [plan.runId]);
    expect(Number(staged[0].n)).toBe(0);
    // a failure of the resumed run would be its own: its own row and its own failure datacard
    const failure = await h.activities.recordFailure({ runId: plan.runId, taskId, workflowId }, { type: 'Late', message: 'x' });
    expect(failure.runId).toBe(resumed.id);
  });
});
