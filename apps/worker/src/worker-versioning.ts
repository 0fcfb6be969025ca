import type { WorkerOptions } from '@temporalio/worker';
import type { AppConfig } from '@app/config';

/**
 * Worker Versioning options of a worker (docs/operations.md, "Upgrading"). With
 * WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID set, the worker polls as that version of the
 * deployment and the server sends it only the work routed to that version (the current or
 * ramping one, set with `temporal worker deployment set-current-version`). Runs default to
 * auto-upgrade: a run may wait 72 h for a removal decision or be resumed from history days after
 * it failed, so it moves on to the current version at its next workflow task rather than keeping
 * old workers alive; workflow changes stay replay-safe behind `patched()`.
 * Unset: an unversioned worker, as before.
 */
export function workerVersioningOptions(config: Pick<AppConfig, 'workerDeployment'>): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!config.workerDeployment) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: config.workerDeployment,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    },
  };
}
