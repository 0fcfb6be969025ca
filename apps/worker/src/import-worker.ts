import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import type { AppConfig } from '@app/config';

/** What of the application's configuration a worker reads. */
export type ImportWorkerConfig = Pick<AppConfig, 'temporalNamespace' | 'taskQueue' | 'workerMaxConcurrentActivities' | 'workerMaxConcurrentWorkflowTasks' | 'workerDeployment'>;

export interface ImportWorkerOptions {
  config: ImportWorkerConfig;
  connection: NativeConnection;
  /** the import activities (createActivities), or a test's wrapping of them */
  activities: object;
  /** the prebuilt bundle (production image, tests) or the workflows/ sources (dev) */
  workflows: Pick<WorkerOptions, 'workflowBundle'> | Pick<WorkerOptions, 'workflowsPath'>;
  interceptors?: WorkerOptions['interceptors'];
  /** shown in the Temporal UI as the poller; the SDK's default is pid@host */
  identity?: string;
  /**
   * Cancellation reaches an activity with its next heartbeat, at most this long after the
   * request (default 5 s); a test that cancels mid-step shortens it.
   */
  maxHeartbeatThrottleInterval?: Duration;
}

/**
 * The one place a Temporal worker of scim-import is made: apps/worker, the tests, the benchmark
 * and scripts all get the production settings from here.
 *
 * - Activity slots (WORKER_MAX_CONCURRENT_ACTIVITIES, default 8): activities do I/O-bound batch
 *   work; a few in parallel keep PostgreSQL busy without starving heartbeats. More work wants more
 *   worker processes (docs/operations.md, "Scaling out workers").
 * - Workflow task slots (WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, default 40, the SDK's): workflow
 *   tasks are short replays of small histories.
 * - Worker Versioning (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID): the worker polls as that version
 *   and gets only the work routed to it (the current or ramping version, set with `temporal worker
 *   deployment set-current-version`). Runs auto-upgrade: a run may wait 72 h for a removal
 *   decision or be resumed from history days after it failed, so it moves on to the current
 *   version at its next workflow task instead of keeping every old version's workers alive;
 *   workflow changes stay replay-safe behind `patched()` (docs/operations.md, "Upgrading").
 */
export function createImportWorker(options: ImportWorkerOptions): Promise<Worker> {
  const { config } = options;
  return Worker.create({
    connection: options.connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: options.activities,
    ...options.workflows,
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    maxConcurrentActivityTaskExecutions: config.workerMaxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.workerMaxConcurrentWorkflowTasks,
    maxHeartbeatThrottleInterval: options.maxHeartbeatThrottleInterval ?? '5s',
    ...(config.workerDeployment
      ? { workerDeploymentOptions: { useWorkerVersioning: true, version: config.workerDeployment, defaultVersioningBehavior: 'AUTO_UPGRADE' as const } }
      : {}),
  });
}
