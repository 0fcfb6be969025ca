import type { Sql } from '../db';

/** One row of table `webhook_delivery_attempt`: one POST of a delivery. */
export interface WebhookAttemptRow {
  deliveryId: string;
  attempt: number;
  at: Date;
  /** the receiver's HTTP status; null when no answer came (then `error` says why) */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** when the next attempt is due; null after a success or the last attempt */
  nextRetryAt: Date | null;
}

interface AttemptColumns {
  delivery_id: string;
  attempt: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  next_retry_at: Date | null;
}

function attemptRowFrom(c: AttemptColumns): WebhookAttemptRow {
  return { deliveryId: c.delivery_id, attempt: c.attempt, at: c.at, statusCode: c.status_code, error: c.error, durationMs: c.duration_ms, nextRetryAt: c.next_retry_at };
}

/** The attempts of webhook deliveries. */
export class WebhookAttemptRepository {
  constructor(private readonly db: Sql) {}

  /** Records an attempt; false when the delivery is gone (its subscription was deleted meanwhile). */
  async record(a: Omit<WebhookAttemptRow, 'at'>): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO webhook_delivery_attempt (delivery_id, attempt, status_code, error, duration_ms, next_retry_at)
       SELECT d.id, $2, $3, $4, $5, $6 FROM webhook_delivery d WHERE d.id = $1`,
      [a.deliveryId, a.attempt, a.statusCode, a.error, a.durationMs, a.nextRetryAt],
    );
    return (rowCount ?? 0) > 0;
  }

  /** The attempts of these deliveries, oldest first. */
  async ofDeliveries(deliveryIds: string[]): Promise<WebhookAttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    const { rows } = await this.db.query<AttemptColumns>(
      `SELECT delivery_id, attempt, at, status_code, error, duration_ms, next_retry_at FROM webhook_delivery_attempt WHERE delivery_id = ANY ($1::uuid[]) ORDER BY id`,
      [deliveryIds],
    );
    return rows.map(attemptRowFrom);
  }
}
