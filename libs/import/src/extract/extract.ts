import { clearBoundary } from '@app/mapping';
import { ScimConfigError, composeIncrementalFilter, membersOf, type ListPosition, type ScimClient, type ScimResource } from '@app/scim';
import type { ExtractResult, ResourceKind } from '@app/temporal';
import { currentActivity } from '../infrastructure/activity-context';
import { keepHeartbeating, type HeartbeatKeeper } from '../infrastructure/heartbeat-keeper';
import { GroupTooLargeError, ImportConfigError, StagingLostError } from '../errors/import-errors';
import { toApplicationFailure } from '../errors/to-application-failure';
import type { RunRepository } from '@app/persistence';
import { StagingIdTracker } from './staging-id-tracker';
import type { PageDecisionContext, StagedRecordInput, StagingRepository } from '@app/persistence';
import { reactivationOf, resourcesFor, sectionFor } from '../run-config/task-config';
import { compileMappers, type Mapper } from '../decide/map-records';
import type { TemplateRepository } from '@app/persistence';
import { workerMemory, type PageReservation } from '../infrastructure/worker-memory';

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
  /** when given, records are mapped on the way in (see mapperFor) */
  templates?: TemplateRepository;
}

/** A 400 invalidFilter or a 501: the server cannot evaluate the changed-since filter. */
function rejectsFilter(err: unknown): boolean {
  return err instanceof ScimConfigError && (err.status === 501 || (err.status === 400 && err.scimType?.toLowerCase() === 'invalidfilter'));
}

/**
 * Reads one resource of the run from the SCIM source straight into staging, page by page.
 * Resumes from the last heartbeat after a retry and from the database checkpoint after a reset.
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
  const run = await runs.get(runId);
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
    checkpoint = { position: null, pages: 0, fetched: 0, fullRead: checkpoint.fullRead, done: false };
  }
  if (checkpoint?.done) return resultOf(resource, checkpoint, await runs.stats(runId), true);
  const since = run.mode === 'incremental' && run.snapshot.since ? new Date(run.snapshot.since) : undefined;
  if (!checkpoint) {
    await staging.beginExtract(runId, resource, spec.path, since === undefined, false);
    checkpoint = { position: null, pages: 0, fetched: 0, fullRead: since === undefined, done: false };
  }
  // The database checkpoint commits with each page; a heartbeat is only newer if it is further on.
  let resumeFrom = checkpoint.position ?? undefined;
  const beat = activity.heartbeatDetails<ExtractHeartbeat>();
  if (!stagingLost && beat && beat.resource === resource && beat.fullRead === checkpoint.fullRead && beat.pages > checkpoint.pages) resumeFrom = beat.position;

  const mapper = await mapperFor(deps.templates, run.snapshot, resource);
  const section = sectionFor(run.snapshot.config, resource);
  // what mapped records are pre-decided against; diff decides again (the boundary may pass meanwhile)
  const decide: PageDecisionContext | undefined = mapper && {
    templateCode: section.templateCode,
    taskId: run.taskId,
    pushedSince: clearBoundary(new Date(), run.snapshot.config.cache?.clearHoursUtc ?? [0]),
    reactivates: reactivationOf(section) !== undefined,
  };
  const { client, redact } = await deps.connect(run.snapshot.connector.id, activity.signal);
  // pages in flight are reserved in the process's page budget (every activity of this worker
  // shares it): a read waits while the pages held plus one more of the largest size would not fit
  const memory = workerMemory();
  const pageLimit = Math.min(client.maxResponseBytes, memory.pageLimitBytes);
  const limits: MemberLimits = { memberLimit: memory.memberLimit, path: spec.path, reserveFetch: (held) => memory.pages.reserve(Math.max(0, Math.min(pageLimit, memory.pages.capacityBytes - held)), activity.signal) };
  try {
    let fullRead = checkpoint.fullRead;
    let pages = checkpoint.pages;
    const read = async (): Promise<{ complete: boolean }> => {
      const filter = fullRead || !since ? spec.filter : composeIncrementalFilter(spec.filter, since);
      const tracker = new StagingIdTracker(staging, runId, resource, await staging.count(runId, resource));
      const listing = client.listResources(spec.path, {
        filter,
        pageSize: run.snapshot.connector.pageSize,
        resumeFrom,
        idTracker: tracker,
      });
      // up to four pages in flight: two are written to staging (each in its own transaction, so
      // the database works on one page's decisions while it stores the other's rows) while the
      // next is mapped and the one after it is fetched and parsed. Checkpoints commit in page
      // order, so the checkpoint never passes a page that is not staged.
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
          const records = await toStaged(client, resource, page.resources, deps.memberFetchConcurrency, activity.heartbeat, {
            ...limits,
            reserveFetch: async (bytes) => {
              const r = await limits.reserveFetch(bytes + (page.bytes ?? 0));
              pageHeld.push(r);
              held.push(r);
              return r;
            },
          });
          if (mapper) mapOnTheWayIn(mapper, records);
          if (writes.length >= PAGE_WRITES_IN_FLIGHT) await writes.shift();
          const previous = writes[writes.length - 1];
          const writing = staging.stagePage(runId, resource, records, page.position, page.rejected, decide, previous).then((inserted) => {
            tracker.committed(
              records.map((r) => r.sourceId),
              inserted,
            );
            pages += 1;
            activity.heartbeat({ resource, position: page.position, pages, fullRead } satisfies ExtractHeartbeat);
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
      return { complete: report.complete };
    };

    let complete: boolean;
    try {
      complete = (await read()).complete;
    } catch (err) {
      if (fullRead || !rejectsFilter(err)) throw err;
      await runs.addNote(runId, `${FILTER_FALLBACK_NOTE} (${spec.path}: ${redact(err instanceof Error ? err.message : String(err))})`);
      fullRead = true;
      resumeFrom = undefined;
      pages = 0;
      await staging.beginExtract(runId, resource, spec.path, true, true);
      complete = (await read()).complete;
    }
    const after = await staging.checkpoint<ListPosition>(runId, resource);
    return {
      resource,
      fetched: after?.fetched ?? 0,
      pages: after?.pages ?? pages,
      complete,
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

function resultOf(resource: ResourceKind, cp: { fetched: number; pages: number; fullRead: boolean }, stats: ExtractResult['stats'], complete: boolean): ExtractResult {
  return { resource, fetched: cp.fetched, pages: cp.pages, complete, fullReadFallback: cp.fullRead, stats };
}

/**
 * The mapping of the resource, compiled once per activity, to map records as they are read: the
 * map step then only sees what could not be mapped here. A mapping that does not compile is not
 * an extract error: the map step reports it, as it does for a record that fails to map.
 */
async function mapperFor(templates: TemplateRepository | undefined, snapshot: Parameters<typeof compileMappers>[1], resource: ResourceKind): Promise<Mapper | undefined> {
  if (!templates) return undefined;
  try {
    return (await compileMappers(templates, snapshot, [resource])).get(resource);
  } catch (err) {
    if (err instanceof ImportConfigError) return undefined;
    throw err;
  }
}

/** Maps each record; one that fails keeps its raw JSON and fails in the map step, with its reason. */
function mapOnTheWayIn(mapper: Mapper, records: StagedRecordInput[]): void {
  for (const r of records) {
    const out = mapper(r.raw, r.members);
    if (out.ok) r.mapped = { uniqueValue: out.uniqueValue, attributes: out.attributes, hash: out.hash };
  }
}

/**
 * Splits members off the raw record (they go to their own column). A group listed without a
 * `members` attribute may simply be one whose server omits members in lists: its members are
 * read with GET /Groups/{id}.
 */
export async function toStaged(
  client: ScimClient,
  resource: ResourceKind,
  resources: ScimResource[],
  concurrency: number,
  heartbeat: (d?: unknown) => void,
  limits?: MemberLimits,
): Promise<StagedRecordInput[]> {
  if (resource !== 'access') return resources.map((r) => ({ sourceId: r.id, raw: r, members: null }));
  const bounded = (r: ScimResource, ids: string[]) => {
    if (limits && ids.length > limits.memberLimit) throw groupTooLarge(r, ids.length, limits);
    return ids;
  };
  const out: StagedRecordInput[] = resources.map((r) => {
    const key = Object.keys(r).find((k) => k.toLowerCase() === 'members');
    const raw: Record<string, unknown> = { ...r };
    if (key !== undefined) delete raw[key];
    // counted before the members are copied: a copy of millions of members is what would not fit
    const listed = key === undefined ? undefined : r[key];
    if (limits && Array.isArray(listed) && listed.length > limits.memberLimit) throw groupTooLarge(r, listed.length, limits);
    return { sourceId: r.id, raw, members: key === undefined ? null : bounded(r, userMemberIds(membersOf(r))) };
  });
  const missing = out.filter((r) => r.members === null);
  for (let i = 0; i < missing.length; i += concurrency) {
    await Promise.all(
      missing.slice(i, i + concurrency).map(async (r) => {
        // each answer may be as large as a page: it is reserved like one, then kept at the size of its ids
        const reservation = await limits?.reserveFetch(0);
        const members = await client.fetchGroupMembers(r.sourceId);
        r.members = members === null ? [] : bounded(r.raw as ScimResource, userMemberIds(members));
        reservation?.shrinkTo(r.members.length * MEMBER_ID_BYTES);
      }),
    );
    heartbeat();
  }
  return out;
}

/** Heap bytes of one member id kept until its group is staged (an id string and its array slot). */
const MEMBER_ID_BYTES = 64;

/** What a group's members may cost this worker. */
export interface MemberLimits {
  /** most members a group may have (workerMemory().memberLimit) */
  memberLimit: number;
  /** the resource path, for the message */
  path: string;
  /** reserves one member answer in the page budget, next to `held` bytes of the page it belongs to */
  reserveFetch(held: number): Promise<PageReservation>;
}

function groupTooLarge(group: ScimResource, members: number, limits: MemberLimits): GroupTooLargeError {
  const name = typeof group.displayName === 'string' ? ` "${group.displayName.slice(0, 100)}"` : '';
  return new GroupTooLargeError(
    `group ${group.id}${name} of ${limits.path} has ${members} members; this worker's heap holds groups of up to ${limits.memberLimit} members. ` +
      `Give the worker a larger heap (docs/operations.md, worker sizing) or leave this group out with the task's group filter`,
  );
}

/** Member ids of users; nested groups (type Group) are not accounts. */
function userMemberIds(members: Array<{ value: string; type?: string }>): string[] {
  const ids = new Set<string>();
  for (const m of members) if (m.type === undefined || m.type.toLowerCase() === 'user') ids.add(m.value);
  return [...ids].sort();
}
