import type { AppConfig } from '@app/config';
import type { RunRow } from '@app/persistence';
import { temporalUiLink, workflowIdOfRun } from '@app/temporal';

/** Run as the API shows it (docs/api.md, Runs), plus phase, extract reports, notes and removal state. */
export function runView(r: RunRow, config: Pick<AppConfig, 'temporalUiUrl' | 'temporalNamespace'>) {
  // a resumed run's row key is `<workflowId>#resume-…`; Temporal knows only the workflow id
  const workflowId = workflowIdOfRun(r);
  return {
    id: r.id,
    taskId: r.taskId,
    workflowId,
    temporalRunId: r.temporalRunId,
    mode: r.mode,
    trigger: r.trigger,
    dryRun: r.dryRun,
    status: r.status,
    phase: r.phase,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    stats: r.stats,
    ...(r.error ? { error: r.error } : {}),
    ...(r.retryOf ? { retryOf: r.retryOf } : {}),
    extractReports: r.extractReports,
    notes: r.notes,
    removal: r.removal,
    // from then on the run can be restarted but not resumed (docs/removals-and-retries.md)
    ...(r.stagingReleasedAt ? { stagingReleasedAt: r.stagingReleasedAt.toISOString() } : {}),
    temporalUiUrl: temporalUiLink(config.temporalUiUrl, config.temporalNamespace, workflowId, r.temporalRunId),
  };
}

/** The few fields of a run a list of tasks shows as its `lastRun` (RunSummaryView). */
export function runSummaryView(r: RunRow) {
  return {
    id: r.id,
    status: r.status,
    mode: r.mode,
    trigger: r.trigger,
    dryRun: r.dryRun,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    stats: r.stats,
  };
}
