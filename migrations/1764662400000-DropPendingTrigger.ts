import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run-now starts its workflow directly (the run row and the start share one transaction), so the
 * API no longer leaves a request on the task for the schedule's next start to pick up: the
 * `pending_trigger` column has no writer and no reader left.
 */
export class DropPendingTrigger1764662400000 implements MigrationInterface {
  name = 'DropPendingTrigger1764662400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE import_task DROP COLUMN pending_trigger`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // a request left there is never consumed: the column comes back empty
    await q.query(`ALTER TABLE import_task ADD COLUMN pending_trigger jsonb NULL`);
  }
}
