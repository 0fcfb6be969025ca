import type { AppConfig } from '@app/config';
import { temporalUiLink } from '@app/temporal';

export interface RunRow {
  id: string;
  task_id: string;
  workflow_id: string;
  temporal_run_id: string | null;
  mode: string;
  trigger: string;
  status: string;
  phase: string | null;
  started_at: Date;
  finished_at: Date | null;
  stats: Record<string, number>;
  error: { type: string; message: string } | null;
  retry_of: string | null;
  extract_reports: unknown[];
  removal: Record<string, unknown> | null;
  notes: string[];
  /** absent on databases before the DryRunRuns migration */
  dry_run?: boolean;
  staging_released_at?: Date | null;
}


/** Run as the API shows it (docs/api.md, Runs), plus phase, extract reports, notes and removal state. */
export function runView(r: RunRow, config: Pick<AppConfig, 'temporalUiUrl' | 'temporalNamespace'>) {
  // a resumed run's row key is `<workflowId>#resume-…`; Temporal knows only the workflow id
  const workflowId = r.workflow_id.split('#')[0];
  return {
    id: r.id,
    taskId: r.task_id,
    workflowId,
    temporalRunId: r.temporal_run_id,
    mode: r.mode,
    trigger: r.trigger,
    dryRun: r.dry_run === true,
    status: r.status,
    phase: r.phase,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    stats: { fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0, ...r.stats },
    ...(r.error ? { error: r.error } : {}),
    ...(r.retry_of ? { retryOf: r.retry_of } : {}),
    extractReports: r.extract_reports,
    notes: r.notes,
    removal: r.removal,
    // from then on the run can be restarted but not resumed (docs/removals-and-retries.md)
    ...(r.staging_released_at ? { stagingReleasedAt: r.staging_released_at.toISOString() } : {}),
    temporalUiUrl: temporalUiLink(config.temporalUiUrl, config.temporalNamespace, workflowId, r.temporal_run_id),
  };
}
