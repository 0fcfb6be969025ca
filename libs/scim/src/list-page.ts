import type { ScimErrorContext } from './errors';
import type { FilterVerdict } from './filter-match';
import { compileFilterCheck } from './filter-match';
import type { ParsedListResponse } from './list-response';
import { normalizeResource, parseJsonBody, parseListResponse } from './list-response';
import type { RejectedRecord, ScimResource } from './scim-resource';

/** A usable record of a list page: what the listing judges it by, and what its reader wants of it. */
export interface ListedEntry<P> {
  id: string;
  /** `meta.created` in ms since the epoch (NaN when absent or unreadable): the tail check excuses records created during the read */
  created: number;
  /** the record certainly falls outside the listing's filter (the server ignored it) */
  outsideFilter: boolean;
  payload: P;
}

/**
 * A ListResponse reduced to what paging needs, its records already normalised: one entry per
 * usable record and one rejection per unusable one, in the answer's order. It is plain data, so
 * it can be made in a worker thread and posted back.
 */
export interface DigestedListResponse<P> extends Omit<ParsedListResponse, 'resources'> {
  entries: Array<ListedEntry<P>>;
  rejected: RejectedRecord[];
}

/** A 2xx answer to a list request, not parsed yet; plain data. */
export interface ListPageText {
  text: string;
  contentType?: string;
  /** where it came from, for error messages (the URL is redacted) */
  ctx: ScimErrorContext;
}

/** Checks a record against a filter; undefined when the filter cannot be checked here. */
export type FilterCheck = (resource: unknown) => FilterVerdict;

/** The client-side check of `filter`; undefined when there is none or our parser cannot read it (the server may). */
export function filterCheckOf(filter: string | undefined): FilterCheck | undefined {
  if (!filter) return undefined;
  try {
    return compileFilterCheck(filter);
  } catch {
    return undefined;
  }
}

/**
 * Normalises each record of a parsed ListResponse (see `normalizeResource`) and turns the usable
 * ones into entries carrying `payload(record)`. De-duplication is the listing's: an id may occur
 * twice here.
 */
export function digestListResponse<P>(parsed: ParsedListResponse, filterCheck: FilterCheck | undefined, payload: (resource: ScimResource) => P): DigestedListResponse<P> {
  const entries: Array<ListedEntry<P>> = [];
  const rejected: RejectedRecord[] = [];
  for (const raw of parsed.resources) {
    const result = normalizeResource(raw);
    if ('rejected' in result) {
      rejected.push(result.rejected);
      continue;
    }
    const { resource } = result;
    const created = Date.parse((resource.meta)?.created ?? '');
    entries.push({ id: resource.id, created, outsideFilter: filterCheck !== undefined && filterCheck(resource) === false, payload: payload(resource) });
  }
  const { totalResults, startIndex, itemsPerPage, nextCursor, previousCursor, bytes } = parsed;
  return { entries, rejected, totalResults, startIndex, itemsPerPage, nextCursor, previousCursor, bytes };
}

/**
 * Parses a list page's text and digests it: what a worker thread does with a page. An answer that
 * is not a usable ListResponse throws; its message may quote the body unscrubbed, so the caller
 * parses such a page again where the connector's secrets are known (ScimClient).
 */
export function digestListPage<P>(page: ListPageText, filterCheck: FilterCheck | undefined, payload: (resource: ScimResource) => P): DigestedListResponse<P> {
  const parsed = parseListResponse(parseJsonBody(page.text, page.contentType, page.ctx), page.ctx);
  return { ...digestListResponse(parsed, filterCheck, payload), bytes: page.text.length };
}
