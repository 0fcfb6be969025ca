/**
 * One of several worker processes on one task queue, configured as the production worker
 * (apps/worker/src/main.ts) is: concurrency from WORKER_MAX_CONCURRENT_ACTIVITIES /
 * WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, 5 s heartbeat throttle, the real activities. Unlike it, load
 * writes small batches with a pause between them, so a test can SIGKILL it while load is half done.
 * Started by test/scale/two-workers.spec.ts as
 * `node --max-old-space-size=384 --import tsx test/scale/support/scale-worker.ts <taskQueue> <bundlePath> <identity> <loadBatchSize> <pauseMs>`;
 * prints "ready" once it polls.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities } from '@app/import';
import { createImportWorker } from '../../../apps/worker/src/import-worker';

async function main(): Promise<void> {
  const [taskQueue, codePath, identity, batchSize, pauseMs] = process.argv.slice(2);
  const config = loadConfig();
  const ds = createDataSource(config.databaseUrl, { poolSize: 6 });
  await ds.initialize();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createImportWorker({
    config: { ...config, taskQueue },
    connection,
    identity,
    workflows: { workflowBundle: { codePath } },
    activities: createActivities({
      dataSource: ds,
      secretBox: new SecretBox(config.secretKey),
      config,
      tuning: { loadBatchSize: Number(batchSize), loadBatchPauseMs: Number(pauseMs) },
    }),
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error('scale-worker failed:', err);
  process.exit(1);
});
