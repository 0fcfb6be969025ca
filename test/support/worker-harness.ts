import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../libs/config/src/config';
import { SecretBox } from '../../libs/persistence/src/secret-box';
import { createActivities } from '../../libs/import/src';
import { createPingActivities } from '../../apps/worker/src/ping.activities';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Builds the production workflow bundle (once per test file). */
export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index.ts'), logger: silent as never });
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** A real worker with the real activities, polling `config.taskQueue`, until stop(). */
export async function startWorker(config: AppConfig, ds: DataSource, bundle: WorkflowBundleWithSourceMap, logger?: { log(m: string): void; warn(m: string): void; error(m: string): void }): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowBundle: bundle,
    maxHeartbeatThrottleInterval: '5s',
    activities: {
      ...createActivities({ dataSource: ds, secretBox: new SecretBox(config.secretKey), config, logger }),
      ...createPingActivities({ dataSource: ds }),
    },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
