/**
 * The four scenarios of issue 7, each one run of the real import through the REST API, measured
 * from the run-now request until the API reports the run finished:
 *   1. first full import; 2. full re-run, nothing changed; 3. 1% of users changed and 1% deleted,
 *   then a full run; 4. the task switched to incremental, 1% changed, then an incremental run.
 */
import type { Client } from 'pg';
import type { FixtureScimServer, ListingRequest, SourceCounters } from './fixture-scim-server';
import type { ImportApi, PhaseMark, RunStats, RunView } from './import-api';
import { describeListingQuery, observedListingQuery } from './import-request';
import type { LowerBounds } from './lower-bounds';
import type { ScenarioId, ShapeId } from './options';
import {
  BOOKKEEPING_TABLES,
  STATS_FLUSH_DELAY_MS,
  TARGET_TABLES,
  databaseSizeBytes,
  rowsWritten,
  tableSizes,
  tableWrites,
  writesBetween,
  type TableSize,
  type TableWrites,
} from './pg-metrics';
import type { RssSampler } from './process-sampler';
import type { StatementTime } from './statement-times';
import {
  checkDatabaseGrowth,
  checkTarget,
  describeCheck,
  describeGrowthCheck,
  describeTarget,
  growthPercentOf,
  ratiosOf,
  type BoundTimes,
  type DatabaseGrowthCheck,
  type Ratios,
  type TargetCheck,
} from './targets';

/** 1% in basis points */
const ONE_PERCENT = 100;
/**
 * Scenario 3's changes are stamped an hour back: in production they accumulate between runs
 * hours apart, so the next incremental read's 5-minute overlap (INCREMENTAL_OVERLAP_MS) holds
 * almost none of them. Stamped "now", scenario 4 would re-read them only because the benchmark
 * runs its scenarios minutes apart.
 */
const EARLIER_CHANGES_AGE_MS = 3_600_000;

/** One measured run: a classic scenario, or a shape scenario (shapes.ts). */
export interface RunResult extends Ratios {
  id: ScenarioId | ShapeId;
  name: string;
  /** the run's id in the API */
  runId?: string;
  mode: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  /** run-now request until the API reported the run finished */
  wallMs: number;
  /** run startedAt..finishedAt as the API reports them */
  runMs?: number;
  records: number;
  recordsPerSecond: number;
  /** this scenario's target (issue 16) and whether the run met it; shapes are judged in the report, against scenario 1 */
  target?: TargetCheck;
  /** rows inserted+updated+deleted in datacard, datacard_link, datacard_sighting (it holds the task cache) */
  targetRowsWritten: number;
  /** rows written per table (target and bookkeeping) */
  writes: TableWrites;
  workerPeakRssBytes: number;
  /** database size after the run */
  pgSizeBytes: number;
  /** size of the main tables after the run (null: no such table), then any other table of 1 MB or more */
  pgTables: Record<string, TableSize | null>;
  stats: RunStats;
  /** each phase's duration and the worker's peak RSS during it */
  phases: Array<{ phase: string; ms: number; rssPeakBytes?: number }>;
  source: SourceCounters;
  /** the projections the run's listing requests asked for, per path (fixture-scim-server.ts) */
  listingRequests: Record<string, ListingRequest[]>;
  mutation?: { changed: number; deleted: number };
  /** database time per statement (--statement-times) */
  dbStatements?: StatementTime[];
  /** expectations that did not hold (e.g. a re-run that wrote rows) */
  warnings: string[];
  error?: string;
}

export interface ScenarioResult extends RunResult {
  id: ScenarioId;
  target: TargetCheck;
}

export interface ScenarioContext {
  api: ImportApi;
  taskId: string;
  source: FixtureScimServer;
  db: Client;
  rss: RssSampler;
  lowerBounds: LowerBounds;
  runTimeoutMs: number;
  /** rejects when the API or the worker dies */
  abort: Promise<never>;
  log: (line: string) => void;
}

interface ScenarioPlan {
  id: ScenarioId;
  name: string;
  /** mutates the source / task before the run; returns what it changed */
  prepare(ctx: ScenarioContext): Promise<{ changed: number; deleted: number } | undefined>;
  expect(r: ScenarioResult, ctx: ScenarioContext): string[];
}

export const SCENARIOS: Record<ScenarioId, ScenarioPlan> = {
  1: {
    id: 1,
    name: 'first full import',
    prepare: () => Promise.resolve(undefined),
    expect: (r, ctx) => {
      const ds = ctx.source.dataSet;
      const want = ds.liveUserCount + ds.groupCount;
      const out: string[] = [];
      if (r.stats.created !== want) out.push(`created ${r.stats.created}, expected ${want} (users + groups)`);
      // a first import has nothing to update: a count here means a batch was applied twice (an activity retry?)
      if (r.stats.updated !== 0) out.push(`updated ${r.stats.updated} in a first import, expected 0`);
      return out;
    },
  },
  2: {
    id: 2,
    name: 'full re-run, no change',
    prepare: () => Promise.resolve(undefined),
    expect: (r) => {
      const out: string[] = [];
      // how fast it was is for its target (targets.ts) to judge; a target write is wrong at any speed
      if (r.targetRowsWritten !== 0) out.push(`wrote ${r.targetRowsWritten} target rows, expected 0`);
      if (r.stats.updated + r.stats.created > 0) out.push(`created ${r.stats.created} / updated ${r.stats.updated}, expected 0`);
      return out;
    },
  },
  3: {
    id: 3,
    name: '1% changed + 1% deleted, full',
    prepare: (ctx) => {
      const at = Date.now() - EARLIER_CHANGES_AGE_MS;
      const changed = ctx.source.applyChange(ONE_PERCENT, at);
      const deleted = ctx.source.applyDelete(ONE_PERCENT, at);
      return Promise.resolve({ changed, deleted });
    },
    expect: (r) => {
      const out: string[] = [];
      const m = r.mutation;
      if (m && r.stats.removed !== m.deleted) out.push(`removed ${r.stats.removed}, expected ${m.deleted} deleted users`);
      if (m && r.stats.updated < m.changed - m.deleted) out.push(`updated ${r.stats.updated}, expected at least the ~${m.changed} changed users`);
      return out;
    },
  },
  4: {
    id: 4,
    name: '1% changed, incremental',
    prepare: async (ctx) => {
      await ctx.api.patchTask(ctx.taskId, { type: 'incremental' });
      const changed = ctx.source.applyChange(ONE_PERCENT);
      return { changed, deleted: 0 };
    },
    expect: (r) => {
      const out: string[] = [];
      if (r.mode !== 'incremental') out.push(`ran as ${r.mode}, expected incremental`);
      if (r.mutation && r.stats.updated !== r.mutation.changed) out.push(`updated ${r.stats.updated}, expected ${r.mutation.changed}`);
      return out;
    },
  },
};

function diffCounters(before: SourceCounters, after: SourceCounters): SourceCounters {
  return {
    requests: after.requests - before.requests,
    bytes: after.bytes - before.bytes,
    pagesGenerated: after.pagesGenerated - before.pagesGenerated,
    cacheHits: after.cacheHits - before.cacheHits,
  };
}

/** The lower bounds as the ratios take them (targets.ts), with the import's request once it is known. */
export function boundTimesOf(lb: LowerBounds): BoundTimes {
  return {
    fetchOnlyMs: lb.fetchOnly.ms,
    boundMs: lb.boundMs,
    oldBoundMs: lb.oldBoundMs,
    ...(lb.importRequest ? { importRequest: { fetchOnlyMs: lb.importRequest.fetchOnly.ms, boundMs: lb.importRequest.boundMs } } : {}),
  };
}

/** Adds the ratios to the import's request bound to a run measured before that bound was known (the first run). */
export function addImportRequestRatios(r: RunResult, lb: LowerBounds): void {
  const { ratioToImportRequestBound, ratioToImportRequestFetchOnly } = ratiosOf(r.wallMs, boundTimesOf(lb));
  Object.assign(r, { ratioToImportRequestBound, ratioToImportRequestFetchOnly });
}

/**
 * A warning when the run's listings asked for something else than the request fetch-only of the
 * import's request was measured with (e.g. --fetch-attributes mapped while the import reads full records).
 */
export function importRequestMismatch(r: RunResult, lb: LowerBounds): string | undefined {
  const measured = lb.importRequest;
  if (!measured) return undefined;
  const paths = Object.keys(r.listingRequests);
  const asked = observedListingQuery(r.listingRequests, paths);
  const same = (p: string) => JSON.stringify(asked[p] ?? []) === JSON.stringify(measured.listingQuery[p] ?? []);
  if (paths.every(same)) return undefined;
  return (
    `the import asked ${describeListingQuery(asked, paths)}, but fetch-only of the import's request (${measured.from}) ` +
    `asked ${describeListingQuery(measured.listingQuery, paths)}: its ratios do not compare like for like`
  );
}

function phaseDurations(marks: PhaseMark[], endMs: number): Array<{ phase: string; ms: number }> {
  return marks.map((m, k) => ({ phase: m.phase, ms: Math.round((marks[k + 1]?.atMs ?? endMs) - m.atMs) }));
}

/** Prepares, runs and measures one scenario. A failed run is reported, not thrown; a dead process throws. */
export async function runScenario(id: ScenarioId, ctx: ScenarioContext): Promise<ScenarioResult> {
  const plan = SCENARIOS[id];
  ctx.log(`scenario ${id}: ${plan.name}`);
  const mutation = await plan.prepare(ctx);
  if (mutation) ctx.log(`  source: ${mutation.changed} users changed, ${mutation.deleted} deleted`);
  const result = await measureRun(ctx, {
    id,
    name: plan.name,
    mutation,
    target: (run) => checkTarget(id, run),
    expect: (r) => plan.expect(r as ScenarioResult, ctx),
  });
  return result as ScenarioResult;
}

/**
 * Runs the task once and measures it: wall time from the run-now request until the API reports
 * the run finished, ratios to the context's lower bounds, rows written, sizes, worker RSS. A
 * failed or timed-out run is reported (status, error, a warning), not thrown; a dead process throws.
 */
export async function measureRun(
  ctx: ScenarioContext,
  spec: {
    id: ScenarioId | ShapeId;
    name: string;
    mutation?: { changed: number; deleted: number };
    target?: (run: Ratios & { status: string; targetRowsWritten: number }) => TargetCheck;
    /** expectations checked when the run succeeded */
    expect: (r: RunResult) => string[];
  },
): Promise<RunResult> {
  const { id, mutation } = spec;

  const before = await tableWrites(ctx.db);
  const sourceBefore = { ...ctx.source.counters };
  ctx.source.resetListingRequests();
  ctx.rss.mark();
  ctx.rss.takePhasePeak();
  const phasePeaks: number[] = [];
  const startedAt = new Date();
  const started = performance.now();
  const queued: RunView = await ctx.api.runNow(ctx.taskId);
  const { run, phases, timedOut } = await ctx.api.waitForRun(queued.id, {
    since: started,
    timeoutMs: ctx.runTimeoutMs,
    intervalMs: 100,
    abort: ctx.abort,
    onPhase: (phase, r) => {
      // the peak since the previous phase change belongs to the phase that just ended
      phasePeaks.push(ctx.rss.takePhasePeak());
      ctx.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s  ${phase}  fetched ${r.stats.fetched}`);
    },
  });
  const wallMs = performance.now() - started;
  const finishedAt = new Date();
  const workerPeakRssBytes = ctx.rss.peakSinceMark();
  phasePeaks.push(ctx.rss.takePhasePeak());
  const source = diffCounters(sourceBefore, ctx.source.counters);
  const listingRequests = ctx.source.listingRequests();

  // table counters of the worker's pooled connections reach pg_stat_user_tables only when they go idle
  if (!timedOut) await new Promise((r) => setTimeout(r, STATS_FLUSH_DELAY_MS));
  const writes = writesBetween(before, await tableWrites(ctx.db));
  const pgSizeBytes = await databaseSizeBytes(ctx.db);
  const pgTables = await tableSizes(ctx.db);

  const lb = ctx.lowerBounds;
  const ratios = ratiosOf(wallMs, boundTimesOf(lb));
  const status = timedOut ? 'timed out' : run.status;
  const targetRowsWritten = rowsWritten(writes, TARGET_TABLES);
  const result: RunResult = {
    id,
    name: spec.name,
    runId: run.id,
    mode: run.mode,
    status,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallMs,
    runMs: run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : undefined,
    records: run.stats.fetched,
    recordsPerSecond: run.stats.fetched / (wallMs / 1000),
    ...ratios,
    ...(spec.target ? { target: spec.target({ ...ratios, status, targetRowsWritten }) } : {}),
    targetRowsWritten,
    writes: Object.fromEntries([...TARGET_TABLES, ...BOOKKEEPING_TABLES].map((t) => [t, writes[t]])),
    workerPeakRssBytes,
    pgSizeBytes,
    pgTables,
    stats: run.stats,
    // phasePeaks[k + 1] is the peak while phases[k] ran (index 0 is the time before the first poll)
    phases: phaseDurations(phases, wallMs).map((p, k) => ({ ...p, rssPeakBytes: phasePeaks[k + 1] })),
    source,
    listingRequests,
    mutation,
    warnings: [],
  };
  if (timedOut) {
    result.error = `run ${run.id} still in phase ${run.phase ?? '?'} after ${Math.round(ctx.runTimeoutMs / 60_000)} min (--run-timeout-min); stats so far ${JSON.stringify(run.stats)}`;
    result.warnings.push(result.error);
  } else if (run.status !== 'succeeded') {
    result.error = `run ${run.id} ${run.status}: ${run.error ? `${run.error.type}: ${run.error.message}` : 'no error recorded'}`;
    result.warnings.push(result.error);
  } else {
    result.warnings.push(...spec.expect(result));
    const mismatch = importRequestMismatch(result, lb);
    if (mismatch) result.warnings.push(mismatch);
  }
  for (const w of result.warnings) ctx.log(`  WARNING: ${w}`);
  ctx.log(
    `  ${run.status} in ${(wallMs / 1000).toFixed(1)} s: ${JSON.stringify(run.stats)}; target rows written ${result.targetRowsWritten}; ` +
      `worker peak RSS ${(workerPeakRssBytes / 2 ** 20).toFixed(0)} MB; database ${(pgSizeBytes / 2 ** 20).toFixed(0)} MB`,
  );
  ctx.log(
    `  ${result.ratioToBound.toFixed(2)}x bound, ${result.ratioToOldBound.toFixed(2)}x old bound, ${result.ratioToFetchOnly.toFixed(2)}x fetch-only` +
      (result.ratioToImportRequestFetchOnly === undefined
        ? ''
        : ` (import's request: ${(result.ratioToImportRequestBound ?? 0).toFixed(2)}x bound, ${result.ratioToImportRequestFetchOnly.toFixed(2)}x fetch-only)`) +
      (result.target ? `; target ${describeTarget(result.target)}: ${describeCheck(result.target)}` : ''),
  );
  return result;
}

/** One more no-change full run after scenario 2 (issue 23: PostgreSQL size flat across repeated runs). */
export interface NoChangeRepeat extends ScenarioResult {
  repeat: number;
  /** staging_record with its TOAST and indexes after the run (null: no such table) */
  stagingRecordBytes: number | null;
  /** database size against the size before the repeats, in percent */
  growthPercent: number;
  /** staging_record's size against its size before the repeats, in percent */
  stagingGrowthPercent?: number;
}

export interface NoChangeRepeats {
  /** sizes after scenario 2, before the repeats */
  baseline: { pgSizeBytes: number; stagingRecordBytes: number | null };
  runs: NoChangeRepeat[];
  check: DatabaseGrowthCheck;
}

/**
 * Runs scenario 2 (full re-run, no change) `count` more times right after it, before anything in
 * the source changes, and reports the database's and staging_record's size after each against
 * their size after scenario 2. Each repeat is also held to scenario 2's own target.
 */
export async function runNoChangeRepeats(count: number, afterScenario2: ScenarioResult, ctx: ScenarioContext): Promise<NoChangeRepeats> {
  const baseline = { pgSizeBytes: afterScenario2.pgSizeBytes, stagingRecordBytes: afterScenario2.pgTables.staging_record?.totalBytes ?? null };
  const runs: NoChangeRepeat[] = [];
  for (let k = 1; k <= count; k++) {
    ctx.log(`scenario 2, repeat ${k} of ${count}: ${SCENARIOS[2].name} (database size across repeated runs)`);
    const r = (await measureRun(ctx, {
      id: 2,
      name: `${SCENARIOS[2].name}, repeat ${k}`,
      target: (run) => checkTarget(2, run),
      expect: (run) => SCENARIOS[2].expect(run as ScenarioResult, ctx),
    })) as ScenarioResult;
    const stagingRecordBytes = r.pgTables.staging_record?.totalBytes ?? null;
    const repeat: NoChangeRepeat = {
      ...r,
      repeat: k,
      stagingRecordBytes,
      growthPercent: growthPercentOf(baseline.pgSizeBytes, r.pgSizeBytes),
      ...(stagingRecordBytes !== null && baseline.stagingRecordBytes !== null
        ? { stagingGrowthPercent: growthPercentOf(baseline.stagingRecordBytes, stagingRecordBytes) }
        : {}),
    };
    runs.push(repeat);
    ctx.log(
      `  database ${(r.pgSizeBytes / 2 ** 20).toFixed(0)} MB (${repeat.growthPercent >= 0 ? '+' : ''}${repeat.growthPercent.toFixed(1)} % since scenario 2)` +
        (stagingRecordBytes === null ? '' : `, staging_record ${(stagingRecordBytes / 2 ** 20).toFixed(0)} MB`),
    );
    // a failed run leaves the next one a different database: the growth would not mean what it says
    if (r.status !== 'succeeded') break;
  }
  const check = checkDatabaseGrowth(baseline.pgSizeBytes, runs);
  ctx.log(`  PostgreSQL size over ${runs.length} more no-change runs: ${describeGrowthCheck(check)}`);
  return { baseline, runs, check };
}
