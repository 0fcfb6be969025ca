import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dry runs: a run that extracts, maps, diffs and computes its removal candidates like any full
 * run, then records what it would do instead of loading. The flag sits on the run row so every
 * activity (and the API's run view) knows it, including after a retry or a resume.
 */
export class DryRunRuns1764633600000 implements MigrationInterface {
  name = 'DryRunRuns1764633600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run ADD COLUMN dry_run boolean NOT NULL DEFAULT false`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // without the flag a dry run's would-be outcomes read as real ones: its notes keep saying what it was
    await q.query(`UPDATE run SET notes = notes || to_jsonb('dry run: these outcomes are what the run would have done; nothing was written'::text) WHERE dry_run`);
    await q.query(`ALTER TABLE run DROP COLUMN IF EXISTS dry_run`);
  }
}
