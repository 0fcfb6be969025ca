import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an `Idempotency-Key` POST answered, per API token (its hash; the token is never stored):
 * a retry with the same key and body gets the first answer back instead of doing it again. A row
 * without a status is a request still being answered; its lease lets a retry take over when the
 * process that held it died. Rows expire 24 h after the first request.
 */
export class IdempotentRequests1765180800200 implements MigrationInterface {
  name = 'IdempotentRequests1765180800200';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE idempotent_request (
      token_hash text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      status integer,
      response jsonb,
      lease_until timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (token_hash, key))`);
    await q.query(`CREATE INDEX idempotent_request_expires_idx ON idempotent_request (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotent_request`);
  }
}
