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
