import type { Sql } from '../db';
import type { RunEventType } from './webhook-subscription-repository';

export type WebhookDeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

/** One row of table `webhook_event`: a run's state change, its payload fixed when it happened. */
export interface WebhookEventRow {
  id: string;
  type: RunEventType;
  runId: string;
  taskId: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
}

/** One row of table `webhook_delivery`, with its event's type and run (what a listing shows). */
export interface WebhookDeliveryRow {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: RunEventType;
  runId: string;
  redeliveryOf: string | null;
  status: WebhookDeliveryStatus;
  nextRetryAt: Date | null;
  workflowStartedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What one POST of a delivery needs: the delivery, its event and where it goes. */
export interface WebhookDeliveryTarget {
  delivery: WebhookDeliveryRow;
  event: WebhookEventRow;
  url: string;
  secretCiphertext: string;
  /** whether the subscription is enabled now */
  enabled: boolean;
}

interface DeliveryColumns {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: RunEventType;
  run_id: string;
  redelivery_of: string | null;
  status: WebhookDeliveryStatus;
  next_retry_at: Date | null;
  workflow_started_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface EventColumns {
  id: string;
  type: RunEventType;
  run_id: string;
  task_id: string;
  payload: Record<string, unknown>;
  occurred_at: Date;
}

function deliveryRowFrom(c: DeliveryColumns): WebhookDeliveryRow {
  return {
    id: c.id,
    subscriptionId: c.subscription_id,
    eventId: c.event_id,
    eventType: c.event_type,
    runId: c.run_id,
    redeliveryOf: c.redelivery_of,
    status: c.status,
    nextRetryAt: c.next_retry_at,
    workflowStartedAt: c.workflow_started_at,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

function eventRowFrom(c: EventColumns): WebhookEventRow {
  return { id: c.id, type: c.type, runId: c.run_id, taskId: c.task_id, payload: c.payload, occurredAt: c.occurred_at };
}

const DELIVERY_COLUMNS = `d.id, d.subscription_id, d.event_id, e.type AS event_type, e.run_id, d.redelivery_of, d.status, d.next_retry_at,
       d.workflow_started_at, d.created_at, d.updated_at`;

/** The event each closed run status announces (terminated and timed-out runs failed). */
const TERMINAL_EVENT_SQL = `CASE r.status WHEN 'succeeded' THEN 'run.succeeded' WHEN 'cancelled' THEN 'run.cancelled' ELSE 'run.failed' END`;

/** Run events and their deliveries (tables webhook_event and webhook_delivery). */
export class WebhookDeliveryRepository {
  constructor(private readonly db: Sql) {}

  /**
   * Records a run's event once (unique per run and event type) and, the first time, one delivery
   * per enabled subscription that asks for the type (and the run's task, when it names one).
   * Returns the event id and whether this call created it.
   */
  async recordEvent(e: { type: RunEventType; runId: string; taskId: string; payload: Record<string, unknown> }, tx: Sql = this.db): Promise<{ eventId: string; created: boolean }> {
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO webhook_event (type, run_id, task_id, payload) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT ON CONSTRAINT webhook_event_once_per_run DO NOTHING RETURNING id`,
      [e.type, e.runId, e.taskId, JSON.stringify(e.payload)],
    );
    if (inserted.rows[0]) {
      await tx.query(
        `INSERT INTO webhook_delivery (subscription_id, event_id)
         SELECT s.id, $1 FROM webhook_subscription s
          WHERE s.enabled AND $2 = ANY (s.events) AND (s.task_id IS NULL OR s.task_id = $3)
         ON CONFLICT (subscription_id, event_id) WHERE redelivery_of IS NULL DO NOTHING`,
        [inserted.rows[0].id, e.type, e.taskId],
      );
      return { eventId: inserted.rows[0].id, created: true };
    }
    const { rows } = await tx.query<{ id: string }>(`SELECT id FROM webhook_event WHERE run_id = $1 AND type = $2`, [e.runId, e.type]);
    return { eventId: rows[0].id, created: false };
  }

  /** The deliveries of an event whose workflow is not known to have started. */
  async unstartedOfEvent(eventId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM webhook_delivery WHERE event_id = $1 AND workflow_started_at IS NULL ORDER BY created_at, id`, [eventId]);
    return rows.map((r) => r.id);
  }

  /** Deliveries older than `graceMs` whose workflow is not known to have started, oldest first. */
  async unstarted(graceMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM webhook_delivery WHERE workflow_started_at IS NULL AND created_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY created_at, id LIMIT $2`,
      [graceMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /** The delivery's workflow runs (or ran): the sweep leaves it alone. */
  async markStarted(deliveryId: string): Promise<void> {
    await this.db.query(`UPDATE webhook_delivery SET workflow_started_at = COALESCE(workflow_started_at, now()) WHERE id = $1`, [deliveryId]);
  }

  /** The delivery with its event and its subscription's URL and sealed secret; null when either is gone. */
  async target(deliveryId: string): Promise<WebhookDeliveryTarget | null> {
    const { rows } = await this.db.query<DeliveryColumns & { url: string; secret_ciphertext: string; enabled: boolean; payload: Record<string, unknown>; task_id: string; occurred_at: Date }>(
      `SELECT ${DELIVERY_COLUMNS}, e.task_id, e.payload, e.occurred_at, s.url, s.secret_ciphertext, s.enabled
         FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id JOIN webhook_subscription s ON s.id = d.subscription_id
        WHERE d.id = $1`,
      [deliveryId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      delivery: deliveryRowFrom(r),
      event: eventRowFrom({ id: r.event_id, type: r.event_type, run_id: r.run_id, task_id: r.task_id, payload: r.payload, occurred_at: r.occurred_at }),
      url: r.url,
      secretCiphertext: r.secret_ciphertext,
      enabled: r.enabled,
    };
  }

  /** The delivery's state after an attempt. */
  async setStatus(deliveryId: string, status: WebhookDeliveryStatus, nextRetryAt: Date | null): Promise<void> {
    await this.db.query(`UPDATE webhook_delivery SET status = $2, next_retry_at = $3, updated_at = now() WHERE id = $1`, [deliveryId, status, nextRetryAt]);
  }

  /** One delivery of a subscription, or null. */
  async get(subscriptionId: string, deliveryId: string): Promise<WebhookDeliveryRow | null> {
    const { rows } = await this.db.query<DeliveryColumns>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id WHERE d.id = $1 AND d.subscription_id = $2`,
      [deliveryId, subscriptionId],
    );
    return rows[0] ? deliveryRowFrom(rows[0]) : null;
  }

  /** A new delivery of the same event to the same subscription (POST …/redeliver). */
  async insertRedelivery(of: WebhookDeliveryRow): Promise<WebhookDeliveryRow> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO webhook_delivery (subscription_id, event_id, redelivery_of) VALUES ($1, $2, $3) RETURNING id`,
      [of.subscriptionId, of.eventId, of.id],
    );
    return (await this.get(of.subscriptionId, rows[0].id)) as WebhookDeliveryRow;
  }

  /** Up to `limit` deliveries of a subscription, newest first, after the (createdAt, id) of the last one seen. */
  async page(subscriptionId: string, limit: number, after?: { createdAt: string; id: string }): Promise<WebhookDeliveryRow[]> {
    const { rows } = await this.db.query<DeliveryColumns>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2::timestamptz, $3::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
      [subscriptionId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(deliveryRowFrom);
  }

  /**
   * Closed runs (finished between `maxAgeMs` and `minAgeMs` ago) whose closing event was never
   * recorded: the activity that closed them crashed before it emitted, or the run was closed
   * from Temporal's state. Returns the run ids.
   */
  async runsMissingClosingEvent(minAgeMs: number, maxAgeMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT r.id FROM run r
        WHERE r.status <> 'running' AND r.finished_at IS NOT NULL
          AND r.finished_at < now() - make_interval(secs => $1::double precision / 1000)
          AND r.finished_at > now() - make_interval(secs => $2::double precision / 1000)
          AND NOT EXISTS (SELECT 1 FROM webhook_event e WHERE e.run_id = r.id AND e.type = ${TERMINAL_EVENT_SQL})
        ORDER BY r.finished_at LIMIT $3`,
      [minAgeMs, maxAgeMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Drops events (with their deliveries and attempts) older than `maxAgeMs`; returns how many. */
  async dropEventsOlderThan(maxAgeMs: number): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM webhook_event WHERE occurred_at < now() - make_interval(secs => $1::double precision / 1000)`, [maxAgeMs]);
    return rowCount ?? 0;
  }
}
