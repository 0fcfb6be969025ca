import type { PerKind, ReconcileOptions, ReconcileResult, RemovalOutcome, ResourceKind, RunRemovalState } from '@app/temporal';
import { forgetStaging, RemovalCandidateRepository, StagingRepository, type Db, type RunRepository } from '@app/persistence';
import { currentActivity } from '../infrastructure/activity-context';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { StagingLostError } from '../errors/import-errors';
import { preparedRun, type PreparedRun } from '../run-config/prepared-run';
import { DEFAULT_MAX_REMOVAL_PERCENT, removalOf, sectionFor, type RemovalConfig } from '../run-config/task-config';

export interface RemovalDeps {
  db: Db;
  runs: RunRepository;
  /** candidates marked per transaction */
  batchSize: number;
}

const KINDS: readonly ResourceKind[] = ['identity', 'access', 'generic'];
const zero = (): PerKind => ({ identity: 0, access: 0, generic: 0 });

/** States a repeated reconcileRemovals keeps instead of computing the set again. */
const DECIDED_OR_PENDING = new Set(['awaitingApproval', 'applying', 'applied', 'rejected', 'expired']);

function enabledKinds(run: PreparedRun, kinds: readonly ResourceKind[]): Array<{ kind: ResourceKind; templateCode: string; removal: RemovalConfig }> {
  return kinds.flatMap((kind) => {
    const section = run.snapshot.config[kind];
    const removal = removalOf(section);
    return section && removal ? [{ kind, templateCode: section.templateCode, removal }] : [];
  });
}

function result(state: RunRemovalState, next: ReconcileResult['next'], stats: ReconcileResult['stats']): ReconcileResult {
  return { state: state.state, next, skipped: state.state === 'skipped', reason: state.reason, candidates: state.total, removed: state.removed, stats };
}

/**
 * Removal reconciliation of a full run, step one: proves the read complete, computes the
 * candidate set into removal_candidate and checks it against the safety threshold. Within the
 * threshold the workflow applies it at once; above it, the run waits for an approval. Never
 * removes anything itself, and records on the run why nothing will be removed when it skips.
 */
export async function reconcileRemovals(deps: RemovalDeps, runId: string, options: ReconcileOptions): Promise<ReconcileResult> {
  const { db, runs } = deps;
  const candidateSets = new RemovalCandidateRepository(db);
  const run = await preparedRun(runs, runId);
  await runs.enterPhase(runId, 'reconcile');

  const stored = await runs.removal<RunRemovalState>(runId);
  if (stored && DECIDED_OR_PENDING.has(stored.state) && (await hasCandidateSet(candidateSets, runId, stored))) {
    // a retried or replayed step: the computed set stands (an approval applies exactly it)
    const next = stored.state === 'awaitingApproval' ? 'awaitDecision' : stored.state === 'applying' ? 'apply' : 'none';
    if (next === 'awaitDecision') await runs.enterPhase(runId, 'removalApproval');
    return result(stored, next, await runs.stats(runId));
  }

  // the candidates are the owned records this run did not stage: on a lost staging that is all of them
  await assertStagingIntact(db, runId, 'reconcile');

  const skip = async (reason: string, note = true): Promise<ReconcileResult> => {
    const state: RunRemovalState = { state: 'skipped', reason, candidates: zero(), total: 0 };
    await runs.setRemoval(runId, state);
    if (note) await runs.addNote(runId, `nothing was removed: ${reason}`);
    return result(state, 'none', await runs.stats(runId));
  };

  if (run.mode !== 'full') return skip('incremental runs never remove: they do not read everything', false);

  // removals never follow a read that was not proven complete
  const { complete, resources: extracts } = await runs.readCompleteness(runId);
  if (extracts.length === 0) return skip('the run read nothing');
  if (!complete) {
    const incomplete = extracts.filter((e) => !e.complete);
    return skip(`the read was not proven complete (${incomplete.map((e) => `${e.path}: ${e.reason ?? 'not finished'}`).join('; ')})`);
  }

  // a record missing from staging would look gone: staging must hold every record that was read
  // (the marker catches a crash; this catches rows lost any other way)
  const activity = currentActivity();
  const staged = await new StagingRepository(db, runs).countAll(runId, activity);
  const read = extracts.reduce((sum, e) => sum + Number(e.fetched), 0);
  if (staged < read) {
    await forgetStaging(db, runId);
    throw new StagingLostError(`reconcile: staging holds ${staged} of the ${read} records this run read; the run reads its source again`);
  }

  const kinds = extracts.map((e) => e.resource);
  const active = zero();
  for (const kind of kinds) {
    active[kind] = await candidateSets.activeOwned(run.taskId, kind, sectionFor(run.snapshot.config, kind).templateCode, activity);
  }
  // an empty listing is how a broken filter, permission or server looks: it never removes
  const empty = extracts.filter((e) => Number(e.fetched) === 0 && active[e.resource] > 0);
  if (empty.length > 0) {
    return skip(`the source listed no records at ${empty.map((e) => `${e.path} (this task has ${active[e.resource]} active)`).join(', ')}; an empty listing never removes`);
  }

  const mappings = enabledKinds(run, kinds);
  if (mappings.length === 0) return skip('no mapping of this task has removal enabled', false);

  const candidates = zero();
  await db.transaction(async (tx) => {
    // a staging lost before this transaction makes every owned record a candidate; a crash during it aborts it
    await assertStagingIntact(tx, runId, 'reconcile');
    const computed = await candidateSets.compute(run, mappings, tx);
    for (const [kind, n] of computed) candidates[kind] = n;
  }, activity);

  const safety = run.snapshot.config.safety ?? {};
  const maxRemovalPercent = safety.maxRemovalPercent ?? DEFAULT_MAX_REMOVAL_PERCENT;
  const total = KINDS.reduce((n, k) => n + candidates[k], 0);
  const overPercent = mappings.filter((m) => candidates[m.kind] * 100 > maxRemovalPercent * active[m.kind]);
  const overCount = safety.maxRemovals !== undefined && safety.maxRemovals !== null && total > safety.maxRemovals;
  const exceeded = overPercent.length > 0 || overCount;
  const now = new Date();
  const state: RunRemovalState = {
    state: total === 0 ? 'applied' : exceeded ? 'awaitingApproval' : 'applying',
    candidates,
    total,
    threshold: { maxRemovalPercent, ...(safety.maxRemovals != null ? { maxRemovals: safety.maxRemovals } : {}), active, exceeded },
    computedAt: now.toISOString(),
    removed: 0,
  };
  if (total === 0) {
    state.decision = 'withinThreshold';
  } else if (exceeded) {
    const why = [
      ...overPercent.map((m) => `${candidates[m.kind]} of ${active[m.kind]} ${m.kind} records is more than ${maxRemovalPercent}%`),
      ...(overCount ? [`${total} removals is more than safety.maxRemovals ${safety.maxRemovals}`] : []),
    ].join('; ');
    state.reason = `${why}: waiting for approval`;
    state.decisionDeadline = new Date(now.getTime() + options.decisionTimeoutMs).toISOString();
  } else {
    state.decision = 'withinThreshold';
  }
  if (run.dryRun) return recordWouldBeRemovals(deps, run, state, exceeded);
  await runs.setRemoval(runId, state);
  if (exceeded && total > 0) {
    const rowId = await runs.rowOf(runId);
    await runs.addNote(
      runId,
      `removals above the safety threshold (${state.reason}); approve with POST /api/v1/runs/${rowId}/approve-removals or reject with /reject-removals before ${state.decisionDeadline}`,
    );
    await runs.enterPhase(runId, 'removalApproval');
  }
  return result(state, total === 0 ? 'none' : exceeded ? 'awaitDecision' : 'apply', await runs.stats(runId));
}

/**
 * A dry run stops at the computed set: each candidate becomes a `removed` outcome of the run (what
 * a real run would remove, or ask approval for), the state says `dryRun`, and nothing is marked.
 * Repeatable: a retry replaces the outcomes it recorded before.
 */
async function recordWouldBeRemovals(deps: RemovalDeps, run: PreparedRun, computed: RunRemovalState, exceeded: boolean): Promise<ReconcileResult> {
  const { db, runs } = deps;
  const total = computed.total ?? 0;
  const wouldWait = exceeded && total > 0;
  const message = wouldWait ? 'above the safety threshold: a real run would wait for approval before removing it' : null;
  await db.transaction(async (tx) => {
    await runs.recordCandidatesAsRemoved(run, message, tx);
    // the set lives on as outcomes; a dry run has nothing to approve
    await new RemovalCandidateRepository(db).drop(run.id, tx);
  });
  const reason = total === 0
    ? 'dry run: nothing would be removed'
    : wouldWait
      ? `dry run: ${computed.reason?.replace(/: waiting for approval$/, '') ?? 'above the safety threshold'}; a real run would wait for approval. Nothing was removed`
      : `dry run: ${total} records would be removed (within the safety threshold). Nothing was removed`;
  const state: RunRemovalState = { ...computed, state: 'dryRun', reason, removed: 0 };
  delete state.decision;
  delete state.decisionDeadline;
  await runs.setRemoval(run.id, state);
  await runs.setStats(run.id, { removed: total });
  return result(state, 'none', await runs.stats(run.id));
}

/** A stored state counts only if its candidate set is still there (finishRun drops it). */
async function hasCandidateSet(candidateSets: RemovalCandidateRepository, runId: string, stored: RunRemovalState): Promise<boolean> {
  if (stored.state === 'applied' || stored.state === 'rejected' || stored.state === 'expired') return true;
  return candidateSets.exists(runId);
}

/**
 * Step two: marks exactly the stored candidate set removed, in batches (one transaction each):
 * status attribute set to the mapping's removedValue, datacard status `removed`, one `removed`
 * outcome per datacard. A retry continues with the candidates not yet applied. A candidate that
 * another owner saw after the set was computed (possible while an approval waited) is left alone.
 */
export async function applyRemovals(deps: RemovalDeps, runId: string, decision: 'withinThreshold' | 'approved'): Promise<RemovalOutcome> {
  const { db, runs } = deps;
  const activity = currentActivity();
  const candidateSets = new RemovalCandidateRepository(db);
  const run = await preparedRun(runs, runId);
  await runs.enterPhase(runId, 'reconcile');
  const stored = (await runs.removal<RunRemovalState>(runId)) ?? { state: 'applying' };
  const decidedAt = stored.decidedAt ?? new Date().toISOString();
  await runs.setRemoval(runId, { ...stored, state: 'applying', decision, decidedAt });

  // seen since: pushed by another task's run, or found unchanged by its complete full read
  const seen = await candidateSets.dropSeenSince(runId, run.taskId, stored.computedAt ?? new Date(0).toISOString());
  const seenSinceComputed = (stored.seenSinceComputed ?? 0) + seen;
  if (seen > 0) {
    await runs.addNote(runId, `${seen} removal candidates were seen by another task after the set was computed and were not removed`);
  }

  for (const m of enabledKinds(run, KINDS)) {
    for (;;) {
      activity.throwIfCancelled();
      const marked = await db.transaction(async (tx) => {
        const batch = await candidateSets.applyBatch(run, { kind: m.kind, statusAttribute: m.removal.statusAttribute, removedValue: m.removal.removedValue }, deps.batchSize, tx);
        await runs.addStats(runId, { removed: batch.removed }, tx);
        return batch;
      });
      if (marked.batch === 0) break;
      activity.heartbeat({ kind: m.kind });
    }
  }

  // counted from the outcomes: a candidate already removed by someone else has none
  const removed = await runs.removedCount(runId);
  await runs.setRemoval(runId, { ...stored, state: 'applied', decision, decidedAt, removed, ...(seenSinceComputed > 0 ? { seenSinceComputed } : {}) });
  return { state: 'applied', removed, stats: await runs.stats(runId) };
}

/** Closes removals that were not approved: rejected by an operator, or expired without a decision. Nothing is removed. */
export async function declineRemovals(deps: RemovalDeps, runId: string, decision: 'rejected' | 'expired'): Promise<RemovalOutcome> {
  const { runs } = deps;
  await preparedRun(runs, runId);
  await runs.enterPhase(runId, 'reconcile');
  const stored = (await runs.removal<RunRemovalState>(runId)) ?? { state: 'awaitingApproval' };
  const reason = decision === 'rejected'
    ? 'an operator rejected the removals; nothing was removed'
    : `no decision before ${stored.decisionDeadline ?? 'the deadline'}; the removals expired and nothing was removed`;
  await runs.setRemoval(runId, { ...stored, state: decision, decision, decidedAt: stored.decidedAt ?? new Date().toISOString(), reason, removed: 0 });
  await runs.addNote(runId, reason);
  return { state: decision, removed: 0, stats: await runs.stats(runId) };
}
