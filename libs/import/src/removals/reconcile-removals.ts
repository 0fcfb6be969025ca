import type { PerKind, ReconcileOptions, ReconcileResult, RemovalOutcome, ResourceKind, RunRemovalState } from '@app/temporal';
import { currentActivity } from '../infrastructure/activity-context';
import type { Db, Sql } from '@app/persistence';
import { StagingLostError } from '../errors/import-errors';
import type { RunRepository, RunAtWork } from '@app/persistence';
import { assertStagingIntact, forgetStaging } from '@app/persistence';
import { withoutNestedLoops } from '@app/persistence';
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

/**
 * When each other task last read everything: the start of its latest succeeded full run (not a
 * dry run) whose every extract was proven complete (a resumed run read at its root's start), and
 * that run's seen set: its staged unchanged ids, kept by finishRun under the id its activities
 * carried; seen_set_at says when it was kept (NULL for runs from before seen sets, which
 * refreshed every sighting instead).
 * A task with no such run yet has NULL, which the owner rule treats as "still sees everything it
 * sighted". `taskParam` is the statement's parameter that holds the asking task (left out).
 */
const otherOwnersReads = (taskParam: string) => `
  SELECT t.id AS task_id, b.read_started_at, b.seen_run, b.seen_set_at
    FROM import_task t
    LEFT JOIN LATERAL (
      SELECT COALESCE(root.started_at, r.started_at) AS read_started_at, COALESCE(r.resume_root_id, r.id) AS seen_run, r.seen_set_at
        FROM run r LEFT JOIN run root ON root.id = r.resume_root_id
       WHERE r.task_id = t.id AND r.status = 'succeeded' AND r.mode = 'full' AND NOT r.dry_run
         AND jsonb_array_length(r.extract_reports) > 0
         AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.extract_reports) e WHERE (e->>'complete') IS DISTINCT FROM 'true')
       ORDER BY r.started_at DESC LIMIT 1) b ON true
   WHERE t.id <> ${taskParam}`;

/**
 * Whether the other owner's sighting `o` (joined with its task's row of otherOwnersReads as
 * `reads`) still sees its datacard: the task never completed a full read, or its latest complete
 * full read (or a later run) pushed the record, or that read found it unchanged or still listed
 * it while it failed on its own (its seen set).
 */
const OTHER_OWNER_SEES = `(reads.read_started_at IS NULL OR o.last_seen_at >= reads.read_started_at
    OR (reads.seen_set_at IS NOT NULL
        AND (EXISTS (SELECT 1 FROM staging_record st
                      WHERE st.run_id = reads.seen_run AND st.resource = o.kind AND st.source_id = o.source_id
                        AND st.decision IN ('unchanged', 'failed'))
             -- a seen set that crash recovery emptied (its marker is gone too) cannot tell: it sees
             OR NOT EXISTS (SELECT 1 FROM staging_marker m WHERE m.run_id = reads.seen_run))))`;

/**
 * The removal rule, for one mapping of task $3 in run $1 (template $4, kind $2). A datacard is
 * a candidate when
 *  - this task has a sighting of it (it owns it) of this kind, and it is not removed yet;
 *  - this run neither loaded it (sighting from an earlier run) nor staged its source id (a
 *    record that is still listed, unchanged or failing to map, is seen, not gone);
 *  - no other existing task still sees it (OTHER_OWNER_SEES), and none that never completed a
 *    full read has a sighting at all.
 * Run without nested loops (staging-plans.ts): it sets every sighting of the task against the
 * run's staging, and a run that read far less than the task owns must not make that quadratic.
 */
export const INSERT_CANDIDATES = `
  WITH reads AS MATERIALIZED (${otherOwnersReads('$3')})
  INSERT INTO removal_candidate (run_id, datacard_id, kind)
  SELECT $1, d.id, $2
    FROM datacard_sighting s
    JOIN datacard d ON d.id = s.datacard_id
   WHERE s.task_id = $3 AND s.kind = $2 AND d.template_code = $4
     AND s.last_run_id <> $1
     AND d.status <> 'removed'
     AND NOT EXISTS (SELECT 1 FROM staging_record st WHERE st.run_id = $1 AND st.resource = $2 AND st.source_id = s.source_id)
     AND NOT EXISTS (
       SELECT 1 FROM datacard_sighting o JOIN reads ON reads.task_id = o.task_id
        WHERE o.datacard_id = d.id AND ${OTHER_OWNER_SEES})
  ON CONFLICT DO NOTHING`;

/** Records of one mapping this task owns and has not removed: the base of the percentage. */
const ACTIVE_OWNED = `
  SELECT count(*) AS n FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id
   WHERE s.task_id = $1 AND s.kind = $2 AND d.template_code = $3 AND d.status <> 'removed'`;

function enabledKinds(run: RunAtWork, kinds: readonly ResourceKind[]): Array<{ kind: ResourceKind; templateCode: string; removal: RemovalConfig }> {
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
  const run = await runs.get(runId);
  await runs.enterPhase(runId, 'reconcile');

  const stored = await runs.removal<RunRemovalState>(runId);
  if (stored && DECIDED_OR_PENDING.has(stored.state) && (await hasCandidateSet(db, runId, stored))) {
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

  const { rows: extracts } = await db.query<{ resource: ResourceKind; path: string; done: boolean; fetched: number; complete: boolean | null; why: string | null }>(
    `SELECT resource, path, done, fetched, (report->>'complete')::boolean AS complete, report->>'reason' AS why FROM run_extract WHERE run_id = $1 ORDER BY resource`,
    [runId],
  );
  if (extracts.length === 0) return skip('the run read nothing');
  const incomplete = extracts.filter((e) => !e.done || e.complete !== true);
  if (incomplete.length > 0) {
    return skip(`the read was not proven complete (${incomplete.map((e) => `${e.path}: ${e.why ?? 'not finished'}`).join('; ')})`);
  }

  // a record missing from staging would look gone: staging must hold every record that was read
  // (the marker catches a crash; this catches rows lost any other way)
  const activity = currentActivity();
  const { rows: stagedRows } = await db.longQuery<{ n: string }>(activity, `SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [runId]);
  const read = extracts.reduce((sum, e) => sum + Number(e.fetched), 0);
  if (Number(stagedRows[0].n) < read) {
    await forgetStaging(db, runId);
    throw new StagingLostError(`reconcile: staging holds ${stagedRows[0].n} of the ${read} records this run read; the run reads its source again`);
  }

  const kinds = extracts.map((e) => e.resource);
  const active = zero();
  for (const kind of kinds) {
    const { rows } = await db.longQuery<{ n: string }>(activity, ACTIVE_OWNED, [run.taskId, kind, sectionFor(run.snapshot.config, kind).templateCode]);
    active[kind] = Number(rows[0].n);
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
    await tx.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [runId]);
    await withoutNestedLoops(tx);
    for (const m of mappings) {
      const inserted = await tx.query(INSERT_CANDIDATES, [runId, m.kind, run.taskId, m.templateCode]);
      candidates[m.kind] = inserted.rowCount ?? 0;
    }
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
async function recordWouldBeRemovals(deps: RemovalDeps, run: RunAtWork, computed: RunRemovalState, exceeded: boolean): Promise<ReconcileResult> {
  const { db, runs } = deps;
  const total = computed.total ?? 0;
  const wouldWait = exceeded && total > 0;
  const message = wouldWait ? 'above the safety threshold: a real run would wait for approval before removing it' : null;
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM run_record WHERE run_id = $1 AND outcome = 'removed'`, [run.rowId]);
    await tx.query(
      `INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome, message)
       SELECT $2, c.kind, s.source_id, d.unique_value, d.id, 'removed', $4
         FROM removal_candidate c JOIN datacard d ON d.id = c.datacard_id
         LEFT JOIN datacard_sighting s ON s.datacard_id = d.id AND s.task_id = $3
        WHERE c.run_id = $1 ORDER BY c.kind, d.id`,
      [run.id, run.rowId, run.taskId, message],
    );
    // the set lives on as outcomes; a dry run has nothing to approve
    await tx.query(`DELETE FROM removal_candidate WHERE run_id = $1`, [run.id]);
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
async function hasCandidateSet(db: Sql, runId: string, stored: RunRemovalState): Promise<boolean> {
  if (stored.state === 'applied' || stored.state === 'rejected' || stored.state === 'expired') return true;
  const { rows } = await db.query(`SELECT 1 FROM removal_candidate WHERE run_id = $1 LIMIT 1`, [runId]);
  return rows.length > 0;
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
  const run = await runs.get(runId);
  await runs.enterPhase(runId, 'reconcile');
  const rowId = await runs.rowOf(runId);
  const stored = (await runs.removal<RunRemovalState>(runId)) ?? { state: 'applying' };
  const decidedAt = stored.decidedAt ?? new Date().toISOString();
  await runs.setRemoval(runId, { ...stored, state: 'applying', decision, decidedAt });

  // seen since: pushed by another task's run, or found unchanged by its complete full read
  const seen = await db.query(
    `WITH reads AS MATERIALIZED (${otherOwnersReads('$2')})
     DELETE FROM removal_candidate c
      WHERE c.run_id = $1 AND NOT c.applied
        AND EXISTS (
          SELECT 1 FROM datacard_sighting o LEFT JOIN reads ON reads.task_id = o.task_id
           WHERE o.datacard_id = c.datacard_id AND o.task_id <> $2
             AND (o.last_seen_at > $3 OR (reads.seen_set_at > $3 AND ${OTHER_OWNER_SEES})))`,
    [runId, run.taskId, stored.computedAt ?? new Date(0).toISOString()],
  );
  const seenSinceComputed = (stored.seenSinceComputed ?? 0) + (seen.rowCount ?? 0);
  if ((seen.rowCount ?? 0) > 0) {
    await runs.addNote(runId, `${seen.rowCount} removal candidates were seen by another task after the set was computed and were not removed`);
  }

  for (const m of enabledKinds(run, KINDS)) {
    for (;;) {
      activity.throwIfCancelled();
      const marked = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ batch: string; removed: string }>(
          `WITH batch AS MATERIALIZED (
             SELECT c.datacard_id FROM removal_candidate c
              WHERE c.run_id = $1 AND c.kind = $2 AND NOT c.applied
              ORDER BY c.datacard_id LIMIT $3 FOR UPDATE),
           marked AS (
             UPDATE datacard d SET attributes = d.attributes || jsonb_build_object($5::text, $6::text),
                    status = 'removed', task_id = $4, updated_at = now()
               FROM batch b WHERE d.id = b.datacard_id AND d.status <> 'removed'
             RETURNING d.id, d.unique_value),
           rec AS (
             INSERT INTO run_record (run_id, kind, source_id, unique_value, datacard_id, outcome)
             SELECT $7, $2, s.source_id, m.unique_value, m.id, 'removed'
               FROM marked m LEFT JOIN datacard_sighting s ON s.datacard_id = m.id AND s.task_id = $4
             RETURNING 1),
           done AS (
             UPDATE removal_candidate c SET applied = true FROM batch b WHERE c.run_id = $1 AND c.datacard_id = b.datacard_id RETURNING 1)
           SELECT (SELECT count(*) FROM done) AS batch, (SELECT count(*) FROM rec) AS removed`,
          [runId, m.kind, deps.batchSize, run.taskId, m.removal.statusAttribute, m.removal.removedValue, rowId],
        );
        const removed = Number(rows[0].removed);
        await runs.addStats(runId, { removed }, tx);
        return { batch: Number(rows[0].batch), removed };
      });
      if (marked.batch === 0) break;
      activity.heartbeat({ kind: m.kind });
    }
  }

  // counted from the outcomes: a candidate already removed by someone else has none
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM run_record WHERE run_id = $1 AND outcome = 'removed'`, [rowId]);
  const removed = Number(rows[0].n);
  await runs.setRemoval(runId, { ...stored, state: 'applied', decision, decidedAt, removed, ...(seenSinceComputed > 0 ? { seenSinceComputed } : {}) });
  return { state: 'applied', removed, stats: await runs.stats(runId) };
}

/** Closes removals that were not approved: rejected by an operator, or expired without a decision. Nothing is removed. */
export async function declineRemovals(deps: RemovalDeps, runId: string, decision: 'rejected' | 'expired'): Promise<RemovalOutcome> {
  const { runs } = deps;
  await runs.get(runId);
  await runs.enterPhase(runId, 'reconcile');
  const stored = (await runs.removal<RunRemovalState>(runId)) ?? { state: 'awaitingApproval' };
  const reason = decision === 'rejected'
    ? 'an operator rejected the removals; nothing was removed'
    : `no decision before ${stored.decisionDeadline ?? 'the deadline'}; the removals expired and nothing was removed`;
  await runs.setRemoval(runId, { ...stored, state: decision, decision, decidedAt: stored.decidedAt ?? new Date().toISOString(), reason, removed: 0 });
  await runs.addNote(runId, reason);
  return { state: decision, removed: 0, stats: await runs.stats(runId) };
}
