/**
 * A load records each committed batch as one row (the key range it wrote), not a flag per staged
 * row. A load that failed with batches committed on both sides of one that did not (two batches
 * are written at once) leaves a gap between recorded ranges: the retried load writes exactly the
 * gap and goes on after the recorded ranges, so nothing is written twice and nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import { createActivities, type ImportActivities } from '@app/import';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore } from './support/import-fixtures';
import { useActivityHarness } from './support/activity-harness';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const USERS = 40;

const h = useActivityHarness(AUTH, USERS);
let small: ImportActivities;

beforeAll(() => {
  // batches of 4 records, two at a time
  small = createActivities({ dataSource: h.ds, secretBox: h.box, config: h.config, tuning: { loadBatchSize: 4, loadBatchPauseMs: 0, loadConcurrency: 2 } });
});

it('a load retried after a failed batch between committed ones writes each record once and finishes', async () => {
  const codes = await seedTargetStore(h.ds, `${SUFFIX}g`);
  const connectorId = await insertConnector(h.ds, h.box, { baseUrl: h.server.url, ...AUTH, pageSize: 10 });
  const taskId = await insertTask(h.ds, { connectorId, mappingsType: 'identityOnly', config: identityAndAccessConfig(codes, { access: null }) });
  const plan = await small.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-1`, `lb-${SUFFIX}`);
  await small.extract(plan.runId, 'identity');
  await small.map(plan.runId, {});
  await small.diff(plan.runId);

  // the record in the middle of the third batch cannot be written: that batch rolls back, while
  // the fourth (in flight beside it) commits
  const ids: Array<{ unique_value: string }> = await h.ds.query(
    `SELECT unique_value FROM staging_record WHERE run_id = $1 AND resource = 'identity' ORDER BY source_id`,
    [plan.runId],
  );
  const poisoned = ids[9].unique_value;
  const fn = `reject_${SUFFIX}`;
  await h.ds.query(
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN IF NEW.unique_value = '${poisoned}' THEN RAISE EXCEPTION 'simulated failure of one batch'; END IF; RETURN NEW; END $$`,
  );
  await h.ds.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON datacard FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
  try {
    await expect(small.load(plan.runId)).rejects.toThrow();
  } finally {
    await h.ds.query(`DROP TRIGGER ${fn} ON datacard`);
    await h.ds.query(`DROP FUNCTION ${fn}()`);
  }
  const recorded: Array<{ after_source_id: string; last_source_id: string; loaded_rows: number }> = await h.ds.query(
    `SELECT after_source_id, last_source_id, loaded_rows FROM staging_load_batch WHERE run_id = $1 ORDER BY last_source_id`,
    [plan.runId],
  );
  const loadedBefore = recorded.reduce((n, b) => n + b.loaded_rows, 0);
  expect(loadedBefore).toBeLessThan(USERS);
  // a committed batch after the one that failed: the retry has a gap to fill before it
  expect(recorded.some((b, i) => i > 0 && b.after_source_id !== recorded[i - 1].last_source_id)).toBe(true);

  await small.load(plan.runId);
  const count = async (sql: string, params: unknown[]) => Number((await h.ds.query<Array<{ n: string }>>(sql, params))[0].n);
  expect(await count(`SELECT count(*) AS n FROM datacard WHERE template_code = $1`, [codes.account])).toBe(USERS);
  expect(await count(`SELECT count(*) AS n FROM datacard_sighting WHERE task_id = $1 AND last_run_id = $2 AND hash IS NOT NULL`, [taskId, plan.runId])).toBe(USERS);
  expect(await count(`SELECT COALESCE(sum(loaded_rows), 0) AS n FROM staging_load_batch WHERE run_id = $1`, [plan.runId])).toBe(USERS);
  // one outcome per record: no batch was written twice
  expect(await count(`SELECT count(*) AS n FROM run_record WHERE run_id = $1 AND outcome = 'created'`, [plan.runId])).toBe(USERS);
  expect(await count(`SELECT count(DISTINCT source_id) AS n FROM run_record WHERE run_id = $1 AND outcome = 'created'`, [plan.runId])).toBe(USERS);

  const reconcile = await small.reconcileRemovals(plan.runId, { decisionTimeoutMs: 60_000 });
  if (reconcile.next === 'apply') await small.applyRemovals(plan.runId, 'withinThreshold');
  const finished = await small.finishRun(plan.runId);
  expect(finished.stats).toEqual({ fetched: USERS, created: USERS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
});
