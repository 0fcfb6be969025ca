import type { MigrationInterface, QueryRunner } from 'typeorm';

/** staging_record's columns, in their order. */
const COLUMNS = 'run_id, resource, source_id, raw, unique_value, mapped, hash, members, decision, message, loaded';

const DEFINITION = `(
      run_id uuid NOT NULL,
      resource text NOT NULL,
      source_id text NOT NULL,
      raw jsonb,
      unique_value text,
      mapped jsonb,
      hash text,
      members jsonb,
      decision text,
      message text,
      loaded boolean NOT NULL DEFAULT false,
      PRIMARY KEY (run_id, resource, source_id))`;

const TO_LOAD_INDEX = `CREATE INDEX staging_record_to_load ON staging_record (run_id, resource, source_id) WHERE decision IN ('create', 'update') AND NOT loaded`;

/** A staging partition's name: the run id's hex digits (a uuid read from a uuid column). */
const partitionName = (runId: string) => `staging_run_${runId.replace(/-/g, '')}`;

/**
 * staging_record becomes a table partitioned by run id, each run's staging an UNLOGGED partition
 * of its own (libs/persistence/src/staging/staging-partition.ts): a run that ends drops its
 * partition instead of deleting its rows, which left dead rows behind and grew the database run
 * after run. The partitioned table itself has no storage (PostgreSQL 18 refuses UNLOGGED for it;
 * its partitions are). Staged rows are moved into their runs' partitions, so runs in flight and
 * kept seen sets go on as they were; their markers stay.
 */
export class StagingPartitionPerRun1765008000000 implements MigrationInterface {
  name = 'StagingPartitionPerRun1765008000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staging_record RENAME TO staging_record_unpartitioned`);
    await q.query(`ALTER INDEX staging_record_pkey RENAME TO staging_record_unpartitioned_pkey`);
    await q.query(`DROP INDEX IF EXISTS staging_record_to_load`);
    await q.query(`CREATE TABLE staging_record ${DEFINITION} PARTITION BY LIST (run_id)`);
    await q.query(TO_LOAD_INDEX);
    const runs: Array<{ run_id: string }> = await q.query(`SELECT DISTINCT run_id::text AS run_id FROM staging_record_unpartitioned`);
    for (const { run_id } of runs) {
      await q.query(`CREATE UNLOGGED TABLE ${partitionName(run_id)} PARTITION OF staging_record FOR VALUES IN ('${run_id}')`);
    }
    await q.query(`INSERT INTO staging_record (${COLUMNS}) SELECT ${COLUMNS} FROM staging_record_unpartitioned`);
    await q.query(`DROP TABLE staging_record_unpartitioned`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNLOGGED TABLE staging_record_flat ${DEFINITION}`);
    await q.query(`INSERT INTO staging_record_flat (${COLUMNS}) SELECT ${COLUMNS} FROM staging_record`);
    // drops every attached partition with it
    await q.query(`DROP TABLE staging_record`);
    // partitions a release detached but did not drop yet: their staging was released already
    const leftover: Array<{ relname: string }> = await q.query(
      `SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace AND relname ~ '^staging_run_[0-9a-f]{32}$'`,
    );
    for (const { relname } of leftover) await q.query(`DROP TABLE ${relname}`);
    await q.query(`ALTER TABLE staging_record_flat RENAME TO staging_record`);
    await q.query(`ALTER INDEX staging_record_flat_pkey RENAME TO staging_record_pkey`);
    await q.query(TO_LOAD_INDEX);
  }
}
