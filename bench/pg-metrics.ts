/**
 * What a scenario did to PostgreSQL: rows written per table (pg_stat_user_tables counters,
 * compared before and after), the database size and the size of each large table.
 */
import type { Client } from 'pg';

/**
 * The target store and the task cache (held by the sightings): what "writes nothing when nothing
 * changed" is about.
 */
export const TARGET_TABLES = ['datacard', 'datacard_link', 'datacard_sighting'] as const;
/** The engine's own bookkeeping, reported to show where write volume goes. */
export const BOOKKEEPING_TABLES = ['run_record', 'staging_record', 'run_extract', 'run'] as const;

/**
 * Backends publish their table counters when idle, at most every second and at the latest
 * PGSTAT_IDLE_INTERVAL (10 s) later; reading sooner can miss the last batches of a run.
 */
export const STATS_FLUSH_DELAY_MS = 11_000;

export type TableWrites = Record<string, { ins: number; upd: number; del: number }>;

/**
 * The table a relation's counters and size are reported under: each run stages into a partition
 * of its own (libs/persistence/src/staging/staging-partition.ts), reported together as staging_record.
 */
function reportedAs(relname: string): string {
  return /^staging_run_[0-9a-f]{32}$/.test(relname) ? 'staging_record' : relname;
}

export async function tableWrites(client: Client): Promise<TableWrites> {
  const tables = [...TARGET_TABLES, ...BOOKKEEPING_TABLES];
  const { rows } = await client.query<{ relname: string; ins: string; upd: string; del: string }>(
    `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del
       FROM pg_stat_user_tables WHERE schemaname = current_schema() AND (relname = ANY($1::text[]) OR relname ~ '^staging_run_[0-9a-f]{32}$')`,
    [tables],
  );
  const out: TableWrites = {};
  for (const t of tables) out[t] = { ins: 0, upd: 0, del: 0 };
  // staging partitions stay apart here: writesBetween compares each with itself, then adds them up
  for (const r of rows) out[r.relname] = { ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) };
  return out;
}

/**
 * after - before, per table; the staging partitions' together as staging_record. A partition
 * dropped by then took its counters with it (a run's staging writes count while it exists).
 */
export function writesBetween(before: TableWrites, after: TableWrites): TableWrites {
  const out: TableWrites = {};
  for (const [relname, a] of Object.entries(after)) {
    const b = before[relname] ?? { ins: 0, upd: 0, del: 0 };
    const t = (out[reportedAs(relname)] ??= { ins: 0, upd: 0, del: 0 });
    t.ins += a.ins - b.ins;
    t.upd += a.upd - b.upd;
    t.del += a.del - b.del;
  }
  return out;
}

/** Rows inserted, updated or deleted in the given tables. */
export function rowsWritten(writes: TableWrites, tables: readonly string[]): number {
  return tables.reduce((sum, t) => sum + (writes[t] ? writes[t].ins + writes[t].upd + writes[t].del : 0), 0);
}

export async function databaseSizeBytes(client: Client): Promise<number> {
  const { rows } = await client.query<{ size: string }>(`SELECT pg_database_size(current_database()) AS size`);
  return Number(rows[0].size);
}

/** The tables whose size is always reported (null when a table does not exist). */
export const SIZED_TABLES = ['datacard', 'datacard_link', 'datacard_sighting', 'run_record', 'staging_record'] as const;
/** Any other table is reported from this size on, so that tables a new design adds show up too. */
export const OTHER_TABLE_MIN_BYTES = 2 ** 20;

export interface TableSize {
  /** heap, TOAST and indexes (pg_total_relation_size) */
  totalBytes: number;
  /** the indexes alone (pg_indexes_size) */
  indexBytes: number;
}

/** SIZED_TABLES first, in that order, then the other tables of at least OTHER_TABLE_MIN_BYTES, largest first. */
export async function tableSizes(client: Client): Promise<Record<string, TableSize | null>> {
  const { rows } = await client.query<{ relname: string; total: string; indexes: string }>(
    `SELECT c.relname, pg_total_relation_size(c.oid) AS total, pg_indexes_size(c.oid) AS indexes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'r'
      ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  const sizes = new Map<string, TableSize>();
  for (const r of rows) {
    const t = reportedAs(r.relname);
    const size = sizes.get(t) ?? { totalBytes: 0, indexBytes: 0 };
    sizes.set(t, { totalBytes: size.totalBytes + Number(r.total), indexBytes: size.indexBytes + Number(r.indexes) });
  }
  const out: Record<string, TableSize | null> = {};
  for (const t of SIZED_TABLES) out[t] = sizes.get(t) ?? null;
  for (const [t, size] of sizes) if (!(t in out) && size.totalBytes >= OTHER_TABLE_MIN_BYTES) out[t] = size;
  return out;
}

/**
 * Makes PostgreSQL log the plan (with actual times) of every statement slower than `ms` in
 * connections opened from now on: where the importer's database time goes, without touching it.
 */
export async function logSlowStatementPlans(client: Client, ms: number): Promise<void> {
  const db = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db.replace(/"/g, '');
  for (const setting of [
    `session_preload_libraries = 'auto_explain'`,
    `auto_explain.log_min_duration = ${Math.floor(ms)}`,
    `auto_explain.log_analyze = on`,
    `auto_explain.log_buffers = on`,
    // batches bind thousands of ids; the plan is what matters
    `auto_explain.log_parameter_max_length = 0`,
  ]) {
    await client.query(`ALTER DATABASE "${db}" SET ${setting}`);
  }
}
