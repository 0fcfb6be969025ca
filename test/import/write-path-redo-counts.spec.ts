/**
 * Counts of the write path when a step runs again: a run that reads its source again after its
 * staging was lost, and a finishRun attempt repeated after the first one had done its work (an
 * activity whose completion never reached Temporal). Activities called directly in workflow order
 * (as removal-and-failure-rules.spec.ts does) against real PostgreSQL and a demo SCIM server.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities, type ImportActivities } from '@app/import';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const USERS = 30;

let config: AppConfig;
let ds: DataSource;
let box: SecretBox;
let server: ScimDemoServer;
let activities: ImportActivities;
let sequence = 0;

beforeAll(async () => {
  config = loadConfig();
  ds = createDataSource(config.databaseUrl, { poolSize: 3 });
  await ds.initialize();
  box = new SecretBox(config.secretKey);
  server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: USERS, groups: 0 } });
  activities = createActivities({ dataSource: ds, secretBox: box, config });
});

afterAll(async () => {
  await server?.close();
  await ds?.destroy();
});

async function identityTask(tag: string): Promise<string> {
  const codes = await seedTargetStore(ds, `${SUFFIX}${tag}`);
  const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH, pageSize: 10 });
  return insertTask(ds, { connectorId, mappingsType: 'identityOnly', config: identityAndAccessConfig(codes, { access: null }) });
}

/** Every step up to (not including) finishRun, in workflow order. */
async function upToFinish(runId: string): Promise<void> {
  await activities.extract(runId, 'identity');
  await activities.map(runId, {});
  await activities.diff(runId);
  await activities.load(runId);
  const reconcile = await activities.reconcileRemovals(runId, { decisionTimeoutMs: 60_000 });
  if (reconcile.next === 'apply') await activities.applyRemovals(runId, 'withinThreshold');
}

async function prepare(taskId: string): Promise<string> {
  return (await activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-${++sequence}`, `t-${sequence}`)).runId;
}

it('records loaded before staging was lost are counted once after the run reads its source again (created, not also unchanged)', async () => {
  const taskId = await identityTask('l');
  const runId = await prepare(taskId);
  await activities.extract(runId, 'identity');
  await activities.map(runId, {});
  await activities.diff(runId);
  await activities.load(runId);
  // what PostgreSQL crash recovery does to the UNLOGGED staging after the load committed
  await ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
  await ds.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);

  // the redo: extract starts the read over; the records this run loaded now equal its task cache
  await upToFinish(runId);
  const finished = await activities.finishRun(runId);
  expect(finished.stats).toEqual({ fetched: USERS, created: USERS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
});

it('a finishRun attempt repeated after the first one completed leaves the run succeeded with the same counts', async () => {
  const taskId = await identityTask('f');
  const first = await prepare(taskId);
  await upToFinish(first);
  await activities.finishRun(first);
  // a mostly unchanged full run: one record changed at the source
  const changed = server.admin.listUserIds()[3];
  const before = (server.admin.getUser(changed) as { userName: string }).userName;
  await server.admin.updateUser(changed, { userName: `changed-${changed}@example.com` });
  try {
    const runId = await prepare(taskId);
    await upToFinish(runId);
    const done = await activities.finishRun(runId);
    expect(done.stats).toEqual({ fetched: USERS, created: 0, updated: 1, unchanged: USERS - 1, removed: 0, failed: 0 });

    // the worker died before Temporal learnt of the completion: the attempt runs again
    expect(await activities.finishRun(runId)).toEqual(done);
    const rows: Array<{ status: string; stats: unknown }> = await ds.query(`SELECT status, stats FROM run WHERE id = $1`, [runId]);
    expect(rows[0]).toEqual({ status: 'succeeded', stats: done.stats });
  } finally {
    await server.admin.updateUser(changed, { userName: before });
  }
});
