/**
 * Each run's staging is its own UNLOGGED partition of staging_record (LIST on run_id), so a run
 * that ends gives its space back by dropping a table instead of deleting rows one by one: a
 * deleted row stays as dead space until vacuum, and the staging of run after run made the
 * database grow. Statements keep naming staging_record with `run_id = $1`: the planner prunes
 * them to the run's partition and plans them on its statistics.
 *
 * DDL and locks: creating a partition with CREATE TABLE ... PARTITION OF or dropping an attached
 * one takes an ACCESS EXCLUSIVE lock on staging_record, which waits for every statement of every
 * run over staging and holds up all later ones meanwhile. So a partition is created as a plain
 * table and ATTACHed (SHARE UPDATE EXCLUSIVE: other runs keep reading and writing), and removed
 * by DETACH ... CONCURRENTLY and then a DROP of the detached table (it waits for the statements
 * that may still see it, blocking none).
 */
import type { Db, Sql } from '../db';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PREFIX = 'staging_run_';
/** What a staging partition's name looks like in pg_class (a regular expression for `~`). */
const NAME_PATTERN = `^${PREFIX}[0-9a-f]{32}$`;

/** The run id in its canonical form; throws unless it is a uuid (partition names and bounds are built from it). */
export function canonicalRunId(runId: string): string {
  if (typeof runId !== 'string' || !UUID.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  return runId.toLowerCase();
}

/** The name of the run's staging partition: only hex digits of the validated uuid, so it needs no quoting. */
export function stagingPartitionName(runId: string): string {
  return PREFIX + canonicalRunId(runId).replace(/-/g, '');
}

/** The run id a staging partition's name stands for. */
export function runIdOfPartition(name: string): string {
  const hex = name.slice(PREFIX.length);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * SQL (parameter `param`: the partition's name) that is true while the partition is attached to
 * staging_record and not being detached: staging can be written and read only then.
 */
export function partitionAttached(param: string): string {
  return `EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = to_regclass(${param}::text) AND i.inhparent = 'staging_record'::regclass AND NOT i.inhdetachpending)`;
}

/**
 * Creates the run's staging partition unless it is attached already. Idempotent and safe when
 * several attempts of the run's activities do it at once: one transaction under a lock on the
 * run's partition name. A table of that name that is not attached is what a release left half
 * done (detached, not yet dropped): its rows belong to staging released earlier, so it is
 * replaced by an empty one. Run outside any transaction of the caller's.
 */
export async function openRunStaging(db: Db, runId: string): Promise<void> {
  const id = canonicalRunId(runId);
  const name = stagingPartitionName(id);
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [name]);
    const { rows } = await tx.query<{ exists: boolean; attached: boolean; pending: boolean }>(
      `SELECT to_regclass($1::text) IS NOT NULL AS exists, ${partitionAttached('$1')} AS attached,
              EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = to_regclass($1::text) AND i.inhdetachpending) AS pending`,
      [name],
    );
    const state = rows[0];
    if (state.attached) return;
    if (state.pending) throw new Error(`the staging of run ${id} is being removed; try again`);
    if (state.exists) await tx.query(`DROP TABLE ${name}`);
    await tx.query(`CREATE UNLOGGED TABLE ${name} (LIKE staging_record INCLUDING DEFAULTS)`);
    // the bound is the validated uuid; ATTACH adds the partitioned indexes (primary key, to-load)
    await tx.query(`ALTER TABLE staging_record ATTACH PARTITION ${name} FOR VALUES IN ('${id}')`);
  });
}

/**
 * Empties the run's staging and removes its marker inside the caller's transaction (TRUNCATE
 * gives the space back at once and locks only the run's partition); the empty partition is
 * dropped later by dropRunStaging (the staging sweep), which cannot run in a transaction.
 */
export async function emptyRunStaging(sql: Sql, runId: string): Promise<void> {
  const name = stagingPartitionName(runId);
  await sql.query(`DELETE FROM staging_marker WHERE run_id = $1`, [canonicalRunId(runId)]);
  const { rows } = await sql.query<{ attached: boolean }>(`SELECT ${partitionAttached('$1')} AS attached`, [name]);
  if (rows[0].attached) await sql.query(`TRUNCATE ${name}`);
}

/**
 * Removes the run's staging for good: first its marker (from then on any step or resume of the
 * run finds its staging lost and reads the source again, as after a crash), then the partition,
 * detached concurrently and dropped. Idempotent; finishes a detach an earlier call left pending.
 * Not inside a transaction (DETACH ... CONCURRENTLY cannot run in one).
 */
export async function dropRunStaging(db: Db, runId: string): Promise<void> {
  const name = stagingPartitionName(runId);
  await db.query(`DELETE FROM staging_marker WHERE run_id = $1`, [canonicalRunId(runId)]);
  for (let attempt = 0; ; attempt++) {
    const { rows } = await db.query<{ pending: boolean }>(
      `SELECT i.inhdetachpending AS pending FROM pg_inherits i WHERE i.inhrelid = to_regclass($1::text) AND i.inhparent = 'staging_record'::regclass`,
      [name],
    );
    if (rows.length === 0) break;
    try {
      await db.query(`ALTER TABLE staging_record DETACH PARTITION ${name} ${rows[0].pending ? 'FINALIZE' : 'CONCURRENTLY'}`);
      break;
    } catch (err) {
      // another release of the same run got there first: look again
      if (attempt >= 2) throw err;
    }
  }
  await db.query(`DROP TABLE IF EXISTS ${name}`);
}

/** The run ids that have a staging partition (attached, being detached, or detached and not yet dropped). */
export async function runIdsWithStaging(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND c.relname ~ $1 ORDER BY 1`,
    [NAME_PATTERN],
  );
  return rows.map((r) => runIdOfPartition(r.relname));
}
