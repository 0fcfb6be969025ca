/**
 * A worker in its own process, configured as the production worker is (same activities, heap cap
 * from WORKER_NODE_FLAGS, 5 s heartbeat throttle), so a test can watch it survive hostile sources
 * and read everything it logs. Started as
 * `node --max-old-space-size=384 --import tsx test/e2e/support/worker-process.ts <taskQueue> <bundlePath>`;
 * prints "ready" once it polls; activity log lines go to stdout.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities } from '@app/import';
import { createImportWorker } from '../../../apps/worker/src/import-worker';

const line = (level: string) => (message: string, meta?: object) =>
  process.stdout.write(`${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`);

async function main(): Promise<void> {
  const [taskQueue, codePath] = process.argv.slice(2);
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
      logger: { log: line('log'), warn: line('warn'), error: line('error') },
    }),
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error('worker-process failed:', err);
  process.exit(1);
});
