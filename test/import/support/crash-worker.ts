/**
 * A worker in its own process, so a test can SIGKILL it mid-run. Started by worker-crash.spec.ts as
 * `node --import tsx test/import/support/crash-worker.ts <taskQueue> <bundlePath> <loadBatchSize> <pauseMs> [removalBatchSize]`.
 * Prints "ready" once it polls.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities } from '@app/import';
import { createImportWorker } from '../../../apps/worker/src/import-worker';

async function main(): Promise<void> {
  const [taskQueue, codePath, batchSize, pauseMs, removalBatchSize] = process.argv.slice(2);
  const config = loadConfig();
  const ds = createDataSource(config.databaseUrl, { poolSize: 4 });
  await ds.initialize();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createImportWorker({
    config: { ...config, taskQueue },
    connection,
    workflows: { workflowBundle: { codePath } },
    activities: createActivities({
      dataSource: ds,
      secretBox: new SecretBox(config.secretKey),
      config,
      tuning: { loadBatchSize: Number(batchSize), loadBatchPauseMs: Number(pauseMs), ...(removalBatchSize ? { removalBatchSize: Number(removalBatchSize) } : {}) },
    }),
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error('crash-worker failed:', err);
  process.exit(1);
});
