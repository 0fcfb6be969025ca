/**
 * A worker in a process of its own, made by createImportWorker as the production worker is (the
 * real activities, the production settings), so a test can SIGKILL it, starve it of memory, cut
 * its database or run several side by side. Started as
 *
 *   node [--max-old-space-size=384] --import tsx test/support/worker-child.ts '<WorkerChildOptions as JSON>'
 *
 * (`workerChildArgs` builds the arguments). Prints "ready" once it polls; with `logActivities`
 * the activities' log lines go to stdout.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities, type ImportDeps } from '@app/import';
import { createImportWorker } from '../../apps/worker/src/import-worker';

export interface WorkerChildOptions {
  taskQueue: string;
  /** the prebuilt workflow bundle (a file) */
  bundlePath: string;
  /** the worker's identity in Temporal (which worker holds an activity) */
  identity?: string;
  /** e.g. small, paused load batches so a kill lands mid-load */
  tuning?: ImportDeps['tuning'];
  logActivities?: boolean;
  poolSize?: number;
}

/** The script and its argument, after node's flags and `--import tsx`. */
export function workerChildArgs(options: WorkerChildOptions): string[] {
  return [__filename, JSON.stringify(options)];
}

const line = (level: string) => (message: string, meta?: object) =>
  process.stdout.write(`${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`);

async function main(options: WorkerChildOptions): Promise<void> {
  const config = loadConfig();
  const ds = createDataSource(config.databaseUrl, { poolSize: options.poolSize ?? 4 });
  await ds.initialize();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createImportWorker({
    config: { ...config, taskQueue: options.taskQueue },
    connection,
    identity: options.identity,
    workflows: { workflowBundle: { codePath: options.bundlePath } },
    activities: createActivities({
      dataSource: ds,
      secretBox: new SecretBox(config.secretKey),
      config,
      tuning: options.tuning,
      ...(options.logActivities ? { logger: { log: line('log'), warn: line('warn'), error: line('error') } } : {}),
    }),
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
  await ds.destroy();
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as WorkerChildOptions).catch((err: unknown) => {
    console.error('worker-child failed:', err);
    process.exit(1);
  });
}
