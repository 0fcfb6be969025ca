import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /runs lists the runs of every task newest first, in pages keyed on (started_at, id): without
 * an index in that order each page read and sorted the whole table. With it the unfiltered page and
 * the filtered ones (by status, trigger, mode, dry run) read the index from the newest run on and
 * stop after one page of matches; a task's runs keep run_task_idx.
 */
export class RunListIndex1765180800100 implements MigrationInterface {
  name = 'RunListIndex1765180800100';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX run_started_idx ON run (started_at DESC, id DESC)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS run_started_idx`);
  }
}
