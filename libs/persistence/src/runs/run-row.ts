import type { RunStatsView } from '@app/temporal/contracts';

export type RunMode = 'full' | 'incremental';
export type RunTrigger = 'schedule' | 'manual' | 'retry';
/** `terminated` and `timedOut` come from Temporal when the workflow ended without the run's own activities */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'terminated' | 'timedOut';
export type RunPhase =
  | 'queued' | 'prepare' | 'extract' | 'map' | 'diff' | 'load' | 'reconcile' | 'removalApproval' | 'finish' | 'done' | 'failed' | 'cancelled';

/** One entry of run.phase_log: the run entered `phase` at `at` (ISO time, the database's clock). */
export interface RunPhaseEntry {
  phase: RunPhase;
  at: string;
}

export const EMPTY_STATS: RunStatsView = { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 };

/** One row of table `run`, every column, as the code uses it. The only run row type. */
export interface RunRow {
  id: string;
  taskId: string;
  /** `<workflowId>` or, for a row that resumes a run, `<workflowId>#resume-…` (unique) */
  workflowId: string;
  temporalRunId: string | null;
  mode: RunMode;
  trigger: RunTrigger;
  status: RunStatus;
  phase: RunPhase | null;
  startedAt: Date;
  finishedAt: Date | null;
  stats: RunStatsView;
  error: { type: string; message: string } | null;
  retryOf: string | null;
  /** the run this row resumes (POST /runs/:id/retry {resume}); its activities still carry that id */
  resumeRootId: string | null;
  /** the task and connector configuration the run uses, fixed by prepareRun */
  configSnapshot: unknown;
  extractReports: unknown[];
  removal: Record<string, unknown> | null;
  notes: string[];
  dryRun: boolean;
  stagingRedos: number;
  stagingReleasedAt: Date | null;
  seenSetAt: Date | null;
  /** the steps the run went through, in order: one entry each time its phase changed (enterPhase) */
  phaseLog: RunPhaseEntry[];
  /** records diff decided to create or update (what load writes); null before diff ended */
  loadTotal: number | null;
  /** created + updated the row counted when diff ended (a resumed run's or a redo's earlier loads) */
  loadWrittenBefore: number | null;
}

/** Columns of `run` as pg returns them (SELECT * / RETURNING *). */
export interface RunColumns {
  id: string;
  task_id: string;
  workflow_id: string;
  temporal_run_id: string | null;
  mode: RunMode;
  trigger: RunTrigger;
  status: RunStatus;
  phase: RunPhase | null;
  started_at: Date;
  finished_at: Date | null;
  stats: Partial<RunStatsView> | null;
  error: { type: string; message: string } | null;
  retry_of: string | null;
  resume_root_id: string | null;
  config_snapshot: unknown;
  extract_reports: unknown[] | null;
  removal: Record<string, unknown> | null;
  notes: string[] | null;
  dry_run: boolean | null;
  staging_redos: number | null;
  staging_released_at: Date | null;
  seen_set_at: Date | null;
  phase_log: RunPhaseEntry[] | null;
  load_total: number | null;
  load_written_before: number | null;
}

/** The one mapper from the table's columns to RunRow. */
export function runRowFrom(c: RunColumns): RunRow {
  return {
    id: c.id,
    taskId: c.task_id,
    workflowId: c.workflow_id,
    temporalRunId: c.temporal_run_id,
    mode: c.mode,
    trigger: c.trigger,
    status: c.status,
    phase: c.phase,
    startedAt: c.started_at,
    finishedAt: c.finished_at,
    stats: { ...EMPTY_STATS, ...(c.stats ?? {}) },
    error: c.error,
    retryOf: c.retry_of,
    resumeRootId: c.resume_root_id,
    configSnapshot: c.config_snapshot,
    extractReports: c.extract_reports ?? [],
    removal: c.removal,
    notes: c.notes ?? [],
    dryRun: c.dry_run === true,
    stagingRedos: c.staging_redos ?? 0,
    stagingReleasedAt: c.staging_released_at,
    seenSetAt: c.seen_set_at,
    phaseLog: c.phase_log ?? [],
    loadTotal: c.load_total,
    loadWrittenBefore: c.load_written_before,
  };
}
