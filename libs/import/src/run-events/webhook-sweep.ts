import { RunRepository, WebhookDeliveryRepository } from '@app/persistence';
import { closingEventOf } from './run-event-payload';
import { emitRunEvent, startDeliveries, type RunEventDeps } from './emit-run-event';

/** What the sweep leaves to the emitting activity: events and starts younger than this. */
export const SWEEP_GRACE_MS = 60_000;
/** Closed runs older than this get no late closing event. */
const LATE_EVENT_MAX_AGE_MS = 24 * 3_600_000;
/** Events, deliveries and their attempts are kept this long (the delivery history). */
export const WEBHOOK_HISTORY_RETENTION_MS = 30 * 24 * 3_600_000;
const BATCH = 200;

export interface WebhookSweepResult {
  /** closing events recorded late (the run closed without its activity emitting) */
  emitted: number;
  /** delivery workflows started late (Temporal was unreachable when the event was emitted) */
  started: number;
  /** events dropped with their deliveries past the retention */
  dropped: number;
}

/**
 * Catches up what emission left behind, so no event is lost to a crash or an unreachable
 * Temporal: closing events of runs that closed without one (an activity that died after its
 * commit, a run closed from Temporal's state), and deliveries whose workflow never started.
 * Drops the history past its retention. `graceMs` (default SWEEP_GRACE_MS) is how young an
 * event or delivery is left to its activity.
 */
export async function sweepWebhookDeliveries(deps: RunEventDeps, options: { graceMs?: number } = {}): Promise<WebhookSweepResult> {
  const graceMs = options.graceMs ?? SWEEP_GRACE_MS;
  const deliveries = new WebhookDeliveryRepository(deps.db);
  const runs = new RunRepository(deps.db);
  let emitted = 0;
  for (const runId of await deliveries.runsMissingClosingEvent(graceMs, LATE_EVENT_MAX_AGE_MS, BATCH)) {
    const run = await runs.find(runId);
    const type = run && closingEventOf(run.status);
    if (!type) continue;
    await emitRunEvent(deps, runId, type);
    emitted++;
  }
  const started = await startDeliveries(deps, await deliveries.unstarted(graceMs, BATCH));
  const dropped = await deliveries.dropEventsOlderThan(WEBHOOK_HISTORY_RETENTION_MS);
  return { emitted, started, dropped };
}
