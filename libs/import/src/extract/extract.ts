import { ScimConfigError, composeIncrementalFilter, type ListPosition, type ScimClient } from '@app/scim';
import type { ExtractResult, ResourceKind } from '@app/temporal';
import type { PageDecisionContext, RunRepository, StagingRepository, TargetStoreRepository } from '@app/persistence';
import { currentActivity, keepHeartbeating, type HeartbeatKeeper } from '../infrastructure/activity-context';
import { ImportConfigError, StagingLostError } from '../errors/import-errors';
import { toApplicationFailure } from '../errors/to-application-failure';
import { preparedRun, type PreparedRun } from '../run-config/prepared-run';
import { resourcesFor, sectionFor } from '../run-config/task-config';
import { workerMemory, type PageReservation } from '../infrastructure/worker-memory';
import { StagingIdTracker } from './staging-id-tracker';
import { listingRejectionMessage } from './record-messages';
import { completeStaged, type EntryWork, type MemberLimits } from './staged-records';
import { pageMapping, type PageMapping } from './page-mapping';
import { pageThreads, settledEntries, stagedEntryDigester } from './page-threads';
import type { ImportLogger } from '../create-activities';
import { pageDecisionContext } from './page-decision';
import { chooseProjection, PROJECTION_FALLBACK_NOTE, rejectsProjection, type ProjectionChoice } from './attribute-projection';
import type { ProgressSignals } from '../infrastructure/progress-signals';

/** A page's resources as staging records; preview and the page-heap bench read pages with it too. */
export { toStaged, type MemberLimits } from './staged-records';

/** Heartbeat details of extract: a position, never records. */
interface ExtractHeartbeat {
  resource: ResourceKind;
  position: ListPosition;
  pages: number;
  fullRead: boolean;
}

/** Pages written to staging at once (own transaction each; their checkpoints commit in order). */
const PAGE_WRITES_IN_FLIGHT = 2;

export const FILTER_FALLBACK_NOTE = 'server cannot filter on meta.lastModified; read everything';

export interface ExtractDeps {
  runs: RunRepository;
  staging: StagingRepository;
  /** opens the SCIM client of the run's connector (decrypts its secret); `signal` aborts its requests */
  connect(connectorId: string, signal?: AbortSignal): Promise<{ client: ScimClient; redact(text: string): string }>;
  memberFetchConcurrency: number;
  /** worker threads that parse, map and hash pages (page-threads.ts); 0 or absent: the event loop does */
  pageThreads?: number;
  /** told when page threads cannot run here */
  logger?: Pick<ImportLogger, 'warn'>;
  /** when given, records are mapped and decided on the way in (page-mapping.ts, page-decision.ts) */
  templates?: TargetStoreRepository;
  /** tells the workflow how far the read has come (the Temporal UI's current details) */
  progress?: ProgressSignals;
}

/** A 400 invalidFilter or a 501: the server cannot evaluate the changed-since filter. */
function rejectsFilter(err: unknown): boolean {
  return err instanceof ScimConfigError && (err.status === 501 || (err.status === 400 && err.scimType?.toLowerCase() === 'invalidfilter'));
}

/**
 * The extract activity: reads one resource of the run from the SCIM source page by page, and on
 * the way into staging maps each page's records (page-mapping.ts) and decides create / update /
 * unchanged for those it mapped (page-decision.ts), in the page's transaction with its
 * checkpoint. What it could not map stays raw for the map step; only the map step's records are
 * left for diff to decide. Resumes from the last heartbeat after a retry and from the database
 * checkpoint after a reset.
 */
export async function extract(deps: ExtractDeps, runId: string, resource: ResourceKind): Promise<ExtractResult> {
  // a slow source may take longer for one page than the heartbeat timeout: beat on a timer while
  // waiting, so only the connector's request timeout limits a request
  const activity = keepHeartbeating(currentActivity());
  try {
    return await extractResource(deps, runId, resource, activity);
  } finally {
    activity.stop();
  }
}

async function extractResource(deps: ExtractDeps, runId: string, resource: ResourceKind, activity: HeartbeatKeeper): Promise<ExtractResult> {
  const { runs, staging } = deps;
  const run = await preparedRun(runs, runId);
  await runs.enterPhase(runId, 'extract');
  const spec = resourcesFor(run.snapshot.mappingsType, run.snapshot.config).find((r) => r.kind === resource);
  if (!spec) throw new ImportConfigError(`task ${run.snapshot.taskName} does not read "${resource}"`);

  // staging is UNLOGGED: a database crash (or a restore) empties it while the checkpoints survive.
  // Resuming from them would lose every record read before, so the whole read starts over; when a
  // resource read before this one lost its records too, the workflow goes back to that one.
  const markerLost = await staging.lost(runId);
  if (markerLost) {
    const before = await staging.resetAfterLoss(
      runId,
      (redo) => `staged records were lost (PostgreSQL crash recovery or restore) while reading ${spec.path}; the run reads its source again from the start (redo ${redo})`,
    );
    const order = resourcesFor(run.snapshot.mappingsType, run.snapshot.config).map((r) => r.kind);
    const earlier = order.slice(0, order.indexOf(resource));
    if (before.some((b) => earlier.includes(b.resource) && (b.done || b.fetched > 0))) {
      throw new StagingLostError(`extract ${spec.path}: records read earlier in this run are no longer staged; the run reads its source again`);
    }
  }
  let checkpoint = await staging.checkpoint<ListPosition>(runId, resource);
  const stagingLost = markerLost || (checkpoint !== undefined && checkpoint.fetched > 0 && (await staging.count(runId, resource)) < checkpoint.fetched);
  if (stagingLost && !markerLost && checkpoint) {
    await runs.addNote(runId, `${spec.path}: records staged before a database restart were lost; the read starts over`);
    await staging.beginExtract(runId, resource, spec.path, checkpoint.fullRead, true);
    checkpoint = { position: null, pages: 0, fetched: 0, fullRead: checkpoint.fullRead, done: false, projection: null };
  }
  if (checkpoint?.done) return resultOf(resource, checkpoint, await runs.stats(runId), true);
  const since = run.mode === 'incremental' && run.snapshot.since ? new Date(run.snapshot.since) : undefined;
  if (!checkpoint) {
    await staging.beginExtract(runId, resource, spec.path, since === undefined, false);
    checkpoint = { position: null, pages: 0, fetched: 0, fullRead: since === undefined, done: false, projection: null };
  }
  // The database checkpoint commits with each page; a heartbeat is only newer if it is further on.
  let resumeFrom = checkpoint.position ?? undefined;
  const beat = activity.heartbeatDetails<ExtractHeartbeat>();
  if (!stagingLost && beat && beat.resource === resource && beat.fullRead === checkpoint.fullRead && beat.pages > checkpoint.pages) resumeFrom = beat.position;

  const mapping = await pageMapping(deps.templates, run.snapshot, resource);
  // what mapped records are decided against; diff decides them again only if a clear boundary passes meanwhile
  const decide = mapping && pageDecisionContext(run.taskId, run.snapshot.config, sectionFor(run.snapshot.config, resource));
  const { client, redact } = await deps.connect(run.snapshot.connector.id, activity.signal);
  const membersMapped = resource === 'access' && !!sectionFor(run.snapshot.config, resource).members?.local;
  const reading: ListingReading = { deps, run, runId, resource, spec, client, activity, mapping, decide, membersMapped };
  try {
    // a read that goes on lists as it began (its choice is kept with its checkpoint); one that starts asks the source
    if (resumeFrom !== undefined && checkpoint.projection) reading.attributes = checkpoint.projection.attributes ?? undefined;
    else {
      const choice = await chooseListingProjection(reading, since !== undefined && !checkpoint.fullRead ? since : undefined);
      reading.attributes = choice.attributes;
      if (choice.note) await runs.addNote(runId, redact(choice.note));
      await staging.recordProjection(runId, resource, choice.attributes ?? null);
    }
    let fullRead = checkpoint.fullRead;
    let pages = checkpoint.pages;
    let read: { complete: boolean; pages: number };
    for (;;) {
      try {
        read = await readListing(reading, { fullRead, since, resumeFrom, pages });
        break;
      } catch (err) {
        const message = () => redact(err instanceof Error ? err.message : String(err));
        if (!fullRead && rejectsFilter(err)) {
          await runs.addNote(runId, `${FILTER_FALLBACK_NOTE} (${spec.path}: ${message()})`);
          fullRead = true;
          resumeFrom = undefined;
          pages = 0;
          await staging.beginExtract(runId, resource, spec.path, true, true);
          await staging.recordProjection(runId, resource, reading.attributes ?? null);
          continue;
        }
        if (reading.attributes && rejectsProjection(err)) {
          // records read projected map as whole ones would: the read goes on whole from its last checkpoint
          await runs.addNote(runId, `${PROJECTION_FALLBACK_NOTE} (${spec.path}: ${message()})`);
          reading.attributes = undefined;
          await staging.recordProjection(runId, resource, null);
          const at = await staging.checkpoint<ListPosition>(runId, resource);
          resumeFrom = at?.position ?? undefined;
          pages = at?.pages ?? 0;
          continue;
        }
        throw err;
      }
    }
    const after = await staging.checkpoint<ListPosition>(runId, resource);
    return {
      resource,
      fetched: after?.fetched ?? 0,
      pages: after?.pages ?? read.pages,
      complete: read.complete,
      fullReadFallback: fullRead && since !== undefined,
      stats: await runs.stats(runId),
    };
  } catch (err) {
    // a cancel aborts the request in flight; whatever that request then threw, the activity was cancelled
    activity.throwIfCancelled();
    throw toApplicationFailure(err, redact);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * chooseProjection for a read: an incremental read checks on its changed-since page; a source that
 * cannot filter on it is checked on the whole listing (the read then falls back to a full read).
 */
async function chooseListingProjection({ run, resource, spec, client }: ListingReading, since: Date | undefined): Promise<ProjectionChoice> {
  const { config, connector } = run.snapshot;
  const choose = (checkFilter?: string) => chooseProjection(client, config, resource, spec, connector.attributeProjection, connector.pageSize, checkFilter);
  if (!since) return choose(spec.filter);
  try {
    return await choose(composeIncrementalFilter(spec.filter, since));
  } catch (err) {
    if (!rejectsFilter(err)) throw err;
    return choose(spec.filter);
  }
}

function resultOf(resource: ResourceKind, cp: { fetched: number; pages: number; fullRead: boolean }, stats: ExtractResult['stats'], complete: boolean): ExtractResult {
  return { resource, fetched: cp.fetched, pages: cp.pages, complete, fullReadFallback: cp.fullRead, stats };
}

/** What one read of a resource's listing works with. */
interface ListingReading {
  deps: ExtractDeps;
  run: PreparedRun;
  runId: string;
  resource: ResourceKind;
  spec: { path: string; filter?: string };
  client: ScimClient;
  activity: HeartbeatKeeper;
  /** maps records on the way in (absent: the map step maps them all) */
  mapping?: PageMapping;
  /** decides mapped records on the way in */
  decide?: PageDecisionContext;
  /** the listing's `attributes=` (chooseProjection); undefined lists whole records */
  attributes?: string[];
  /** the access mapping maps memberships (a projected group listing has no members otherwise) */
  membersMapped: boolean;
}

/**
 * One read of the resource's listing into staging, page by page: each page is read, parsed and
 * its records mapped and hashed on a page thread (page-threads.ts; on the event loop without
 * one), its groups' members read apart when the listing has none (staged-records.ts), and staged
 * with its decisions and its checkpoint (stagePage). Up to four pages are in flight: two are
 * written to staging (each in its own transaction, so the database works on one page's decisions
 * while it stores the other's rows) while the next has its members read and the one after it is
 * fetched and digested. Checkpoints commit in page
 * order, so the checkpoint never passes a page that is not staged. Returns whether the listing
 * proved the read complete, and the pages read so far.
 */
async function readListing(
  { deps, run, runId, resource, spec, client, activity, mapping, decide, attributes, membersMapped }: ListingReading,
  from: { fullRead: boolean; since?: Date; resumeFrom?: ListPosition; pages: number },
): Promise<{ complete: boolean; pages: number }> {
  const { runs, staging } = deps;
  const { fullRead } = from;
  let pages = from.pages;
  // pages in flight are reserved in the process's page budget (every activity of this worker
  // shares it): a read waits while the pages held plus one more of the largest size would not fit
  const memory = workerMemory();
  const pageLimit = Math.min(client.maxResponseBytes, memory.pageLimitBytes);
  const limits: MemberLimits = { memberLimit: memory.memberLimit, path: spec.path, reserveFetch: (held) => memory.pages.reserve(Math.max(0, Math.min(pageLimit, memory.pages.capacityBytes - held)), activity.signal) };
  const filter = fullRead || !from.since ? spec.filter : composeIncrementalFilter(spec.filter, from.since);
  const tracker = new StagingIdTracker(staging, runId, resource, await staging.count(runId, resource));
  const work: EntryWork = { resource, memberLimit: memory.memberLimit, membersWanted: attributes === undefined || membersMapped, mapper: mapping?.mapper };
  const listing = client.listResources(
    spec.path,
    {
      filter,
      attributes,
      pageSize: run.snapshot.connector.pageSize,
      resumeFrom: from.resumeFrom,
      idTracker: tracker,
    },
    stagedEntryDigester(work, mapping, runId, pageThreads(deps.pageThreads ?? 0, deps.logger)),
  );
  const reader = listing.pages()[Symbol.asyncIterator]();
  const readNext = async () => {
    const reservation = await memory.pages.reserve(pageLimit, activity.signal);
    try {
      const next = await reader.next();
      if (next.done) reservation.release();
      else reservation.shrinkTo(next.value.bytes ?? pageLimit);
      return { next, reservation };
    } catch (err) {
      reservation.release();
      throw err;
    }
  };
  let ahead = readNext();
  const held: PageReservation[] = [];
  const writes: Array<Promise<void>> = [];
  try {
    for (;;) {
      const { next, reservation } = await ahead;
      if (next.done) break;
      const page = next.value;
      const pageHeld = [reservation];
      held.push(reservation);
      ahead = readNext();
      // a read ahead that fails is reported when it is awaited, not as an unhandled rejection
      ahead.catch(() => undefined);
      activity.throwIfCancelled();
      // a page thread may still be mapping the page: the next one is being fetched meanwhile
      const records = await completeStaged(await settledEntries(page.resources), work, client, deps.memberFetchConcurrency, activity.heartbeat, {
        ...limits,
        reserveFetch: async (bytes) => {
          const r = await limits.reserveFetch(bytes + (page.bytes ?? 0));
          pageHeld.push(r);
          held.push(r);
          return r;
        },
      });
      if (writes.length >= PAGE_WRITES_IN_FLIGHT) await writes.shift();
      const previous = writes[writes.length - 1];
      const rejectedMessages = page.rejected.map((r) => listingRejectionMessage(r.reason, r.excerpt));
      const writing = staging.stagePage({ runId, resource, records, position: page.position, rejectedMessages, decide, previous, totalResults: page.totalResults }).then((inserted) => {
        tracker.committed(
          records.map((r) => r.sourceId),
          inserted,
        );
        pages += 1;
        activity.heartbeat({ resource, position: page.position, pages, fullRead } satisfies ExtractHeartbeat);
        deps.progress?.tick();
      });
      void writing.finally(() => pageHeld.forEach((r) => r.release())).catch(() => undefined);
      writing.catch(() => undefined);
      writes.push(writing);
    }
    while (writes.length > 0) await writes.shift();
  } finally {
    // nothing returns (or discards staging) while a page is still being written
    await Promise.allSettled(writes);
    for (const r of held) r.release();
    // a read ahead still running is abandoned (closing the client ends it); its page was never
    // staged, so a resume reads it again
    ahead
      .then(({ reservation }) => {
        reservation.release();
        return reader.return(undefined);
      })
      .catch(() => undefined);
  }
  const report = listing.report();
  if (!fullRead && (report.filteredOut ?? 0) > 0) {
    // the server ignored the changed-since filter: everything was read, the client kept only what changed
    await runs.addNote(runId, `${FILTER_FALLBACK_NOTE} (${spec.path}: ${report.filteredOut} unchanged records returned anyway were skipped)`);
  }
  await staging.finishExtract(runId, resource, { ...report });
  deps.progress?.now();
  return { complete: report.complete, pages };
}
