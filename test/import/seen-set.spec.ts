/**
 * The multi-owner removal rule with seen sets: a record a task's complete full read found
 * unchanged writes nothing (its sighting is not refreshed), and the task's seen set is what tells
 * another owner that the task still sees it. Activities called directly in workflow order (as
 * removal-and-failure-rules.spec.ts does) against real PostgreSQL and a demo SCIM server; the
 * records disappear from one task's source only through that task's user filter.
 */
import { randomBytes } from 'node:crypto';
import type { RunRemovalState } from '@app/temporal';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore, type TargetCodes } from './support/import-fixtures';
import { extractMapDiff, useActivityHarness } from './support/activity-harness';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const USERS = 30;

const h = useActivityHarness(AUTH, USERS);
let sequence = 0;

type Stats = { fetched: number; created: number; updated: number; unchanged: number; removed: number; failed: number };

/** Starts a run and reads, maps, diffs and loads it (a dry run records its outcomes instead of loading). */
async function readAndLoad(taskId: string, dryRun = false): Promise<string> {
  const plan = await h.activities.prepareRun({ taskId, trigger: 'manual', dryRun }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`);
  await extractMapDiff(h.activities, plan);
  if (dryRun) await h.activities.recordDryRun(plan.runId);
  else await h.activities.load(plan.runId);
  return plan.runId;
}

/** One full run in workflow order; removals are applied when within the threshold. */
async function fullRun(taskId: string, dryRun = false) {
  const runId = await readAndLoad(taskId, dryRun);
  const reconcile = await h.activities.reconcileRemovals(runId, { decisionTimeoutMs: 60_000 });
  if (reconcile.next === 'apply') await h.activities.applyRemovals(runId, 'withinThreshold');
  await h.activities.finishRun(runId);
  return runRow(runId);
}

async function runRow(runId: string) {
  const rows: Array<{ status: string; removal: RunRemovalState; stats: Stats; seen_set_at: Date | null; started_at: Date; notes: string[] }> = await h.ds.query(
    `SELECT status, removal, stats, seen_set_at, started_at, notes FROM run WHERE id = $1`,
    [runId],
  );
  return { runId, ...rows[0] };
}

async function identityTask(codes: TargetCodes): Promise<string> {
  const connectorId = await insertConnector(h.ds, h.box, { baseUrl: h.server.url, ...AUTH, pageSize: 10 });
  return insertTask(h.ds, { connectorId, mappingsType: 'identityOnly', config: identityAndAccessConfig(codes, { access: null }) });
}

/** The task's source no longer lists these users (null: it lists everything again). */
async function hideFrom(taskId: string, userIds: string[] | null): Promise<void> {
  const filter = userIds && userIds.length > 0
    ? userIds.map((id) => `userName ne "${(h.server.admin.getUser(id) as { userName: string }).userName}"`).join(' and ')
    : null;
  await h.ds.query(`UPDATE import_task SET config = jsonb_set(config, '{filters,users}', COALESCE(to_jsonb($2::text), 'null'::jsonb)) WHERE id = $1`, [taskId, filter]);
}

async function seenSet(runId: string): Promise<string[]> {
  // a complete full read keeps its unchanged ids in staging as the task's seen set
  const rows: Array<{ source_id: string }> = await h.ds.query(
    `SELECT source_id FROM staging_record WHERE run_id = $1 AND resource = 'identity' AND decision = 'unchanged' ORDER BY 1`,
    [runId],
  );
  return rows.map((r) => r.source_id);
}

/** unique value (= SCIM id) → status and removal attribute of every account card. */
async function accounts(codes: TargetCodes): Promise<Record<string, string>> {
  const rows: Array<{ unique_value: string; status: string; account_status: string | null }> = await h.ds.query(
    `SELECT unique_value, status, attributes->>'accountStatus' AS account_status FROM datacard WHERE template_code = $1`,
    [codes.account],
  );
  return Object.fromEntries(rows.map((r) => [r.unique_value, `${r.status}${r.account_status ? `/${r.account_status}` : ''}`]));
}

/** Every user active, except those given (removed and marked Deleted). */
function expectedAccounts(removed: string[]): Record<string, string> {
  return Object.fromEntries(h.server.admin.listUserIds().map((id) => [id, removed.includes(id) ? 'removed/Deleted' : 'active']));
}

/** Two tasks that own every user: A first (creates), then B (pushes them again under its own sightings). */
async function twoOwners(tag: string) {
  const codes = await seedTargetStore(h.ds, `${SUFFIX}${tag}`);
  const a = await identityTask(codes);
  const b = await identityTask(codes);
  expect((await fullRun(a)).stats).toMatchObject({ fetched: USERS, created: USERS, removed: 0 });
  expect((await fullRun(b)).stats).toMatchObject({ fetched: USERS, created: 0, updated: USERS, unchanged: 0 });
  return { codes, a, b };
}

describe('seen sets and the multi-owner removal rule', () => {
  it('what a task re-read unchanged (sightings not refreshed) is still seen by it: another owner removes none of it, not even after a dry run; once gone everywhere it is removed', async () => {
    const { codes, a, b } = await twoOwners('s');
    const users = [...h.server.admin.listUserIds()].sort();

    // B's second full read finds everything unchanged: nothing is pushed, its seen set holds every record
    const unchangedRun = await fullRun(b);
    expect(unchangedRun).toMatchObject({ status: 'succeeded', stats: { fetched: USERS, created: 0, updated: 0, unchanged: USERS, removed: 0 } });
    expect(unchangedRun.seen_set_at).not.toBeNull();
    expect(await seenSet(unchangedRun.runId)).toEqual(users);
    const refreshed: Array<{ n: string }> = await h.ds.query(
      `SELECT count(*) AS n FROM datacard_sighting WHERE task_id = $1 AND (last_run_id = $2 OR last_seen_at >= $3)`,
      [b, unchangedRun.runId, unchangedRun.started_at],
    );
    expect(Number(refreshed[0].n)).toBe(0);
    const outcomes: Array<{ n: string }> = await h.ds.query(`SELECT count(*) AS n FROM run_record WHERE run_id = $1`, [unchangedRun.runId]);
    expect(Number(outcomes[0].n)).toBe(0);

    // a dry run of B afterwards is no complete full read of B: it keeps no seen set and does not hide B's
    const dry = await fullRun(b, true);
    expect(dry).toMatchObject({ status: 'succeeded', stats: { unchanged: USERS, created: 0, updated: 0 }, seen_set_at: null, removal: { state: 'dryRun', total: 0 } });
    expect(await seenSet(dry.runId)).toEqual([]);
    expect(await seenSet(unchangedRun.runId)).toEqual(users);

    // the records leave A's source only: B still sees them through its seen set, nothing is removed
    const leaving = users.slice(3, 5);
    await hideFrom(a, leaving);
    const aRun = await fullRun(a);
    expect(aRun).toMatchObject({ status: 'succeeded', stats: { fetched: USERS - 2, removed: 0 }, removal: { state: 'applied', total: 0 } });
    expect(await accounts(codes)).toEqual(expectedAccounts([]));
    // A's own seen set: the records it read unchanged, without the two it no longer lists
    expect(await seenSet(aRun.runId)).toEqual(users.filter((id) => !leaving.includes(id)));

    // and then from B's source too: B owns them as well, and A's latest complete full read did not see them
    await hideFrom(b, leaving);
    const bRun = await fullRun(b);
    expect(bRun).toMatchObject({ status: 'succeeded', stats: { fetched: USERS - 2, unchanged: USERS - 2, removed: 2 }, removal: { state: 'applied', total: 2, removed: 2 } });
    const removed: Array<{ unique_value: string }> = await h.ds.query(`SELECT unique_value FROM run_record WHERE run_id = $1 AND outcome = 'removed' ORDER BY 1`, [bRun.runId]);
    expect(removed.map((r) => r.unique_value)).toEqual(leaving);
    expect(await accounts(codes)).toEqual(expectedAccounts(leaving));
    // B's new seen set replaced the one of its previous complete full read
    expect(await seenSet(unchangedRun.runId)).toEqual([]);
    expect(await seenSet(bRun.runId)).toEqual(users.filter((id) => !leaving.includes(id)));
    const setsOfB: Array<{ id: string }> = await h.ds.query(`SELECT id FROM run WHERE task_id = $1 AND seen_set_at IS NOT NULL`, [b]);
    expect(setsOfB.map((r) => r.id)).toEqual([bRun.runId]);
  });

  it("a record the other owner's latest complete full read did not see (not in its seen set, older sighting) is removable", async () => {
    const { codes, a, b } = await twoOwners('n');
    const users = [...h.server.admin.listUserIds()].sort();
    expect((await fullRun(b)).stats).toMatchObject({ unchanged: USERS });
    const victim = users[7];

    // B's next full read no longer lists the victim: A still sees it (its read pushed it), B removes nothing
    await hideFrom(b, [victim]);
    const bRun = await fullRun(b);
    expect(bRun).toMatchObject({ status: 'succeeded', stats: { fetched: USERS - 1, unchanged: USERS - 1, removed: 0 }, removal: { state: 'applied', total: 0 } });
    expect(await seenSet(bRun.runId)).not.toContain(victim);

    // now A loses it too: B's sighting predates B's latest complete full read, which did not see it
    await hideFrom(a, [victim]);
    const aRun = await fullRun(a);
    expect(aRun).toMatchObject({ status: 'succeeded', stats: { removed: 1 }, removal: { state: 'applied', total: 1, removed: 1 } });
    expect(await accounts(codes)).toEqual(expectedAccounts([victim]));
  });

  it('a candidate the other owner reads again unchanged (seen set written after the set was computed) is left alone by applyRemovals', async () => {
    const { codes, a, b } = await twoOwners('r');
    const victim = [...h.server.admin.listUserIds()].sort()[11];
    await hideFrom(b, [victim]);
    expect((await fullRun(b)).removal).toMatchObject({ state: 'applied', total: 0 });

    // A computes the victim as a candidate: B's latest complete full read did not see it
    await hideFrom(a, [victim]);
    const runId = await readAndLoad(a);
    expect(await h.activities.reconcileRemovals(runId, { decisionTimeoutMs: 60_000 })).toMatchObject({ next: 'apply', candidates: 1 });

    // before A applies, B lists it again and finds it unchanged: no sighting refresh, only its seen set says so
    await hideFrom(b, null);
    const bRun = await fullRun(b);
    expect(bRun.stats).toMatchObject({ fetched: USERS, unchanged: USERS, updated: 0 });
    expect(await seenSet(bRun.runId)).toContain(victim);

    expect(await h.activities.applyRemovals(runId, 'withinThreshold')).toMatchObject({ state: 'applied', removed: 0 });
    await h.activities.finishRun(runId);
    const aRun = await runRow(runId);
    expect(aRun).toMatchObject({ status: 'succeeded', stats: { removed: 0 }, removal: { state: 'applied', removed: 0, seenSinceComputed: 1 } });
    expect(aRun.notes.join('\n')).toContain('1 removal candidates were seen by another task after the set was computed');
    expect(await accounts(codes)).toEqual(expectedAccounts([]));
  });

  it('a run resumed from history keeps its seen set under the run its activities carry, and it protects like any other', async () => {
    const { codes, a, b } = await twoOwners('h');
    const users = [...h.server.admin.listUserIds()].sort();

    // B's second full read fails after diff, and is resumed (what POST /runs/:id/retry {resume} inserts)
    const workflowId = `import-task-${b}-resumed`;
    const plan = await h.activities.prepareRun({ taskId: b, trigger: 'manual' }, workflowId, 'h1');
    await h.activities.extract(plan.runId, 'identity');
    await h.activities.map(plan.runId, {});
    await h.activities.diff(plan.runId);
    await h.activities.recordFailure({ runId: plan.runId, taskId: b, workflowId }, { type: 'SimulatedOutage', message: 'load failed' });
    const [resumed]: Array<{ id: string }> = await h.ds.query(
      `INSERT INTO run (task_id, workflow_id, mode, trigger, status, phase, retry_of, resume_root_id, stats, extract_reports, notes, config_snapshot)
       SELECT task_id, workflow_id || '#resume', mode, 'retry', 'running', 'resuming', id, id, stats, extract_reports, notes, config_snapshot
         FROM run WHERE id = $1 RETURNING id`,
      [plan.runId],
    );
    await h.activities.load(plan.runId);
    expect(await h.activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 })).toMatchObject({ state: 'applied', next: 'none' });
    await h.activities.finishRun(plan.runId);
    expect(await runRow(resumed.id)).toMatchObject({ status: 'succeeded', stats: { unchanged: USERS, updated: 0 }, seen_set_at: expect.any(Date) });
    expect(await seenSet(plan.runId)).toEqual(users);

    // A loses two records: B's resumed read still sees them, nothing is removed
    await hideFrom(a, users.slice(0, 2));
    expect(await fullRun(a)).toMatchObject({ status: 'succeeded', stats: { removed: 0 }, removal: { state: 'applied', total: 0 } });
    expect(await accounts(codes)).toEqual(expectedAccounts([]));
  });
});
