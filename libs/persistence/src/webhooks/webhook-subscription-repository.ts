import type { Sql } from '../db';

/** The run events a subscription can ask for. */
export const RUN_EVENT_TYPES = ['run.started', 'run.succeeded', 'run.failed', 'run.cancelled', 'run.awaitingRemovalApproval', 'run.removalsApplied'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** One row of table `webhook_subscription`. The only subscription row type. */
export interface WebhookSubscriptionRow {
  id: string;
  url: string;
  events: RunEventType[];
  /** only runs of this task; null: every task */
  taskId: string | null;
  enabled: boolean;
  /** the signing secret (`whsec_…`) sealed by SecretBox; shown once, never logged */
  secretCiphertext: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What a subscription is made of; the database sets id and the timestamps. */
export type WebhookSubscriptionFields = Omit<WebhookSubscriptionRow, 'id' | 'createdAt' | 'updatedAt'>;

interface WebhookSubscriptionColumns {
  id: string;
  url: string;
  events: RunEventType[];
  task_id: string | null;
  enabled: boolean;
  secret_ciphertext: string;
  created_at: Date;
  updated_at: Date;
}

/** The one mapper from the table's columns to WebhookSubscriptionRow. */
function subscriptionRowFrom(c: WebhookSubscriptionColumns): WebhookSubscriptionRow {
  return {
    id: c.id,
    url: c.url,
    events: c.events,
    taskId: c.task_id,
    enabled: c.enabled,
    secretCiphertext: c.secret_ciphertext,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

/** Webhook subscriptions: where run events go. */
export class WebhookSubscriptionRepository {
  constructor(private readonly db: Sql) {}

  async insert(f: WebhookSubscriptionFields): Promise<WebhookSubscriptionRow> {
    const { rows } = await this.db.query<WebhookSubscriptionColumns>(
      `INSERT INTO webhook_subscription (url, events, task_id, enabled, secret_ciphertext) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [f.url, f.events, f.taskId, f.enabled, f.secretCiphertext],
    );
    return subscriptionRowFrom(rows[0]);
  }

  async get(id: string, tx: Sql = this.db): Promise<WebhookSubscriptionRow | null> {
    const { rows } = await tx.query<WebhookSubscriptionColumns>(`SELECT * FROM webhook_subscription WHERE id = $1`, [id]);
    return rows[0] ? subscriptionRowFrom(rows[0]) : null;
  }

  /** Every subscription, oldest first. */
  async list(): Promise<WebhookSubscriptionRow[]> {
    const { rows } = await this.db.query<WebhookSubscriptionColumns>(`SELECT * FROM webhook_subscription ORDER BY created_at, id`);
    return rows.map(subscriptionRowFrom);
  }

  /** Writes the subscription's fields; null when it does not exist. */
  async update(id: string, f: WebhookSubscriptionFields): Promise<WebhookSubscriptionRow | null> {
    const { rows } = await this.db.query<WebhookSubscriptionColumns>(
      `UPDATE webhook_subscription SET url = $2, events = $3, task_id = $4, enabled = $5, secret_ciphertext = $6, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, f.url, f.events, f.taskId, f.enabled, f.secretCiphertext],
    );
    return rows[0] ? subscriptionRowFrom(rows[0]) : null;
  }

  /** Deletes the subscription with its deliveries; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM webhook_subscription WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  /** Whether any enabled subscription exists (the sweep skips its scan otherwise). */
  async anyEnabled(): Promise<boolean> {
    const { rows } = await this.db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE enabled) AS any`);
    return rows[0]?.any === true;
  }
}
