import type { AppConfig } from '@app/config';
import type { RunPhaseEntry, RunRow } from '@app/persistence';
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

/**
 * The steps a run went through, in order, from its phase log: each lasts until the next one
 * began, the last until the run finished (open while it runs).
 */
export function runPhases(log: RunPhaseEntry[], finishedAt: Date | null): Array<{ phase: string; startedAt: string; finishedAt: string | null }> {
  return log.map((entry, i) => {
    const next = log[i + 1];
    const end = next ? new Date(next.at) : finishedAt;
    return { phase: entry.phase, startedAt: new Date(entry.at).toISOString(), finishedAt: end ? end.toISOString() : null };
  });
}
