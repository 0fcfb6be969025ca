import type { RunEventType, RunRow } from '@app/persistence';
import type { RunStatsView } from '@app/temporal';

/** The removal reconciliation of a run as an event tells it: states and counts, never records. */
export interface RunEventRemoval {
  state: string;
  total?: number;
  candidates?: { identity: number; access: number; generic: number };
  removed?: number;
  decision?: string;
  decisionDeadline?: string;
}

/** `data` of a run event: ids, status and counts only (never a secret, a record or an error text that could quote one). */
export interface RunEventData {
  runId: string;
  taskId: string;
  taskName: string | null;
  status: RunRow['status'];
  mode: RunRow['mode'];
  trigger: RunRow['trigger'];
  dryRun: boolean;
  retryOf: string | null;
  startedAt: string;
  finishedAt: string | null;
  stats: RunStatsView;
  /** failed runs: the failure's type (its message may quote a record and stays in the API) */
  error?: { type: string };
  removal?: RunEventRemoval;
}

/** The body of a delivery (Standard Webhooks: `type`, `timestamp`, `data`). */
export interface RunEventPayload {
  type: RunEventType;
  timestamp: string;
  data: RunEventData;
}

const FAILED: ReadonlySet<RunRow['status']> = new Set(['failed', 'terminated', 'timedOut']);

/** Whether the run's stored state is what the event announces (an event never runs ahead of, or behind, the state it names). */
export function runIsAt(type: RunEventType, run: Pick<RunRow, 'status' | 'removal'>): boolean {
  switch (type) {
    case 'run.started':
      return run.status === 'running';
    case 'run.succeeded':
      return run.status === 'succeeded';
    case 'run.failed':
      return FAILED.has(run.status);
    case 'run.cancelled':
      return run.status === 'cancelled';
    case 'run.awaitingRemovalApproval':
      return run.removal?.state === 'awaitingApproval';
    case 'run.removalsApplied':
      return run.removal?.state === 'applied';
  }
}

/** The event a closed run's status announces. */
export function closingEventOf(status: RunRow['status']): RunEventType | undefined {
  if (status === 'succeeded') return 'run.succeeded';
  if (status === 'cancelled') return 'run.cancelled';
  return FAILED.has(status) ? 'run.failed' : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function removalOf(removal: Record<string, unknown> | null): RunEventRemoval | undefined {
  if (!removal || typeof removal.state !== 'string') return undefined;
  const candidates = removal.candidates as Record<string, unknown> | undefined;
  const out: RunEventRemoval = { state: removal.state };
  if (count(removal.total) !== undefined) out.total = count(removal.total);
  if (candidates) out.candidates = { identity: count(candidates.identity) ?? 0, access: count(candidates.access) ?? 0, generic: count(candidates.generic) ?? 0 };
  if (count(removal.removed) !== undefined) out.removed = count(removal.removed);
  if (typeof removal.decision === 'string') out.decision = removal.decision;
  if (typeof removal.decisionDeadline === 'string') out.decisionDeadline = removal.decisionDeadline;
  return out;
}

/**
 * The payload announcing `type` for the run as stored: built from an allow-list of fields, so a
 * column added to the run later never leaks into events. Closing events carry the time the run
 * closed; the others the time they are emitted.
 */
export function runEventPayload(type: RunEventType, run: RunRow, taskName: string | null, now: Date): RunEventPayload {
  const closing = type === 'run.succeeded' || type === 'run.failed' || type === 'run.cancelled';
  const data: RunEventData = {
    runId: run.id,
    taskId: run.taskId,
    taskName,
    status: run.status,
    mode: run.mode,
    trigger: run.trigger,
    dryRun: run.dryRun,
    retryOf: run.retryOf,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    stats: { fetched: run.stats.fetched, created: run.stats.created, updated: run.stats.updated, unchanged: run.stats.unchanged, removed: run.stats.removed, failed: run.stats.failed },
  };
  if (run.error && FAILED.has(run.status)) data.error = { type: run.error.type };
  const removal = removalOf(run.removal);
  if (removal) data.removal = removal;
  return { type, timestamp: (closing && run.finishedAt ? run.finishedAt : now).toISOString(), data };
}
