import type { ResourceKind, ResourceProgressReport, RunProgressReport } from '@app/temporal';
import type { ResourceReadProgress, RunProgressFacts, RunRepository, RunRow } from '@app/persistence';
import { resourcesFor, type RunConfigSnapshot } from '../run-config/task-config';

/** The run as far as its progress goes. */
export type RunForProgress = Pick<RunRow, 'id' | 'taskId' | 'resumeRootId' | 'status' | 'mode' | 'phase' | 'configSnapshot' | 'stats' | 'loadTotal' | 'loadWrittenBefore'>;

/** Steps during and after which load's progress shows (before them, diff has not said what load writes). */
const LOAD_SHOWN_IN: ReadonlySet<string> = new Set(['load', 'reconcile', 'removalApproval', 'finish']);

/** Records per second of a read of `read` records from `startedAt` to `until`; null before anything was read. */
export function readRate(read: number, startedAt: Date | null, until: Date): number | null {
  if (read <= 0 || !startedAt) return null;
  const seconds = (until.getTime() - startedAt.getTime()) / 1000;
  // a first page within the same millisecond says nothing about the rate yet
  if (seconds <= 0) return null;
  return read / seconds;
}

/** Seconds left of a read at `perSecond`: 0 once done, null when the expected size or the rate is unknown or already passed. */
export function etaSeconds(read: number, expected: number | null, perSecond: number | null, done: boolean): number | null {
  if (done) return 0;
  if (expected === null || perSecond === null || perSecond <= 0 || expected <= read) return null;
  return Math.ceil((expected - read) / perSecond);
}

/** What the read should come to: the listing's totalResults, else (a full read) the task's last complete full read. */
export function expectedOf(
  read: { totalResults: number | null; fullRead: boolean },
  lastRead: number | undefined,
): Pick<ResourceProgressReport, 'expected' | 'expectedFrom'> {
  if (read.totalResults !== null) return { expected: read.totalResults, expectedFrom: 'totalResults' };
  // an incremental read lists the changes: a complete read's size says nothing about them
  if (read.fullRead && lastRead !== undefined) return { expected: lastRead, expectedFrom: 'lastRun' };
  return { expected: null, expectedFrom: null };
}

/** The resources the run's snapshot maps, in read order; none when the snapshot cannot say (not prepared yet). */
function plannedResources(snapshot: unknown): Array<{ kind: ResourceKind; path: string }> {
  const s = snapshot as Partial<RunConfigSnapshot> | null;
  if (!s?.mappingsType || !s.config) return [];
  try {
    return resourcesFor(s.mappingsType, s.config);
  } catch {
    return [];
  }
}

function resourceProgress(read: ResourceReadProgress, lastRead: number | undefined, now: Date): ResourceProgressReport {
  const { expected, expectedFrom } = expectedOf(read, lastRead);
  const rate = readRate(read.fetched, read.startedAt, read.done ? read.updatedAt : now);
  return {
    resource: read.resource,
    path: read.path,
    read: read.fetched,
    expected,
    expectedFrom,
    perSecond: rate === null ? null : Math.round(rate * 10) / 10,
    etaSeconds: etaSeconds(read.fetched, expected, rate, read.done),
    done: read.done,
  };
}

/**
 * A running run's progress from its row and the facts RunRepository.progressFacts read: each
 * resource the task maps (those whose read has not begun with nothing read yet), and load's
 * writes out of what diff decided to write. Null once the run has ended.
 */
export function runProgress(run: RunForProgress, facts: RunProgressFacts): RunProgressReport | null {
  if (run.status !== 'running') return null;
  const snapshot = run.configSnapshot as Partial<RunConfigSnapshot> | null;
  const last = facts.lastCompleteRead ?? {};
  const begun = new Map(facts.reads.map((r) => [r.resource, r]));
  // a read not begun yet will be full unless the run lists changes since its watermark
  const fullReadAhead = run.mode === 'full' || !snapshot?.since;
  const planned = plannedResources(run.configSnapshot);
  const resources = [
    ...planned.map(
      (p) =>
        begun.get(p.kind) ?? { resource: p.kind, path: p.path, fetched: 0, done: false, fullRead: fullReadAhead, startedAt: null, updatedAt: facts.now, totalResults: null },
    ),
    ...facts.reads.filter((r) => !planned.some((p) => p.kind === r.resource)),
  ].map((r) => resourceProgress(r, last[r.resource], facts.now));
  const loadShown = run.loadTotal !== null && run.phase !== null && LOAD_SHOWN_IN.has(run.phase);
  const written = (run.stats.created ?? 0) + (run.stats.updated ?? 0) - (run.loadWrittenBefore ?? 0);
  return {
    resources,
    load: loadShown ? { written: Math.max(0, Math.min(written, run.loadTotal ?? 0)), total: run.loadTotal ?? 0 } : null,
  };
}

/** The progress of run row `run` (null once it ended): one statement beside the row the caller has. */
export async function progressOfRun(runs: RunRepository, run: RunForProgress): Promise<RunProgressReport | null> {
  if (run.status !== 'running') return null;
  return runProgress(run, await runs.progressFacts(run));
}
