/**
 * The workflow's loop back to extract after a lost staging is bounded: a run whose staging keeps
 * disappearing (here: just before every finish) reads its source again 3 times, then fails with
 * StagingLostError, without ever declaring success or moving the watermark. Real workflow,
 * worker, activities, database and demo SCIM server; only the loss is staged.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities } from '@app/import';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-redo-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

let config: AppConfig;
let ds: DataSource;
let client: Client;
let clientConnection: Connection;
let workerConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let server: ScimDemoServer;
/** tasks whose staging is emptied, as crash recovery would, right before each finish */
const sabotaged = new Set<string>();

beforeAll(async () => {
  config = loadConfig();
  ds = createDataSource(config.databaseUrl, { poolSize: 4 });
  await ds.initialize();
  clientConnection = await Connection.connect({ address: config.temporalAddress });
  client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
  workerConnection = await NativeConnection.connect({ address: config.temporalAddress });
  server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 12, groups: 3, membersPerUser: 1 } });
  const activities = createActivities({ dataSource: ds, secretBox: new SecretBox(config.secretKey), config });
  worker = await Worker.create({
    connection: workerConnection,
    namespace: config.temporalNamespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index.ts'), logger: new DefaultLogger('WARN') }),
    activities: {
      ...activities,
      async finishRun(runId: string) {
        const rows: Array<{ task_id: string }> = await ds.query(`SELECT task_id FROM run WHERE id = $1`, [runId]);
        if (sabotaged.has(rows[0].task_id)) {
          await ds.query(`DELETE FROM staging_record WHERE run_id = $1`, [runId]);
          await ds.query(`DELETE FROM staging_marker WHERE run_id = $1`, [runId]);
        }
        return activities.finishRun(runId);
      },
    },
  });
  workerRun = worker.run();
}, 180_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await workerRun;
  }
  await server?.close();
  await workerConnection?.close();
  await clientConnection?.close();
  await ds?.destroy();
});

it('a run whose staging keeps getting lost reads its source again 3 times, then fails clearly and never succeeds', async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}x`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 5 });
  const taskId = await insertTask(ds, { connectorId, type: 'incremental', config: identityAndAccessConfig(codes) });
  sabotaged.add(taskId);
  const workflowId = `import-task-${taskId}-lost`;
  const handle = await client.workflow.start('importTask', { args: [{ taskId, trigger: 'manual' }], taskQueue: TASK_QUEUE, workflowId });
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'StagingLostError', message: expect.stringContaining('lost 4 times') });

  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('failed');
  expect(run.error).toMatchObject({ type: 'StagingLostError' });
  const redo: Array<{ staging_redos: number; watermark: Date | null }> = await ds.query(
    `SELECT r.staging_redos, t.watermark FROM run r JOIN import_task t ON t.id = r.task_id WHERE r.id = $1`,
    [run.id],
  );
  expect(redo[0]).toEqual({ staging_redos: 3, watermark: null });
  expect(run.notes.filter((n) => n.includes('the run reads its source again from the start'))).toHaveLength(3);

  // every round read the source again: 4 reads of each resource, 4 finishes that refused
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);
  expect(scheduled.filter((n) => n === 'extract')).toHaveLength(8);
  expect(scheduled.filter((n) => n === 'finishRun')).toHaveLength(4);
}, 240_000);
