import { membersOf, type ScimClient, type ScimResource } from '@app/scim';
import type { StagedRecordInput } from '@app/persistence';
import type { ResourceKind } from '@app/temporal';
import { GroupTooLargeError } from '../errors/import-errors';
import type { PageReservation } from '../infrastructure/worker-memory';

/**
 * A page's SCIM resources as staging records: members split off the raw record (they go to their
 * own column). A group listed without a `members` attribute may simply be one whose server omits
 * members in lists: its members are read with GET /Groups/{id}, unless `membersWanted` is false
 * (memberships are not mapped and the listing did not ask for members).
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
  const missing = membersWanted ? out.filter((r) => r.members === null) : [];
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
