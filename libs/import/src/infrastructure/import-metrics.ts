import type { MetricMeter, MetricTags } from '@temporalio/common';
import type { ScimMetrics } from '@app/scim';
import type { ResourceKind, RunStatsView } from '@app/temporal';

/** How a run ended, as the `outcome` label of the run metrics. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Which task a measurement belongs to (labels `task_id` and `task`). */
export interface TaskLabels {
  taskId: string;
  taskName?: string;
}

/** Bucket bounds of scim_import_run_duration_seconds (the SDK's defaults are milliseconds). */
export const RUN_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200];

/**
 * The import's own metrics, created on a Temporal MetricMeter so that the worker's one Prometheus
 * endpoint serves them next to the SDK's. Names and labels are listed in docs/operations.md.
 */
export class ImportMetrics {
  private readonly recordsRead;
  private readonly pagesFetched;
  private readonly records;
  private readonly runs;
  private readonly runDuration;
  private readonly scimResponses;
  private readonly scimRetries;
  private readonly rateLimitWaits;
  private readonly rateLimitWaitMs;

  constructor(meter: MetricMeter) {
    this.recordsRead = meter.createCounter('scim_import_records_read_total', 'records', 'distinct records read from SCIM sources into staging');
    this.pagesFetched = meter.createCounter('scim_import_pages_fetched_total', 'pages', 'list pages read from SCIM sources');
    this.records = meter.createCounter('scim_import_records_total', 'records', 'records per outcome (created, updated, unchanged, removed, failed) of closed runs');
    this.runs = meter.createCounter('scim_import_runs_total', 'runs', 'closed runs per outcome');
    this.runDuration = meter.createHistogram('scim_import_run_duration_seconds', 'float', 's', 'wall time of closed runs per outcome');
    this.scimResponses = meter.createCounter('scim_import_scim_responses_total', 'responses', 'HTTP answers of SCIM sources per status code');
    this.scimRetries = meter.createCounter('scim_import_scim_retries_total', 'requests', 'SCIM requests sent again per reason (HTTP status or network)');
    this.rateLimitWaits = meter.createCounter('scim_import_scim_rate_limit_waits_total', 'waits', 'SCIM requests that waited for a rate limit (client: the connector limit, server: 429 Retry-After)');
    this.rateLimitWaitMs = meter.createCounter('scim_import_scim_rate_limit_wait_milliseconds_total', 'ms', 'time SCIM requests spent waiting for rate limits');
  }

  /** An extract finished: records and pages read for one resource. */
  extracted(task: TaskLabels, resource: ResourceKind, records: number, pages: number): void {
    const tags = { ...labels(task), resource };
    if (records > 0) this.recordsRead.add(records, tags);
    if (pages > 0) this.pagesFetched.add(pages, tags);
  }

  /** A run closed: its per-outcome record counts and its duration. */
  runClosed(task: TaskLabels, outcome: RunOutcome, stats: RunStatsView, seconds: number): void {
    const tags = labels(task);
    for (const kind of ['created', 'updated', 'unchanged', 'removed', 'failed'] as const) {
      // zero adds still create the series, so a dashboard sees every outcome of every task
      this.records.add(Math.max(0, stats[kind] ?? 0), { ...tags, outcome: kind });
    }
    this.runs.add(1, { ...tags, outcome });
    this.runDuration.record(Math.max(0, seconds), { ...tags, outcome });
  }

  /** Transport counters for a SCIM client; `task` names the task of the activity using it. */
  scim(task: () => TaskLabels | undefined): ScimMetrics {
    const tags = (): MetricTags => {
      const t = task();
      return t ? labels(t) : {};
    };
    return {
      response: (status) => this.scimResponses.add(1, { ...tags(), status: String(status) }),
      retry: (reason) => this.scimRetries.add(1, { ...tags(), reason }),
      rateLimitWait: (source, ms) => {
        this.rateLimitWaits.add(1, { ...tags(), source });
        this.rateLimitWaitMs.add(Math.round(ms), { ...tags(), source });
      },
    };
  }
}

function labels(task: TaskLabels): MetricTags {
  return { task_id: task.taskId, task: task.taskName ?? '' };
}
