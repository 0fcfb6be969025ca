import { membersOf, type ScimClient, type ScimResource } from '@app/scim';
import type { StagedRecordInput } from '@app/persistence';
import type { ResourceKind } from '@app/temporal';
import { GroupTooLargeError } from '../errors/import-errors';
import type { PageReservation } from '../infrastructure/worker-memory';
import type { Mapper } from '../decide/map-records';

/**
 * A record of a list page as staging wants it, made where the page is digested (a worker thread,
 * page-threads.ts, or this thread): plain data. Its members are split off (they go to their own
 * column); a mapped record keeps only its mapping, one not mapped (yet) its raw JSON.
 */
export interface StagedEntry {
  sourceId: string;
  /** user member ids; null when the listing had no `members` (read apart when wanted, completeStaged) */
  members: string[] | null;
  mapped?: { uniqueValue: string; attributes: Record<string, unknown>; hash: string };
  /** the record without its members, unless mapped */
  raw?: Record<string, unknown>;
  /** a group listed with more members than the worker may hold (completeStaged fails the page) */
  tooLarge?: { members: number; name?: string };
}

/** What making a page's entries needs to know; plain data apart from the mapper. */
export interface EntryWork {
  resource: ResourceKind;
  /** most members a group may have (workerMemory().memberLimit); unbounded when absent */
  memberLimit?: number;
  /** a group listed without members has them read apart (false: memberships are not mapped and were not asked for) */
  membersWanted: boolean;
  /** maps the record on the way in; a group whose members are read apart is mapped once they are (completeStaged) */
  mapper?: Mapper;
}

/** A mapped record's raw JSON is not staged (StagingRepository.stagePage stores only its mapping). */
const NOT_KEPT: Record<string, unknown> = Object.freeze({});

/** One listed resource as a staging entry (pure: runs in a page thread as well as here). */
export function stagedEntry(r: ScimResource, work: EntryWork): StagedEntry {
  let raw: Record<string, unknown> = r;
  let members: string[] | null = null;
  if (work.resource === 'access') {
    const key = Object.keys(r).find((k) => k.toLowerCase() === 'members');
    raw = { ...r };
    if (key !== undefined) delete raw[key];
    // counted before the members are copied: a copy of millions of members is what would not fit
    const listed = key === undefined ? undefined : r[key];
    const limit = work.memberLimit;
    if (limit !== undefined && Array.isArray(listed) && listed.length > limit) return { sourceId: r.id, members: null, raw, tooLarge: tooLargeOf(r, listed.length) };
    if (key !== undefined) {
      members = userMemberIds(membersOf(r));
      if (limit !== undefined && members.length > limit) return { sourceId: r.id, members: null, raw, tooLarge: tooLargeOf(r, members.length) };
    }
    // members still to be read: mapped once they are
    if (members === null && work.membersWanted) return { sourceId: r.id, members, raw };
  }
  if (work.mapper) {
    const out = work.mapper(raw, members);
    if (out.ok) return { sourceId: r.id, members, mapped: { uniqueValue: out.uniqueValue, attributes: out.attributes, hash: out.hash } };
  }
  return { sourceId: r.id, members, raw };
}

/**
 * A page's entries as staging records: fails the page on a group too large for this worker,
 * reads the members of groups listed without them (GET /Groups/{id}, `concurrency` at once, each
 * answer reserved in the page budget like a page) and maps those groups then.
 */
export async function completeStaged(entries: StagedEntry[], work: EntryWork, client: ScimClient, concurrency: number, heartbeat: (d?: unknown) => void, limits?: MemberLimits): Promise<StagedRecordInput[]> {
  const large = entries.find((e) => e.tooLarge);
  if (large?.tooLarge && limits) throw groupTooLarge(large.sourceId, large.tooLarge, limits);
  const out: StagedRecordInput[] = entries.map((e) => ({ sourceId: e.sourceId, raw: e.raw ?? NOT_KEPT, members: e.members, ...(e.mapped ? { mapped: e.mapped } : {}) }));
  if (work.resource !== 'access') return out;
  const missing = work.membersWanted ? out.filter((r) => r.members === null) : [];
  for (let i = 0; i < missing.length; i += concurrency) {
    await Promise.all(
      missing.slice(i, i + concurrency).map(async (r) => {
        // each answer may be as large as a page: it is reserved like one, then kept at the size of its ids
        const reservation = await limits?.reserveFetch(0);
        const members = await client.fetchGroupMembers(r.sourceId);
        const ids = members === null ? [] : userMemberIds(members);
        if (limits && ids.length > limits.memberLimit) throw groupTooLarge(r.sourceId, tooLargeOf(r.raw as ScimResource, ids.length), limits);
        r.members = ids;
        reservation?.shrinkTo(r.members.length * MEMBER_ID_BYTES);
      }),
    );
    heartbeat();
  }
  if (work.mapper) {
    for (const r of missing) {
      const mapped = work.mapper(r.raw, r.members);
      if (mapped.ok) r.mapped = { uniqueValue: mapped.uniqueValue, attributes: mapped.attributes, hash: mapped.hash };
    }
  }
  return out;
}

/**
 * A page's SCIM resources as staging records, not mapped (preview's sample, the page-heap
 * bench): members split off the raw record; a group listed without a `members` attribute may
 * simply be one whose server omits members in lists: its members are read with GET
 * /Groups/{id}, unless `membersWanted` is false (memberships are not mapped and the listing did
 * not ask for members).
 */
export async function toStaged(
  client: ScimClient,
  resource: ResourceKind,
  resources: ScimResource[],
  concurrency: number,
  heartbeat: (d?: unknown) => void,
  limits?: MemberLimits,
  membersWanted = true,
): Promise<StagedRecordInput[]> {
  const work: EntryWork = { resource, memberLimit: limits?.memberLimit, membersWanted };
  return completeStaged(
    resources.map((r) => stagedEntry(r, work)),
    work,
    client,
    concurrency,
    heartbeat,
    limits,
  );
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

function tooLargeOf(group: ScimResource, members: number): { members: number; name?: string } {
  return typeof group.displayName === 'string' ? { members, name: group.displayName.slice(0, 100) } : { members };
}

function groupTooLarge(id: string, group: { members: number; name?: string }, limits: MemberLimits): GroupTooLargeError {
  const name = group.name !== undefined ? ` "${group.name}"` : '';
  return new GroupTooLargeError(
    `group ${id}${name} of ${limits.path} has ${group.members} members; this worker's heap holds groups of up to ${limits.memberLimit} members. ` +
      `Give the worker a larger heap (docs/operations.md, worker sizing) or leave this group out with the task's group filter`,
  );
}

/** Member ids of users; nested groups (type Group) are not accounts. */
function userMemberIds(members: Array<{ value: string; type?: string }>): string[] {
  const ids = new Set<string>();
  for (const m of members) if (m.type === undefined || m.type.toLowerCase() === 'user') ids.add(m.value);
  return [...ids].sort();
}
