/**
 * Plans that do not depend on luck (libs/import/src/staging-plans.ts). Staging is one table for
 * every run, so its statistics describe earlier runs: a new run's id is estimated at one row, and
 * the planner's cheapest-looking plan then reads the run's whole staging once per staged row (a
 * 20k first import spent minutes in one diff statement). Each spec works in a database of its own,
 * created fresh, whose staging statistics were taken before the run under test staged anything.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource, runMigrations, SecretBox } from '@app/persistence';
import { createActivities, type ImportActivities } from '@app/import';
import { Db } from '@app/persistence';
import { DUPLICATE_CHECK, PAGE_DECISION, decisionUpdate } from '../../libs/persistence/src/staging/decision-sql';
import { INSERT_CANDIDATES } from '../../libs/persistence/src/removals/removal-candidate-repository';
import { DROP_REPEATED_OUTCOMES, UNCHANGED_AFTER_REDO } from '../../libs/persistence/src/runs/run-repository';
import { pagePlanSettings, refreshStagingStatistics, withoutNestedLoops } from '../../libs/persistence/src/staging/staging-plans';
import { currentActivity } from '../../libs/import/src/infrastructure/activity-context';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore, type TargetCodes } from './support/import-fixtures';
import { planProblems, type PlanNode } from './support/plan-check';
import { openRunStaging } from '../../libs/persistence/src/staging/staging-partition';

const SUFFIX = randomBytes(4).toString('hex');
const USERS = 20_000;
const GROUPS = 2_000;
/** 3 memberships per user: ~30 members per group */
const MEMBERS_PER_USER = 3;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

let admin: Client;
let freshUrl: string;
let ds: DataSource;
let db: Db;
let codes: TargetCodes;

beforeAll(async () => {
  const base = new URL(loadConfig().databaseUrl);
  const database = `staging_plans_${SUFFIX}`;
  admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  base.pathname = `/${database}`;
  freshUrl = base.toString();
  await runMigrations(freshUrl);
  ds = createDataSource(freshUrl, { poolSize: 4 });
  await ds.initialize();
  db = Db.fromDataSource(ds);
  codes = await seedTargetStore(ds, SUFFIX);
});

afterAll(async () => {
  await ds?.destroy();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS staging_plans_${SUFFIX} WITH (FORCE)`);
    await admin.end();
  }
});

/**
 * What an earlier task's finished full run leaves: its seen set in staging, its datacards and
 * sightings; then statistics are taken, as autovacuum would take them, before the run under test.
 */
async function earlierRunAnalysed(n: number): Promise<void> {
  const run = randomUUID();
  const task = randomUUID();
  await openRunStaging(db, run);
  await ds.query(
    `INSERT INTO staging_record (run_id, resource, source_id, raw, unique_value, hash, decision, loaded)
     SELECT $1, 'identity', 'earlier-' || g, '{}', 'earlier-' || g, md5(g::text), 'unchanged', true FROM generate_series(1, $2) g`,
    [run, n],
  );
  await ds.query(
    `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
     SELECT $1, $1, $2::text || '-' || g, '{}', $2::uuid, 'active' FROM generate_series(1, $3) g`,
    [codes.account, task, n],
  );
  await ds.query(
    `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id)
     SELECT id, $2, $3, now(), 'identity', unique_value FROM datacard WHERE template_code = $1 AND task_id = $2`,
    [codes.account, task, run],
  );
  await ds.query('ANALYZE');
}

/** The plan of a statement; `guarded`: with the guards its step applies (fresh statistics, and no nested loops where the step turns them off). */
async function explain(s: HotStatement, guarded: boolean, staged: number): Promise<PlanNode> {
  const { sql, params } = s;
  if (guarded) await refreshStagingStatistics(db, currentActivity(), staged);
  return db.transaction(async (tx) => {
    if (guarded && s.withoutNestedLoops) await withoutNestedLoops(tx);
    const { rows } = await tx.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    return rows[0]['QUERY PLAN'][0].Plan;
  });
}

interface HotStatement {
  name: string;
  sql: string;
  params: unknown[];
  /** whether its step runs it with nested loops off */
  withoutNestedLoops: boolean;
}

/** The hot statements over a run's staging, with the parameters their steps give them. */
function hotStatements(run: { runId: string; rowId: string; taskId: string }): HotStatement[] {
  const decision = [run.runId, ['identity', 'access'], [codes.account, codes.entitlement], new Date(), run.taskId, [false, false]];
  return [
    { name: 'diff: duplicate check', sql: DUPLICATE_CHECK, params: [run.runId, run.rowId], withoutNestedLoops: true },
    { name: 'diff: decision of undecided records', sql: decisionUpdate(false), params: decision, withoutNestedLoops: true },
    { name: 'diff: decision again after a cache clear', sql: decisionUpdate(true), params: decision, withoutNestedLoops: true },
    { name: 'reconcile: removal candidates (accounts)', sql: INSERT_CANDIDATES, params: [run.runId, 'identity', run.taskId, codes.account], withoutNestedLoops: true },
    { name: 'reconcile: removal candidates (groups)', sql: INSERT_CANDIDATES, params: [run.runId, 'access', run.taskId, codes.entitlement], withoutNestedLoops: true },
    // after a staging redo
    { name: 'load: repeated outcomes dropped', sql: DROP_REPEATED_OUTCOMES, params: [run.rowId], withoutNestedLoops: true },
    { name: 'counts: unchanged records', sql: UNCHANGED_AFTER_REDO, params: [run.runId, run.rowId], withoutNestedLoops: false },
  ];
}

async function problemsOf(run: { runId: string; rowId: string; taskId: string }, guarded: boolean, staged: number): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const s of hotStatements(run)) out[s.name] = planProblems(await explain(s, guarded, staged));
  return out;
}

it('on a freshly filled staging, the hot statements repeat no work over staging or the target per row', async () => {
  await earlierRunAnalysed(22_000);
  // the run under test stages 22,000 records after the statistics were taken
  const run = { runId: randomUUID(), rowId: randomUUID(), taskId: randomUUID() };
  await openRunStaging(db, run.runId);
  await ds.query(
    `INSERT INTO staging_record (run_id, resource, source_id, raw, unique_value, hash, decision, loaded)
     SELECT $1, CASE WHEN g % 11 = 0 THEN 'access' ELSE 'identity' END, 'src-' || g, '{}', 'u-' || g, md5(g::text),
            CASE WHEN g % 7 = 0 THEN 'mapped' ELSE 'create' END, false FROM generate_series(1, 22000) g`,
    [run.runId],
  );

  // without the guards the planner believes the run staged one row: this is the plan that took minutes
  const unguarded = await problemsOf(run, false, 22_000);
  expect(Object.values(unguarded).flat().length).toBeGreaterThan(0);
  expect(unguarded['diff: decision of undecided records'].join('\n')).toMatch(/Nested Loop over the staged rows/);

  expect(await problemsOf(run, true, 22_000)).toEqual(Object.fromEntries(hotStatements(run).map((s) => [s.name, []])));
});

it("extract's page decision looks each record up by its full keys even on statistics from when the template was small", async () => {
  // a new task's first pages: statistics are taken while its template holds 200 cards...
  const task = randomUUID();
  const run = randomUUID();
  const fill = async (from: number, to: number) => {
    await ds.query(
      `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
       SELECT $1, $1, 'stale-' || g, '{}', $2::uuid, 'active' FROM generate_series($3::int, $4::int) g`,
      [codes.entitlement, task, from, to],
    );
    await ds.query(
      `INSERT INTO datacard_sighting (datacard_id, task_id, last_run_id, last_seen_at, kind, source_id, hash, pushed_at)
       SELECT id, $2, $3, now(), 'access', unique_value, md5(unique_value), now() FROM datacard WHERE template_code = $1 AND task_id = $2 AND unique_value >= 'stale-' ON CONFLICT DO NOTHING`,
      [codes.entitlement, task, run],
    );
  };
  await fill(1, 200);
  await ds.query('ANALYZE datacard, datacard_sighting');
  // ...and it holds 20,000 by the time a later page is decided (autovacuum has not come by)
  await fill(201, 20_000);
  try {
    const page = Array.from({ length: 200 }, (_, k) => 5_000 + k * 50);
    const params = [page.map((_, k) => k), page.map((g) => `src-${g}`), page.map((g) => `stale-${g}`), page.map((g) => `h-${g}`), codes.entitlement, new Date(0), false, task, 'access'];
    const planWith = (settings: (tx: Parameters<typeof pagePlanSettings>[0]) => Promise<void>) =>
      db.transaction(async (tx) => {
        await settings(tx);
        // the plan may not depend on luck: every target table is probed per record by its full key
        // (a bench run's plan materialised the template's 20k cards and compared each record with all)
        const { rows } = await tx.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${PAGE_DECISION}`, params);
        return rows[0]['QUERY PLAN'][0].Plan;
      });
    const plan = await planWith(pagePlanSettings);
    expect(planProblems(plan)).toEqual([]);
    const text = JSON.stringify(plan);
    for (const index of ['datacard_template_unique', 'datacard_sighting_pkey']) expect(text).toContain(`"Index Name":"${index}"`);
    expect(text).toMatch(/unique_value = u\.unique_value/);
    expect(text).not.toContain('Materialize');
  } finally {
    await ds.query(`DELETE FROM datacard_sighting WHERE task_id = $1`, [task]);
    await ds.query(`DELETE FROM datacard WHERE task_id = $1`, [task]);
  }
});

describe('a 20,000-user / 2,000-group first import on a fresh database', () => {
  let server: ScimDemoServer;
  let activities: ImportActivities;

  beforeAll(async () => {
    const config = { ...loadConfig(), databaseUrl: freshUrl };
    server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: USERS, groups: GROUPS, membersPerUser: MEMBERS_PER_USER } });
    activities = createActivities({ dataSource: ds, secretBox: new SecretBox(config.secretKey), config });
  });
  afterAll(() => server?.close());

  it('finishes its diff on plans checked against the staged data, and imports every record and membership', async () => {
    await earlierRunAnalysed(5_000);
    const connectorId = await insertConnector(ds, new SecretBox(loadConfig().secretKey), { baseUrl: server.url, ...AUTH, pageSize: 500 });
    const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
    const plan = await activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-plans`, 'plans-1');
    for (const r of plan.resources) await activities.extract(plan.runId, r.kind);
    for (let cursor = {}; ; ) {
      const m = await activities.map(plan.runId, cursor);
      if (m.done) break;
      cursor = { afterKey: m.afterKey };
    }
    const rowId = (await db.query<{ id: string }>(`SELECT id FROM run WHERE workflow_id = $1`, [`import-task-${taskId}-plans`])).rows[0].id;
    const run = { runId: plan.runId, rowId, taskId };
    const staged = USERS + GROUPS;
    const clean = Object.fromEntries(hotStatements(run).map((s) => [s.name, []]));
    expect(await problemsOf(run, true, staged)).toEqual(clean);

    const decided = await activities.diff(plan.runId);
    expect(decided).toMatchObject({ create: staged, update: 0, unchanged: 0, failed: 0 });
    await activities.load(plan.runId);
    // removal reconciliation sets the sightings the load just wrote against the run's staging
    expect(await problemsOf(run, true, staged)).toEqual(clean);
    const removals = await activities.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 });
    expect(removals.candidates).toBe(0);
    const finished = await activities.finishRun(plan.runId);
    expect(finished.stats).toEqual({ fetched: staged, created: staged, updated: 0, unchanged: 0, removed: 0, failed: 0 });
    const links = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id WHERE d.template_code = $1`,
      [codes.entitlement],
    );
    expect(links.rows[0].n).toBe(USERS * MEMBERS_PER_USER);
  });
});
