import type { Db } from '../db';

/** What claiming an Idempotency-Key found. */
export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'replay'; status: number; response: unknown }
  | { state: 'otherRequest' }
  | { state: 'inProgress' };

/** How long a key is remembered after its first request. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * idempotent_request: the first answer to each Idempotency-Key of a token. A key is claimed before
 * its request runs (an in-progress row with a lease), completed with the answer, or released when
 * the request failed, so a retry runs it again.
 */
export class IdempotentRequestRepository {
  constructor(private readonly db: Db) {}

  /**
   * Claims `key` of the token for the request with `fingerprint`. A row that expired, or an
   * unanswered one of the same request whose lease ran out (its process died), is taken over.
   */
  async claim(tokenHash: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyClaim> {
    for (let round = 0; round < 3; round++) {
      const { rows: claimed } = await this.db.query(
        `INSERT INTO idempotent_request (token_hash, key, fingerprint, lease_until, expires_at)
         VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', now() + $5 * interval '1 hour')
         ON CONFLICT (token_hash, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, status = NULL, response = NULL, lease_until = EXCLUDED.lease_until,
               created_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotent_request.expires_at < now()
            OR (idempotent_request.status IS NULL AND idempotent_request.lease_until < now()
                AND idempotent_request.fingerprint = EXCLUDED.fingerprint)
         RETURNING 1`,
        [tokenHash, key, fingerprint, leaseMs, IDEMPOTENCY_TTL_HOURS],
      );
      if (claimed.length) return { state: 'claimed' };
      const { rows } = await this.db.query<{ fingerprint: string; status: number | null; response: unknown }>(
        `SELECT fingerprint, status, response FROM idempotent_request WHERE token_hash = $1 AND key = $2`,
        [tokenHash, key],
      );
      // released between the two statements: claim again
      if (!rows[0]) continue;
      if (rows[0].fingerprint !== fingerprint) return { state: 'otherRequest' };
      if (rows[0].status === null) return { state: 'inProgress' };
      return { state: 'replay', status: rows[0].status, response: rows[0].response };
    }
    return { state: 'inProgress' };
  }

  /** Keeps the answer of a claimed key. */
  async complete(tokenHash: string, key: string, status: number, response: unknown): Promise<void> {
    await this.db.query(`UPDATE idempotent_request SET status = $3, response = $4::jsonb WHERE token_hash = $1 AND key = $2 AND status IS NULL`, [
      tokenHash,
      key,
      status,
      JSON.stringify(response ?? null),
    ]);
  }

  /** Forgets a claimed key whose request failed: a retry runs it again. */
  async release(tokenHash: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotent_request WHERE token_hash = $1 AND key = $2 AND status IS NULL`, [tokenHash, key]);
  }

  /** Drops expired keys. */
  async sweep(): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM idempotent_request WHERE expires_at < now()`);
    return rowCount ?? 0;
  }
}
