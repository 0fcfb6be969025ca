import type { Client } from '@temporalio/client';
import { RunRepository, WebhookDeliveryRepository, type Db, type RunEventType } from '@app/persistence';
import { startWebhookDelivery } from '@app/temporal';
import { runEventPayload, runIsAt } from './run-event-payload';

/** How long an emission waits for Temporal to take a delivery before it leaves it to the sweep. */
const START_TIMEOUT_MS = 5_000;

export interface RunEventLogger {
  warn(message: string, meta?: object): void;
}

/** What emitting a run event needs: the database, a Temporal client (when there is one) and where deliveries run. */
export interface RunEventDeps {
  db: Db;
  /** the client that starts delivery workflows; undefined leaves the deliveries to the sweep */
  client: () => Client | undefined;
  taskQueue: string;
  /** WEBHOOK_RETRY_INITIAL_SECONDS, in ms */
  retryInitialMs: number;
  logger?: RunEventLogger;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves with `work` or rejects once `ms` passed; the work goes on in the background either way. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Starts the delivery workflows of these deliveries and notes each one started. One that cannot
 * start now (Temporal unreachable, slow) stays unstarted for the sweep. Returns how many started.
 */
export async function startDeliveries(deps: RunEventDeps, deliveryIds: string[]): Promise<number> {
  const client = deps.client();
  if (!client || deliveryIds.length === 0) return 0;
  const deliveries = new WebhookDeliveryRepository(deps.db);
  let started = 0;
  for (const id of deliveryIds) {
    try {
      await within(startWebhookDelivery(client, deps.taskQueue, id, deps.retryInitialMs), START_TIMEOUT_MS, 'starting the delivery workflow');
      await deliveries.markStarted(id);
      started++;
    } catch (err) {
      deps.logger?.warn(`webhook delivery ${id} not started yet (the sweep starts it later): ${message(err)}`, { deliveryId: id });
    }
  }
  return started;
}

/**
 * Announces that run row `runId` reached the state of `type`, after that state was committed:
 * records the event once (a retried activity, or the sweep, records nothing new), one delivery per
 * matching enabled subscription, and starts their delivery workflows. Never throws and never
 * holds a run up for long: a failure is logged with the ids and the sweep catches up.
 */
export async function emitRunEvent(deps: RunEventDeps, runId: string, type: RunEventType): Promise<void> {
  try {
    const runs = new RunRepository(deps.db);
    const run = await runs.find(runId);
    if (!run || !runIsAt(type, run)) return;
    const task = await runs.taskOf(run.id);
    const deliveries = new WebhookDeliveryRepository(deps.db);
    const { eventId } = await deliveries.recordEvent({ type, runId: run.id, taskId: run.taskId, payload: { ...runEventPayload(type, run, task?.taskName ?? null, new Date()) } });
    await startDeliveries(deps, await deliveries.unstartedOfEvent(eventId));
  } catch (err) {
    deps.logger?.warn(`run event ${type} of run ${runId} not emitted: ${message(err)}`, { runId, eventType: type });
  }
}
