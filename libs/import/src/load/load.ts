import type { LoadResult, ResourceKind } from '@app/temporal';
import {
  LoadBatchRepository,
  SightingRepository,
  StagingRepository,
  TargetWriter,
  withoutNestedLoops,
  type Db,
  type LoadWindow,
  type RunRepository,
  type RowToLoad,
  type Sql,
  type TargetStoreRepository,
  type UpsertedCard,
} from '@app/persistence';
import { currentActivity } from '../infrastructure/activity-context';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { ImportConfigError } from '../errors/import-errors';
import { preparedRun } from '../run-config/prepared-run';
import { KIND_LOAD_ORDER, reactivationOf, sectionFor, type MappingSectionConfig } from '../run-config/task-config';
import { workerMemory } from '../infrastructure/worker-memory';
import type { ProgressSignals } from '../infrastructure/progress-signals';

export interface LoadDeps {
  db: Db;
  runs: RunRepository;
  templates: TargetStoreRepository;
  batchSize: number;
  batchPauseMs: number;
  /** batches written at once, each in its own transaction */
  concurrency: number;
  /** tells the workflow how far the load has come (the Temporal UI's current details) */
  progress?: ProgressSignals;
}

interface BatchTarget {
  runId: string;
  /** the run row that shows the run (RunRepository.rowOf): per-record outcomes and counts go there */
  rowId: string;
  taskId: string;
  kind: ResourceKind;
  section: MappingSectionConfig;
  /** the reference attribute that holds a group's members, when memberships are mapped */
  membersLocal?: string;
  /** status attribute of a removed record: kept as removed unless the mapping reactivates */
  statusAttribute: string | null;
  /** value the status attribute gets when a removed record reappears (removal.reactivateValue) */
  reactivateValue: string | null;
}

/** The writers of a batch, each on its own tables; every call joins the batch's transaction. */
interface BatchWriters {
  staging: StagingRepository;
  batches: LoadBatchRepository;
  target: TargetWriter;
  sightings: SightingRepository;
  runs: RunRepository;
}

interface BatchCounts {
  created: number;
  updated: number;
}

/** Rows written to the target after which the load refreshes the target tables' statistics. */
const ANALYZE_AFTER_WRITES = 5000;

/**
 * Writes the created and updated records into the target store in batches, each batch in one
 * transaction: datacards, memberships, sightings (with the task cache) and per-record outcomes, and
 * one row that records the batch's key range written. A retried load skips the recorded ranges; unchanged
 * records were settled by extract and write nothing (they are only counted). A removed datacard that reappears keeps its removed
 * status attribute, unless the mapping has `removal.reactivateValue`: then it gets that value
 * and status active again.
 *
 * No statement of a batch joins staging to the target tables: each reads staging by key range,
 * or a target table by its own key, or arrays the batch built in node. Such plans stay linear in
 * the batch whatever the planner's statistics say about tables this very run is filling.
 */
export async function loadRun(deps: LoadDeps, runId: string): Promise<LoadResult> {
  const { db, runs } = deps;
  const activity = currentActivity();
  const run = await preparedRun(runs, runId);
  if (run.dryRun) throw new ImportConfigError(`run ${runId} is a dry run: it must not load`);
  const writers: BatchWriters = { staging: new StagingRepository(db, runs), batches: new LoadBatchRepository(db), target: new TargetWriter(db), sightings: new SightingRepository(db), runs };
  await runs.enterPhase(runId, 'load');
  await assertStagingIntact(db, runId, 'load');
  // one probe of the to-load index per kind: a kind with nothing changed is not walked at all
  const present = new Set<ResourceKind>();
  for (const kind of KIND_LOAD_ORDER) {
    if (await writers.staging.hasRecordsToLoad(runId, kind)) present.add(kind);
  }

  const totals = { batches: 0, created: 0, updated: 0, unchanged: 0 };
  const kinds = KIND_LOAD_ORDER.filter((k) => present.has(k));
  // accounts first: group members resolve through the sightings their load writes
  for (const kind of kinds) {
    const section = sectionFor(run.snapshot.config, kind);
    await assertFolderHolds(deps.templates, section.folderCode, section.templateCode);
    const reactivation = reactivationOf(section);
    const target: BatchTarget = {
      runId,
      rowId: run.rowId,
      taskId: run.taskId,
      kind,
      section,
      membersLocal: kind === 'access' ? section.members?.local : undefined,
      statusAttribute: section.removal?.statusAttribute ?? null,
      reactivateValue: reactivation?.value ?? null,
    };
    // keyset over the to-load index: skipping the loaded prefix from the start every batch is
    // quadratic. Up to `concurrency` batches run at once, each in its own transaction on its own
    // key range (they share no rows; only the run's counts serialise their last statement), so
    // the database writes on more than one core while node prepares the next batch.
    //
    // What committed batches of an earlier attempt wrote is recorded as key ranges, in key order:
    // a window ends where the next recorded range starts, and the walk goes on after it.
    const loaded = await writers.batches.loadedRanges(runId, kind);
    let next = 0;
    let after = '';
    let written = 0;
    const inFlight: Array<Promise<BatchCounts>> = [];
    const settle = async (batch: Promise<BatchCounts>) => {
      const counts = await batch;
      totals.batches += 1;
      totals.created += counts.created;
      totals.updated += counts.updated;
      written += counts.created + counts.updated;
      activity.heartbeat({ resource: kind, batches: totals.batches });
      deps.progress?.tick();
      if (deps.batchPauseMs > 0) await new Promise((r) => setTimeout(r, deps.batchPauseMs));
    };
    try {
      for (;;) {
        activity.throwIfCancelled();
        // a batch holds its groups' members in memory (twice for updated groups): it ends where the
        // members would pass what this worker's heap holds (at least one group; extract refused larger ones)
        const last = await writers.staging.nextLoadWindow({
          runId,
          kind,
          after,
          upTo: loaded[next]?.after,
          size: deps.batchSize,
          memberLimit: target.membersLocal ? workerMemory().memberLimit : undefined,
        });
        if (last === null) {
          if (next >= loaded.length) break;
          // everything up to the next recorded range is written: go on after it
          after = loaded[next].last;
          next += 1;
          continue;
        }
        const window: LoadWindow = { runId, kind, after, last };
        // heartbeats while the batch runs; a cancelled (or timed-out) attempt cancels its statement
        // instead of holding its row locks while the next attempt waits on them
        const batch = db.transaction((tx) => applyBatch(tx, writers, target, window), activity);
        batch.catch(() => undefined);
        inFlight.push(batch);
        after = last;
        if (inFlight.length >= Math.max(1, deps.concurrency)) await settle(inFlight.shift() as Promise<BatchCounts>);
      }
      while (inFlight.length > 0) await settle(inFlight.shift() as Promise<BatchCounts>);
    } finally {
      // nothing returns (or fails) while a batch of this attempt may still be writing
      await Promise.allSettled(inFlight);
    }
    // group members resolve through the sightings the accounts just wrote: on a first run the
    // planner would otherwise probe a table it believes empty
    if (kind === 'identity' && kinds.includes('access') && written >= ANALYZE_AFTER_WRITES) {
      await writers.target.analyzeForMemberLookup(activity);
    }
  }
  await assertStagingIntact(db, runId, 'load');
  if ((await runs.stagingRedos(runId)) > 0) {
    // the run read its source again after staging was lost: records loaded before have their
    // outcome already (created stays created); the redo's second outcome of a record goes
    await db.transaction(async (tx) => {
      await withoutNestedLoops(tx);
      await runs.dropRepeatedOutcomes(run.rowId, tx);
    }, activity);
    await runs.recomputeStats(runId);
  }
  // the batches' plans do not depend on the target tables' statistics, but what reads these tables
  // next does (removal reconciliation, the next run's diff). Small loads leave it to autovacuum:
  // analysing 100k-row tables for 1,000 writes costs seconds.
  if (totals.created + totals.updated >= ANALYZE_AFTER_WRITES) await writers.target.analyzeAfterLoad(activity);
  // unchanged records wrote nothing and have no outcome row: they are counted from staging
  totals.unchanged = await runs.countUnchanged(runId);
  await runs.setStats(runId, { unchanged: totals.unchanged });
  return { ...totals, stats: await runs.stats(runId) };
}

/** Throws ImportConfigError unless the folder exists and holds datacards of the template. */
async function assertFolderHolds(templates: TargetStoreRepository, folderCode: string, templateCode: string): Promise<void> {
  const held = await templates.templateOfFolder(folderCode);
  if (held === null) throw new ImportConfigError(`folder "${folderCode}" does not exist`);
  if (held !== templateCode) throw new ImportConfigError(`folder "${folderCode}" holds template ${held}, not ${templateCode}`);
}

/**
 * Loads the batch window in one transaction, table by table: the window's rows locked, their
 * groups' members resolved, datacards upserted, outcomes recorded, memberships linked, the
 * sightings written with what was pushed, the batch recorded, the run's counts added.
 */
async function applyBatch(tx: Sql, w: BatchWriters, t: BatchTarget, window: LoadWindow): Promise<BatchCounts> {
  // a batch on a lost staging would find nothing to load; a crash during the batch aborts it
  await assertStagingIntact(tx, t.runId, 'load');
  const rows = await w.staging.lockLoadWindow({ window, withMembers: t.membersLocal !== undefined }, tx);
  if (rows.length === 0) return { created: 0, updated: 0 };
  // another attempt that wrote these rows has committed by the time the locks are ours: nothing
  // here may be written twice, and this attempt's windows are out of date (a retry starts after
  // what is recorded)
  if (await w.batches.overlapsLoaded(window, tx)) {
    throw new Error(`load: another attempt loaded part of ${t.kind} records (${window.after}, ${window.last}] meanwhile; this attempt stops and a retry skips them`);
  }

  const members = t.membersLocal ? await resolveMembers(tx, w, t, rows) : new Map<string, string[]>();
  const partial = new Set(rows.filter((r) => r.message !== null).map((r) => r.sourceId));

  // the batch's existing datacards, before the upsert changes them: whether a pushed one was
  // removed (only asked when the mapping reactivates)
  const existing = new Map<string, { id: string; status: string }>();
  if (t.reactivateValue !== null) {
    for (const d of await w.target.existingCards({ templateCode: t.section.templateCode, uniqueValues: rows.map((r) => r.uniqueValue) }, tx)) existing.set(d.uniqueValue, d);
  }

  // datacard of each record, by unique value
  const upserted = new Map<string, UpsertedCard>();
  const cards = await w.target.upsertDatacards(
    {
      window,
      templateCode: t.section.templateCode,
      folderCode: t.section.folderCode,
      taskId: t.taskId,
      statusAttribute: t.statusAttribute,
      reactivateValue: t.reactivateValue,
      membersAttribute: t.membersLocal ?? null,
      membersByGroup: t.membersLocal ? members : null,
    },
    tx,
  );
  for (const d of cards) upserted.set(d.uniqueValue, d);

  // per-record outcomes and the datacard each record now has
  const counts: BatchCounts = { created: 0, updated: 0 };
  const outcome = { sourceIds: [] as string[], uniqueValues: [] as string[], datacardIds: [] as string[], outcomes: [] as string[], messages: [] as Array<string | null> };
  for (const r of rows) {
    const card = upserted.get(r.uniqueValue);
    if (!card) throw new Error(`load: datacard upsert returned no row for unique value ${r.uniqueValue}`);
    const result = card.inserted ? 'created' : 'updated';
    const reactivated = t.reactivateValue !== null && existing.get(r.uniqueValue)?.status === 'removed';
    const message = reactivated ? (r.message === null ? 'reactivated' : `reactivated; ${r.message}`) : r.message;
    counts[result] += 1;
    outcome.sourceIds.push(r.sourceId);
    outcome.uniqueValues.push(r.uniqueValue);
    outcome.datacardIds.push(card.id);
    outcome.outcomes.push(result);
    outcome.messages.push(message);
  }
  await w.runs.recordLoadOutcomes({ rowId: t.rowId, kind: t.kind, ...outcome }, tx);

  if (t.membersLocal) await linkMembers(tx, w, t.membersLocal, rows, upserted, members);

  // who saw what in which run and what it pushed, one row per record (only what it wrote; unchanged
  // records count through the seen set): group members resolve through it, removal reads it, the
  // next run's decision compares with its hash. A group pushed with unresolved members is cached
  // as partial so the next run pushes it again.
  const hashes = rows.map((r) => (partial.has(r.sourceId) ? `${r.hash}:partial` : r.hash));
  await w.sightings.recordPushed({ taskId: t.taskId, runId: t.runId, kind: t.kind, datacardIds: outcome.datacardIds, sourceIds: outcome.sourceIds, hashes }, tx);
  await w.batches.recordLoaded({ window, rows: rows.length }, tx);
  await w.runs.addLoadCounts({ rowId: t.rowId, created: counts.created, updated: counts.updated }, tx);
  return counts;
}

/**
 * Group source id -> the account datacards its members resolved to: the datacards this task has
 * sighted (this run's accounts were loaded first), in one lookup of the batch's distinct members.
 * A group with unresolved members says so in its outcome message (`message` of its row) and is
 * cached as partial (pushed again next run).
 */
async function resolveMembers(tx: Sql, w: BatchWriters, t: BatchTarget, rows: RowToLoad[]): Promise<Map<string, string[]>> {
  const wanted = [...new Set(rows.flatMap((r) => r.members ?? []))];
  const cardOfMember = new Map<string, string>();
  if (wanted.length > 0) {
    for (const r of await w.sightings.accountCardsOf({ taskId: t.taskId, sourceIds: wanted }, tx)) cardOfMember.set(r.sourceId, r.datacardId);
  }
  const members = new Map<string, string[]>();
  for (const r of rows) {
    const ids = new Set<string>();
    const missing: string[] = [];
    for (const m of r.members ?? []) {
      const card = cardOfMember.get(m);
      if (card === undefined) missing.push(m);
      else ids.add(card);
    }
    members.set(r.sourceId, [...ids].sort());
    r.message = missing.length > 0 ? `members without an account of this task: ${missing.sort().join(', ').slice(0, 500)}` : null;
  }
  return members;
}

/**
 * Memberships as links too, changed in place so unchanged members are not rewritten; pairs of
 * (group card, member card) built here, so no statement joins the batch with the target tables.
 */
async function linkMembers(tx: Sql, w: BatchWriters, attributeCode: string, rows: RowToLoad[], upserted: Map<string, UpsertedCard>, members: Map<string, string[]>): Promise<void> {
  const created = { groupIds: [] as string[], targetIds: [] as string[] };
  const known = { groupIds: [] as string[], targetIds: [] as string[] };
  // group card -> its members as object keys, so the check per link is a key lookup
  const keep: Record<string, Record<string, true>> = {};
  for (const r of rows) {
    const card = upserted.get(r.uniqueValue) as UpsertedCard;
    const ids = members.get(r.sourceId) ?? [];
    // a card this batch created has no links yet: nothing to drop, nothing to conflict with
    // (members are distinct), so its links skip the conflict check
    const into = card.inserted ? created : known;
    for (const id of ids) {
      into.groupIds.push(card.id);
      into.targetIds.push(id);
    }
    if (!card.inserted) keep[card.id] = Object.fromEntries(ids.map((id) => [id, true] as const));
  }
  const updatedGroups = Object.keys(keep);
  if (updatedGroups.length > 0) await w.target.dropLinksNotKept({ groupIds: updatedGroups, attributeCode, keep }, tx);
  for (const [pairs, newGroups] of [[created, true], [known, false]] as const) {
    if (pairs.groupIds.length === 0) continue;
    await w.target.insertLinks({ attributeCode, groupIds: pairs.groupIds, targetIds: pairs.targetIds, newGroups }, tx);
  }
}
