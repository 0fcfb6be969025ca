/**
 * Killing the worker process in the middle of load: the run completes on a fresh worker and
 * the target equals an uninterrupted run's target, with no duplicates and nothing lost.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '@app/persistence';
import type { RunProgress } from '@app/temporal';
import { startScimDemoServer } from '../../apps/scim-demo/src';
import { useStack } from '../support/e2e-stack';
import { executeImportWorkflow, startImportWorkflow } from '../support/start-import';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore, targetView, type TargetCodes } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-crash-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

const stack = useStack({ taskQueue: TASK_QUEUE, bundleFile: true, scim: { auth: AUTH, seed: { users: 60, groups: 8, membersPerUser: 2 } } });
const { config, ds, client, scim: server } = stack;

/** Starts a worker process and resolves once it polls the task queue. */
function startWorker(loadBatchSize: number, pauseMs: number, opts: { taskQueue?: string; removalBatchSize?: number } = {}): Promise<ChildProcess> {
  const tuning = { loadBatchSize, loadBatchPauseMs: pauseMs, ...(opts.removalBatchSize ? { removalBatchSize: opts.removalBatchSize } : {}) };
  return stack.spawnWorker({ child: { taskQueue: opts.taskQueue ?? TASK_QUEUE, tuning } });
}

it('a worker killed during load loses nothing: the run completes like an uninterrupted one', async () => {
  const box = new SecretBox(config.secretKey);
  const crashed = await seedTargetStore(ds, `${SUFFIX}k`);
  const clean = await seedTargetStore(ds, `${SUFFIX}c`);
  const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH, pageSize: 20 });
  const crashTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(crashed) });
  const cleanTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(clean) });

  // small, slow batches so the kill lands between committed batches
  const first = await startWorker(4, 150);
  const workflowId = `import-task-${crashTask}-crash`;
  const handle = await startImportWorkflow(client, { input: { taskId: crashTask, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });

  let loadedAtKill = 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows: Array<{ phase: string; n: string }> = await ds.query(
      `SELECT r.phase, (SELECT count(*) FROM run_record rr WHERE rr.run_id = r.id) AS n FROM run r WHERE r.workflow_id = $1`,
      [workflowId],
    );
    if (rows[0]?.phase === 'load' && Number(rows[0].n) > 0) {
      first.kill('SIGKILL');
      loadedAtKill = Number(rows[0].n);
      break;
    }
    if (Date.now() > deadline) throw new Error('the run never reached load');
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(loadedAtKill).toBeGreaterThan(0);
  expect(loadedAtKill).toBeLessThan(68);

  await startWorker(50, 0);
  const result = await handle.result();
  const cleanId = `import-task-${cleanTask}-clean`;
  await executeImportWorkflow(client, { input: { taskId: cleanTask, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId: cleanId });

  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('succeeded');
  expect(run.stats).toEqual({ fetched: 68, created: 68, updated: 0, unchanged: 0, removed: 0, failed: 0 });
  expect(result.stats).toEqual(run.stats);
  const dupes: Array<{ n: string }> = await ds.query(
    `SELECT count(*) AS n FROM (SELECT kind, source_id FROM run_record WHERE run_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
    [run.id],
  );
  expect(Number(dupes[0].n)).toBe(0);
  const cards: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = ANY($1)`, [[crashed.account, crashed.entitlement]]);
  expect(Number(cards[0].n)).toBe(68);

  const a = await targetView(ds, crashed);
  const b = await targetView(ds, clean);
  expect(a).toEqual(b);
  expect(Object.keys(a.accounts)).toHaveLength(60);
  expect(Object.values(a.groups).reduce((n, g) => n + g.links.length, 0)).toBe(120);
}, 300_000);

/**
 * Twin tasks (own templates, own connectors) on a fresh demo server, both after one clean full
 * run: the crashed one and the clean one then see exactly the same source for their second run.
 */
async function twinsAfterFirstRun(tag: string, taskQueue: string, users = 60) {
  const source = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users, groups: 8, membersPerUser: 2 } });
  const box = new SecretBox(config.secretKey);
  const crashed = await seedTargetStore(ds, `${SUFFIX}${tag}k`);
  const clean = await seedTargetStore(ds, `${SUFFIX}${tag}c`);
  const crashTask = await insertTask(ds, { connectorId: await insertConnector(ds, box, { baseUrl: source.url, ...AUTH, pageSize: 10 }), config: identityAndAccessConfig(crashed) });
  const cleanTask = await insertTask(ds, { connectorId: await insertConnector(ds, box, { baseUrl: source.url, ...AUTH, pageSize: 10 }), config: identityAndAccessConfig(clean) });
  for (const taskId of [crashTask, cleanTask]) {
    const result = await executeImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue, workflowId: `import-task-${taskId}-first` });
    expect(result.stats).toMatchObject({ fetched: users + 8, created: users + 8, failed: 0 });
  }
  return { source, crashed, clean, crashTask, cleanTask };
}

/** Polls `check` until it returns true; throws with `what` after 60 s. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** What a run left behind: its row, outcome rows per outcome, duplicated outcomes, and its seen set. */
async function runFootprint(workflowId: string) {
  const run = await runOf(ds, workflowId);
  const outcomes: Array<{ outcome: string; n: string }> = await ds.query(`SELECT outcome, count(*) AS n FROM run_record WHERE run_id = $1 GROUP BY 1 ORDER BY 1`, [run.id]);
  const dupes: Array<{ n: string }> = await ds.query(
    `SELECT count(*) AS n FROM (SELECT kind, source_id, outcome FROM run_record WHERE run_id = $1 GROUP BY 1, 2, 3 HAVING count(*) > 1) d`,
    [run.id],
  );
  // the seen set: the unchanged ids the run's staging keeps after a complete full read
  const seen: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1 AND decision = 'unchanged'`, [run.id]);
  return {
    run,
    outcomes: Object.fromEntries(outcomes.map((o) => [o.outcome, Number(o.n)])),
    duplicates: Number(dupes[0].n),
    seen: Number(seen[0].n),
  };
}

/** The crashed run ends exactly as its clean twin: same counts, same outcomes, same seen set size, same target. */
/**
 * A fresh worker finishes the crashed run; the clean twin task then runs the same second run.
 * Both must leave the same footprint; returns the crashed run's stats (equal to what it returned).
 */
async function resumeAndCompare(
  handle: { result(): Promise<unknown> },
  workflowId: string,
  cleanTask: string,
  taskQueue: string,
  codes: { crashed: TargetCodes; clean: TargetCodes },
) {
  await startWorker(50, 0, { taskQueue });
  const result = (await handle.result()) as RunProgress;
  const cleanId = `import-task-${cleanTask}-second`;
  await executeImportWorkflow(client, { input: { taskId: cleanTask, trigger: 'manual' }, taskQueue, workflowId: cleanId });
  const stats = await expectTwins(workflowId, cleanId, codes);
  expect(result.stats).toEqual(stats);
  return stats;
}

async function expectTwins(crashId: string, cleanId: string, codes: { crashed: TargetCodes; clean: TargetCodes }) {
  const crashed = await runFootprint(crashId);
  const clean = await runFootprint(cleanId);
  expect(crashed.run.status).toBe('succeeded');
  expect(clean.run.status).toBe('succeeded');
  expect(crashed.run.stats).toEqual(clean.run.stats);
  expect(crashed.outcomes).toEqual(clean.outcomes);
  expect(crashed.duplicates).toBe(0);
  // only records that did something have an outcome; every unchanged one is in the seen set
  expect(crashed.outcomes.unchanged).toBeUndefined();
  expect(crashed.outcomes.created ?? 0).toBe(crashed.run.stats.created);
  expect(crashed.outcomes.updated ?? 0).toBe(crashed.run.stats.updated);
  expect(crashed.outcomes.removed ?? 0).toBe(crashed.run.stats.removed);
  expect(crashed.seen).toBe(crashed.run.stats.unchanged);
  expect(clean.seen).toBe(clean.run.stats.unchanged);
  expect(await targetView(ds, codes.crashed)).toEqual(await targetView(ds, codes.clean));
  const status = async (c: TargetCodes) =>
    ds.query<Array<{ status: string; n: number }>>(`SELECT status, count(*)::int AS n FROM datacard WHERE template_code = ANY($1) GROUP BY 1 ORDER BY 1`, [[c.account, c.entitlement]]);
  expect(await status(codes.crashed)).toEqual(await status(codes.clean));
  return crashed.run.stats;
}

it('a worker killed during the extract of a mostly unchanged second full run: it completes exactly like an uninterrupted twin', async () => {
  const taskQueue = `${TASK_QUEUE}-x`;
  const first = await startWorker(50, 0, { taskQueue });
  const { source, crashed, clean, crashTask, cleanTask } = await twinsAfterFirstRun('x', taskQueue);
  try {
    const ids = source.admin.listUserIds();
    for (const id of ids.slice(10, 13)) await source.admin.updateUser(id, { userName: `changed-${id}@example.com` });
    const deleted = ids.slice(40, 42);
    for (const id of deleted) await source.admin.deleteUser(id);
    // slow pages, so the kill lands between committed pages of the users' read
    source.setQuirks({ listLatencyMs: 250 });

    const workflowId = `import-task-${crashTask}-second`;
    const handle = await startImportWorkflow(client, { input: { taskId: crashTask, trigger: 'manual' }, taskQueue, workflowId });
    let atKill: { pages: number; done: boolean; unchanged: number } | undefined;
    await until('two committed pages of the users read', async () => {
      const rows: Array<{ pages: number; done: boolean; unchanged: string }> = await ds.query(
        `SELECT e.pages, e.done, (SELECT count(*) FROM staging_record s WHERE s.run_id = r.id AND s.decision = 'unchanged') AS unchanged
           FROM run r JOIN run_extract e ON e.run_id = r.id AND e.resource = 'identity' WHERE r.workflow_id = $1`,
        [workflowId],
      );
      if (!rows[0] || rows[0].pages < 2) return false;
      atKill = { pages: rows[0].pages, done: rows[0].done, unchanged: Number(rows[0].unchanged) };
      return true;
    });
    await killed(first);
    // killed inside the read, with pages already decided unchanged (ids only) and committed
    expect(atKill?.done).toBe(false);
    expect(atKill?.pages).toBeLessThan(6);
    expect(atKill?.unchanged).toBeGreaterThan(0);

    source.setQuirks({});
    const stats = await resumeAndCompare(handle, workflowId, cleanTask, taskQueue, { crashed, clean });
    expect(stats).toMatchObject({ fetched: 58 + 8, created: 0, removed: 2, failed: 0 });
    expect(stats.updated).toBeGreaterThanOrEqual(3);
    expect(stats.unchanged).toBe(stats.fetched - stats.updated);
    expect(stats.unchanged).toBeGreaterThan(50);
    const view = await targetView(ds, crashed);
    for (const id of deleted) expect(view.accounts[id]).toMatchObject({ accountStatus: 'Deleted' });
    for (const id of ids.slice(10, 13)) expect(view.accounts[id]).toMatchObject({ login: `changed-${id}@example.com` });
  } finally {
    await source.close();
  }
}, 300_000);

it('a worker killed while removals are applied (between committed batches): it completes exactly like an uninterrupted twin', async () => {
  const taskQueue = `${TASK_QUEUE}-r`;
  const first = await startWorker(50, 0, { taskQueue, removalBatchSize: 1 });
  const { source, crashed, clean, crashTask, cleanTask } = await twinsAfterFirstRun('r', taskQueue);
  const blocker = ds.createQueryRunner();
  try {
    const ids = source.admin.listUserIds();
    for (const id of ids.slice(20, 22)) await source.admin.updateUser(id, { userName: `changed-${id}@example.com` });
    const deleted = ids.slice(30, 35);
    for (const id of deleted) await source.admin.deleteUser(id);
    // removals go one datacard per transaction in id order: hold the third, so two commit and the third waits
    const victims: Array<{ id: string }> = await ds.query(`SELECT id FROM datacard WHERE template_code = $1 AND unique_value = ANY($2) ORDER BY id`, [crashed.account, deleted]);
    expect(victims).toHaveLength(5);
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM datacard WHERE id = $1 FOR NO KEY UPDATE`, [victims[2].id]);

    const workflowId = `import-task-${crashTask}-second`;
    const handle = await startImportWorkflow(client, { input: { taskId: crashTask, trigger: 'manual' }, taskQueue, workflowId });
    await until('two committed removal batches', async () => {
      const rows: Array<{ n: string }> = await ds.query(
        `SELECT count(*) AS n FROM run_record rr JOIN run r ON r.id = rr.run_id WHERE r.workflow_id = $1 AND rr.outcome = 'removed'`,
        [workflowId],
      );
      return Number(rows[0].n) >= 2;
    });
    await killed(first);
    await blocker.rollbackTransaction();
    const marked: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM datacard WHERE id = ANY($1) AND status = 'removed'`, [victims.map((v) => v.id)]);
    expect(Number(marked[0].n)).toBe(2);

    const stats = await resumeAndCompare(handle, workflowId, cleanTask, taskQueue, { crashed, clean });
    expect(stats).toMatchObject({ fetched: 55 + 8, created: 0, removed: 5, failed: 0 });
    const run = await runOf(ds, workflowId);
    const removal: Array<{ removal: { state: string; removed: number; total: number } }> = await ds.query(`SELECT removal FROM run WHERE id = $1`, [run.id]);
    expect(removal[0].removal).toMatchObject({ state: 'applied', total: 5, removed: 5 });
    const view = await targetView(ds, crashed);
    for (const id of deleted) expect(view.accounts[id]).toMatchObject({ accountStatus: 'Deleted' });
  } finally {
    if (blocker.isTransactionActive) await blocker.rollbackTransaction();
    await blocker.release();
    await source.close();
  }
}, 300_000);

it('a worker killed during the load of a second full run that changed a few records: it completes exactly like an uninterrupted twin', async () => {
  const taskQueue = `${TASK_QUEUE}-l`;
  const first = await startWorker(50, 0, { taskQueue });
  const { source, crashed, clean, crashTask, cleanTask } = await twinsAfterFirstRun('l', taskQueue);
  try {
    const ids = source.admin.listUserIds();
    const changed = ids.slice(5, 15);
    for (const id of changed) await source.admin.updateUser(id, { userName: `changed-${id}@example.com` });
    for (const id of ids.slice(50, 52)) await source.admin.deleteUser(id);
    // the second run loads in small, slow batches: only the changed records are written
    await killed(first);
    const slow = await startWorker(2, 200, { taskQueue });

    const workflowId = `import-task-${crashTask}-second`;
    const handle = await startImportWorkflow(client, { input: { taskId: crashTask, trigger: 'manual' }, taskQueue, workflowId });
    let atKill = 0;
    await until('a committed load batch of the second run', async () => {
      const rows: Array<{ phase: string; n: string }> = await ds.query(
        `SELECT r.phase, (SELECT count(*) FROM run_record rr WHERE rr.run_id = r.id AND rr.outcome = 'updated') AS n FROM run r WHERE r.workflow_id = $1`,
        [workflowId],
      );
      atKill = Number(rows[0]?.n ?? 0);
      return rows[0]?.phase === 'load' && atKill >= 2;
    });
    await killed(slow);
    expect(atKill).toBeLessThan(10);

    const stats = await resumeAndCompare(handle, workflowId, cleanTask, taskQueue, { crashed, clean });
    expect(stats).toMatchObject({ fetched: 58 + 8, created: 0, removed: 2, failed: 0 });
    expect(stats.updated).toBeGreaterThanOrEqual(10);
    expect(stats.unchanged).toBe(stats.fetched - stats.updated);
    const view = await targetView(ds, crashed);
    for (const id of changed) expect(view.accounts[id]).toMatchObject({ login: `changed-${id}@example.com` });
  } finally {
    await source.close();
  }
}, 300_000);
