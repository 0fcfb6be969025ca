import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../libs/config/src/config';
import { SecretBox } from '../../libs/persistence/src/secret-box';
import { createActivities, type ImportActivities, type ImportDeps } from '../../libs/import/src';
import { createImportWorker, type ImportWorkerConfig } from '../../apps/worker/src/import-worker';
import { createPingActivities } from '../../apps/worker/src/ping.activities';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Builds the production workflow bundle (once per test file). */
export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index.ts'), logger: silent as never });
}

export interface RunningWorker {
  /** stops polling, lets in-flight tasks finish, closes the connection; a second call does nothing */
  stop(): Promise<void>;
}

export interface TestWorkerOptions {
  logger?: ImportDeps['logger'];
  /** activity tuning, e.g. small slow load batches so a cancel or kill lands mid-load */
  tuning?: ImportDeps['tuning'];
  /**
   * what the worker registers, from the real activities: a test's fault injection wraps them here;
   * `tuned` makes another set of the real activities with other tuning (e.g. slow load batches)
   */
  activities?: (real: ImportActivities, tuned: (tuning: ImportDeps['tuning']) => ImportActivities) => object;
  /** a cancel reaches an activity with its next heartbeat: tests that cancel mid-step shorten this */
  maxHeartbeatThrottleInterval?: Duration;
  /** configuration the test changes for this worker (e.g. a Worker Versioning deployment) */
  config?: Partial<ImportWorkerConfig>;
}

/** A real worker (createImportWorker, the production settings) with the real activities, polling `config.taskQueue`, until stop(). */
export async function startWorker(config: AppConfig, ds: DataSource, bundle: WorkflowBundleWithSourceMap, options: TestWorkerOptions = {}): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const secretBox = new SecretBox(config.secretKey);
  const tuned = (tuning: ImportDeps['tuning']) => createActivities({ dataSource: ds, secretBox, config, logger: options.logger, tuning });
  const real = tuned(options.tuning);
  const worker = await createImportWorker({
    config: { ...config, ...options.config },
    connection,
    workflows: { workflowBundle: bundle },
    maxHeartbeatThrottleInterval: options.maxHeartbeatThrottleInterval,
    activities: { ...(options.activities ? options.activities(real, tuned) : real), ...createPingActivities({ dataSource: ds }) },
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
      })();
      return stopped;
    },
  };
}
