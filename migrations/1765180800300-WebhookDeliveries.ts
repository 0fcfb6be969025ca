import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run events pushed to other systems (docs/api.md, "Run events (webhooks)"):
 * - webhook_subscription: where to send which event types (optionally of one task), with the
 *   signing secret sealed by SecretBox like a connector's;
 * - webhook_event: one row per run and event type (unique), the payload fixed when it happened, so
 *   a retried activity announces a run's state change once and a redelivery sends the same message;
 * - webhook_delivery: one event to one subscription; unique per subscription and event unless it
 *   is a redelivery, so a repeated emission never delivers twice; `workflow_started_at` stays null
 *   until its Temporal workflow is known to run (the sweep starts the ones left behind);
 * - webhook_delivery_attempt: every POST, with its status code or error and when the next one is due.
 */
export class WebhookDeliveries1765180800300 implements MigrationInterface {
  name = 'WebhookDeliveries1765180800300';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE webhook_subscription (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      url text NOT NULL,
      events text[] NOT NULL,
      task_id uuid REFERENCES import_task(id) ON DELETE CASCADE,
      enabled boolean NOT NULL DEFAULT true,
      secret_ciphertext text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE webhook_event (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      type text NOT NULL,
      run_id uuid NOT NULL,
      task_id uuid NOT NULL,
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT webhook_event_once_per_run UNIQUE (run_id, type))`);
    await q.query(`CREATE INDEX webhook_event_occurred_idx ON webhook_event (occurred_at)`);
    await q.query(`CREATE TABLE webhook_delivery (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      subscription_id uuid NOT NULL REFERENCES webhook_subscription(id) ON DELETE CASCADE,
      event_id uuid NOT NULL REFERENCES webhook_event(id) ON DELETE CASCADE,
      redelivery_of uuid REFERENCES webhook_delivery(id) ON DELETE SET NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed')),
      next_retry_at timestamptz,
      workflow_started_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE UNIQUE INDEX webhook_delivery_once_idx ON webhook_delivery (subscription_id, event_id) WHERE redelivery_of IS NULL`);
    await q.query(`CREATE INDEX webhook_delivery_page_idx ON webhook_delivery (subscription_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX webhook_delivery_unstarted_idx ON webhook_delivery (created_at) WHERE workflow_started_at IS NULL`);
    await q.query(`CREATE TABLE webhook_delivery_attempt (
      id bigserial PRIMARY KEY,
      delivery_id uuid NOT NULL REFERENCES webhook_delivery(id) ON DELETE CASCADE,
      attempt integer NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      status_code integer,
      error text,
      duration_ms integer NOT NULL,
      next_retry_at timestamptz)`);
    await q.query(`CREATE INDEX webhook_delivery_attempt_delivery_idx ON webhook_delivery_attempt (delivery_id, id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_delivery_attempt`);
    await q.query(`DROP TABLE IF EXISTS webhook_delivery`);
    await q.query(`DROP TABLE IF EXISTS webhook_event`);
    await q.query(`DROP TABLE IF EXISTS webhook_subscription`);
  }
}
