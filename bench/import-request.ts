/**
 * What the import asks of a source, for the fetch-only bound to ask the same (issue 23): "the
 * bound is always measured with the same number of concurrent requests the import uses", and
 * where the import fetches less than everything, the ratios are also taken against a fetch-only
 * of the same request.
 *
 * - Concurrency is the import's own setting (libs/import run-config/tuning.ts and extract):
 *   resources one after the other (the workflow extracts /Users, then /Groups), one listing page
 *   in flight per resource (the next page is asked for once the previous one is parsed), and
 *   `memberFetchConcurrency` GET /Groups/{id}?attributes=members at once for groups listed
 *   without members. When the import reads more at once, importFetchConcurrency() follows it.
 * - The request (its `attributes=` / `excludedAttributes=`) is what the fixture source saw the
 *   import send in the run (fixture-scim-server.ts listingRequests), so it cannot drift from the
 *   import; `--fetch-attributes mapped` measures instead what the bench task maps
 *   (mappedAttributes), to see what a projection would save before the import uses one.
 */
import { DEFAULT_TUNING } from '../libs/import/src/run-config/tuning';
import type { FetchConcurrency } from './fetch-only-worker';
import type { ListingRequest } from './fixture-scim-server';

export function importFetchConcurrency(): FetchConcurrency {
  return { resources: 1, pages: 1, members: DEFAULT_TUNING.memberFetchConcurrency };
}

/** `1 resource at a time, 1 listing page and 4 member reads in flight`, for logs and tables. */
export function describeConcurrency(c: FetchConcurrency): string {
  return `${c.resources} resource${c.resources === 1 ? '' : 's'} at a time, ${c.pages} listing page${c.pages === 1 ? '' : 's'} and ${c.members} member read${c.members === 1 ? '' : 's'} in flight`;
}

/** Query parameters per resource path added to every listing request; empty: full records. */
export type ListingQuery = Record<string, Array<[string, string]>>;

/**
 * The listing query the import sent per path, from the fixture's record of a run: each path's
 * most used projection (a run pages one listing with one request shape; tail checks are not
 * counted). Paths the run did not list, or listed without a projection, are absent.
 */
export function observedListingQuery(seen: Record<string, ListingRequest[]>, paths: readonly string[]): ListingQuery {
  const out: ListingQuery = {};
  for (const path of paths) {
    const main = seen[path]?.[0];
    if (!main) continue;
    const q: Array<[string, string]> = [];
    if (main.attributes.length > 0) q.push(['attributes', main.attributes.join(',')]);
    if (main.excludedAttributes.length > 0) q.push(['excludedAttributes', main.excludedAttributes.join(',')]);
    if (q.length > 0) out[path] = q;
  }
  return out;
}

/** Whether a listing query asks for full records everywhere. */
export function isFullRequest(q: ListingQuery): boolean {
  return Object.values(q).every((params) => params.length === 0);
}

/** `/Users attributes=id,meta,...; /Groups full`, for logs and tables. */
export function describeListingQuery(q: ListingQuery, paths: readonly string[]): string {
  return paths.map((p) => `${p} ${q[p]?.length ? q[p].map(([k, v]) => `${k}=${v}`).join('&') : 'full records'}`).join('; ');
}

interface MappingSection {
  resourcePath?: string;
  unique?: { external: string };
  attributes?: Array<{ external: string }>;
  members?: unknown;
}

/**
 * The attribute names a projection of the task's mappings would ask for, per path: id, meta, and
 * each mapped external attribute in attribute notation (a value filter `emails[type eq "work"].value`
 * asks for the whole `emails`, whose `type` the filter needs; extension URNs kept), plus members
 * for groups. What the import's projection is expected to send (issue 23); --fetch-attributes mapped.
 */
export function mappedAttributes(task: Record<string, unknown>): ListingQuery {
  const out: ListingQuery = {};
  const add = (path: string, section: MappingSection | null | undefined, extra: string[] = []) => {
    if (!section) return;
    const names = new Set(['id', 'meta', ...extra]);
    for (const a of [section.unique, ...(section.attributes ?? [])]) if (a) names.add(attributeName(a.external));
    out[path] = [['attributes', [...names].join(',')]];
  };
  add('/Users', task.identity as MappingSection | null);
  add('/Groups', task.access as MappingSection | null, task.access && (task.access as MappingSection).members ? ['members'] : []);
  const generic = task.generic as MappingSection | null;
  if (generic?.resourcePath) add(generic.resourcePath, generic);
  return out;
}

/** `emails[type eq "work"].value` → `emails`; `name.givenName` and URN-qualified names unchanged. */
function attributeName(external: string): string {
  const bracket = external.indexOf('[');
  return bracket < 0 ? external : external.slice(0, bracket);
}
