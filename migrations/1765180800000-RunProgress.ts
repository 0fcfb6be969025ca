import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a running run's progress and its timeline are computed from (GET /runs/:id), kept where
 * the work already writes so a poll reads a few rows and never counts staging:
 * - run_extract.started_at: when the read of a resource began (a read that starts over begins
 *   again), the base of its rate; run_extract.total_results: the listing's totalResults, kept
 *   current by the statement that writes each page's checkpoint;
 * - run.phase_log: the steps the run went through, `[{ phase, at }]` in order (one entry per change);
 * - run.load_total / run.load_written_before: what diff decided to write, and the created and
 *   updated counts the row already had then (a resumed run's or a redo's), so load's progress
 *   is the counts' growth since.
 */
export class RunProgress1765180800000 implements MigrationInterface {
  name = 'RunProgress1765180800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run_extract ADD COLUMN started_at timestamptz, ADD COLUMN total_results integer`);
    await q.query(
      `ALTER TABLE run ADD COLUMN phase_log jsonb NOT NULL DEFAULT '[]'::jsonb, ADD COLUMN load_total integer, ADD COLUMN load_written_before integer`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run DROP COLUMN load_written_before, DROP COLUMN load_total, DROP COLUMN phase_log`);
    await q.query(`ALTER TABLE run_extract DROP COLUMN total_results, DROP COLUMN started_at`);
  }
}
