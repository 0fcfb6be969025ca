import { ApplicationFailure } from '@temporalio/common';
import type { ImportActivities } from '../../libs/import/src';
import type { TestWorkerOptions } from './worker-harness';

/** Switches a test flips to make the worker's real activities fail or stall, as production can. */
export interface ActivityFaults {
  /** the next N loads fail at once (non-retryable), as an outage of the target store would */
  loadOutages: number;
  /** load through `slow` (small, paused batches) so a cancel or a kill lands mid-load */
  slowLoad: boolean;
  /**
   * reconcileRemovals stays open this long after its work: the stored state already says
   * awaitingApproval, the workflow does not know yet (a cancel or a decision lands in that gap)
   */
  reconcileTailMs: number;
}

export function noFaults(): ActivityFaults {
  return { loadOutages: 0, slowLoad: false, reconcileTailMs: 0 };
}

/** A worker whose real activities obey `faults` (a slow load loads 3 records a batch, 150 ms apart) and see a cancel within 300 ms. */
export function faultyWorker(faults: ActivityFaults): TestWorkerOptions {
  return {
    // heartbeats carry cancellation to an activity; the default throttle would make the test wait
    maxHeartbeatThrottleInterval: '300ms',
    activities: (activities, tuned) => withFaults(activities, faults, tuned({ loadBatchSize: 3, loadBatchPauseMs: 150 })),
  };
}

/** The real activities with `faults` applied; `slow` are the same activities with slow load batches. */
export function withFaults(activities: ImportActivities, faults: ActivityFaults, slow?: Pick<ImportActivities, 'load'>) {
  return {
    ...activities,
    async load(runId: string) {
      if (faults.loadOutages > 0) {
        faults.loadOutages -= 1;
        // non-retryable so the run fails at once instead of retrying through the outage
        throw ApplicationFailure.nonRetryable('simulated outage', 'SimulatedOutage');
      }
      return (faults.slowLoad && slow ? slow : activities).load(runId);
    },
    async reconcileRemovals(...args: Parameters<ImportActivities['reconcileRemovals']>) {
      const result = await activities.reconcileRemovals(...args);
      if (faults.reconcileTailMs > 0) await new Promise((r) => setTimeout(r, faults.reconcileTailMs));
      return result;
    },
  };
}
