/**
 * Types shared by workflows, activities and the API. Workflows import these with `import type`
 * only, so this file must stay free of runtime code.
 */
export type RunMode = 'full' | 'incremental';
export type RunTrigger = 'schedule' | 'manual' | 'retry';
export type ResourceKind = 'identity' | 'access' | 'generic';

/** Input of the importTask workflow; never contains secrets or records. */
export interface ImportTaskInput {
  taskId: string;
  /** absent on scheduled runs; set by run-now and retries through a pending request */
  trigger?: RunTrigger;
  mode?: RunMode;
  retryOf?: string;
  /** carried across continue-as-new */
  state?: ImportTaskContinuation;
}

export interface ImportTaskContinuation {
  runId: string;
  plan: RunPlan;
  /** index of the next step to execute */
  nextStep: number;
}

export interface ResourcePlan {
  kind: ResourceKind;
  /** SCIM resource path, e.g. /Users */
  path: string;
}

export interface RunPlan {
  runId: string;
  taskId: string;
  mode: RunMode;
  resources: ResourcePlan[];
  /** true when the run should end with removal reconciliation */
  reconcile: boolean;
}

export interface RunStatsView {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: number;
}

/** Result of the workflow's `progress` query. */
export interface RunProgress {
  runId?: string;
  phase: string;
  stats: RunStatsView;
}

// ---- import activities (libs/import): references and counts only, never records or secrets ----

/** Where the workflow was when prepareRun ran: lets the run row point at its Temporal execution. */
export interface RunExecutionRef {
  workflowId: string;
  temporalRunId: string;
}

/** Result of `extract(runId, resource)`. */
export interface ExtractResult {
  resource: ResourceKind;
  /** distinct records staged for this resource */
  fetched: number;
  pages: number;
  /** the listing proved it saw the whole set (libs/scim completeness report) */
  complete: boolean;
  /** an incremental read that had to read everything */
  fullReadFallback: boolean;
  stats: RunStatsView;
}

/** Input/result of `map(runId, cursor)`: map works in chunks and may stop early on a time budget. */
export interface MapCursor {
  afterKey?: { resource: string; sourceId: string };
}

export interface MapResult extends MapCursor {
  done: boolean;
  mapped: number;
  failed: number;
  stats: RunStatsView;
}

export interface DiffResult {
  create: number;
  update: number;
  unchanged: number;
  failed: number;
  stats: RunStatsView;
}

export interface LoadResult {
  batches: number;
  created: number;
  updated: number;
  unchanged: number;
  stats: RunStatsView;
}

/** Result of `reconcileRemovals(runId)` (issue 6 fills it in). */
export interface ReconcileResult {
  skipped: boolean;
  reason?: string;
  removed?: number;
  stats?: RunStatsView;
}

export interface FinishResult {
  status: 'succeeded';
  stats: RunStatsView;
}

/** What the workflow knows about a failure; message is already free of secrets. */
export interface RunFailureInfo {
  type: string;
  message: string;
}

/** Identifies the run a failure belongs to, even when prepareRun never created it. */
export interface FailureRef {
  runId?: string;
  taskId: string;
  workflowId: string;
  temporalRunId?: string;
  trigger?: RunTrigger;
}
