/**
 * The workflow's loop back to extract after a lost staging is bounded: a run whose staging keeps
 * disappearing (here: just before every finish) reads its source again 3 times, then fails with
 * StagingLostError, without ever declaring success or moving the watermark. Real workflow,
 * worker, activities, database and demo SCIM server; only the loss is staged.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { SecretBox } from '@app/persistence';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from './support/import-fixtures';
import { useStack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { finishRunLosingStaging } from '../support/staging-loss';

const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-redo-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

/** tasks whose staging is emptied, as crash recovery would, right before each finish */
const sabotaged = new Set<string>();

const { config, ds, client, scim: server } = useStack({
  taskQueue: TASK_QUEUE,
  poolSize: 4,
  scim: { auth: AUTH, seed: { users: 12, groups: 3, membersPerUser: 1 } },
  worker: ({ ds }) => ({
    activities: (activities) => ({ ...activities, finishRun: finishRunLosingStaging(ds, activities, (taskId) => sabotaged.has(taskId)) }),
  }),
});

it('a run whose staging keeps getting lost reads its source again 3 times, then fails clearly and never succeeds', async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}x`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 5 });
  const taskId = await insertTask(ds, { connectorId, type: 'incremental', config: identityAndAccessConfig(codes) });
  sabotaged.add(taskId);
  const workflowId = `import-task-${taskId}-lost`;
  const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });
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
