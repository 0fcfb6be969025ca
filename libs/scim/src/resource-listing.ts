import type { ScimLogger } from './connection-config';
import { ScimConfigError, ScimCursorError, ScimIncompleteReadError } from './errors';
import type { FilterVerdict } from './filter-match';
import { compileFilterCheck } from './filter-match';
import type { IdTracker } from './id-tracker';
import { InMemoryIdTracker } from './id-tracker';
import type { DigestedListResponse, ListedEntry } from './list-page';
import { digestListResponse } from './list-page';
import type { ParsedListResponse } from './list-response';
import type { RejectedRecord, ScimResource } from './scim-resource';

export type PagingMethod = 'index' | 'cursor';

/** Counters carried in a position so a resumed listing reports the whole read, not just its tail. */
interface PositionCounters {
  pages: number;
  /** Entries received, before de-duplication. */
  received: number;
  lastTotal?: number;
  /** Largest `totalResults` seen; a drop below it mid-read signals truncation. */
  maxTotal?: number;
  /** Lowest `totalResults` seen after the largest, when the total shrank mid-read. */
  droppedTo?: number;
  duplicates?: number;
  rejected?: number;
  filteredOut?: number;
  /** The listing ended after this page; resuming yields nothing more. */
  done?: boolean;
}

/** Where to continue a listing; JSON-safe so it can be heartbeated and stored. */
export type ListPosition =
  | ({ method: 'index'; startIndex: number; zeroBased?: boolean } & PositionCounters)
  | ({ method: 'cursor'; cursor: string; restarts: number } & PositionCounters);

export interface ListOptions {
  filter?: string;
  attributes?: string[];
  excludedAttributes?: string[];
  /** Requested `count`; defaults to the connector's page size. */
  pageSize?: number;
  /** `auto` (default) uses cursors when the server advertises them and index paging otherwise. */
  paging?: 'auto' | PagingMethod;
  /** Continue after a saved `page.position` (use the same tracker, or one restored from storage). */
  resumeFrom?: ListPosition;
  /** De-duplication state; defaults to an in-memory Set. */
  idTracker?: IdTracker;
  /** Cursor passes restarted after `invalidCursor`/`expiredCursor` before giving up (default 3). */
  maxRestarts?: number;
  /**
   * Records that certainly fall outside `filter` (the server ignored it) are dropped (`drop`,
   * default) or passed on (`keep`). Either way they are counted in the report.
   */
  filterCheck?: 'drop' | 'keep';
  /**
   * After an apparently complete read, fetch the first page in descending `meta.created` and
   * `id` order and look for records the listing never returned (default true). This is the
   * only way to notice a server that truncates a listing and lies about totalResults.
   */
  tailCheck?: boolean;
}

export interface ScimPage<P = ScimResource> {
  /** Only records whose id this listing had not delivered before (what the source made of each, see ListingSource). */
  resources: P[];
  rejected: RejectedRecord[];
  /** Where to resume after this page. */
  position: ListPosition;
  totalResults?: number;
  /** Size of the answer the page came in, when the source knows it (what holding the page costs). */
  bytes?: number;
}

export interface CompletenessReport {
  path: string;
  pagingMethod: PagingMethod;
  distinctIds: number;
  duplicatesDropped: number;
  rejected: number;
  totalResultsClaimed?: number;
  pages: number;
  complete: boolean;
  reason: string;
  /** Records outside the filter that the server returned anyway. */
  filteredOut?: number;
  /** The server turned out to count `startIndex` from 0. */
  zeroBasedStartIndex?: boolean;
  /** Cursor passes restarted after a rejected cursor. */
  restarts?: number;
  /** Records found only by the tail check: the listing missed them. */
  missedByListing?: number;
}

/**
 * What a listing needs from the client; a seam for tests. A page comes parsed (its records are
 * normalised here and listed as ScimResources) or already digested (its entries carry whatever
 * the source made of each record, e.g. in a worker thread: see ScimClient.listResources).
 */
export interface ListingSource<P = ScimResource> {
  fetchPage(path: string, query: [string, string][]): Promise<ParsedListResponse | DigestedListResponse<P>>;
  /** Paging advice from the ServiceProviderConfig; only called in `auto` mode. */
  pagingHints(): Promise<{ cursor: boolean; index: boolean; preferred?: PagingMethod; maxPageSize?: number }>;
  defaultPageSize: number;
  logger: ScimLogger;
  /** The endpoint's full URL without credentials, for error messages. */
  displayUrl(path: string): string;
}

const DEFAULT_MAX_RESTARTS = 3;
/** Sort keys for the tail check: creation order is the usual default order, id the usual sortable key. */
const TAIL_SORT_KEYS = ['meta.created', 'id'];
/** Client/server clock skew tolerated when excusing records created while the read ran. */
const CLOCK_SKEW_MS = 60_000;

/** A page as the listing works with it: digested, and how many records it held. */
type ListedResponse<P> = DigestedListResponse<P> & { count: number };

/** Pages beyond what the claimed total could need, before a listing is declared runaway. */
function pageBudget(total: number, smallestPage: number): number {
  return 3 * Math.ceil(total / Math.max(1, smallestPage)) + 10;
}

/**
 * One complete read of a resource endpoint: pages through it (index or cursor), drops
 * duplicates, rejects unusable records, and judges at the end whether everything arrived.
 * Iterate `pages()` once; then `report()` says whether the read may be trusted as complete.
 */
export class ResourceListing<P = ScimResource> {
  private readonly tracker: IdTracker;
  private readonly filterCheck?: (resource: unknown) => FilterVerdict;
  private readonly filteredOutIds = new Set<string>();
  private started = false;

  private method: PagingMethod = 'index';
  private pageSize: number;
  private startIndex = 1;
  private cursor = '';
  private restarts = 0;
  private pages_ = 0;
  private received = 0;
  private lastTotal?: number;
  private maxTotal?: number;
  /** Lowest totalResults seen after a higher one; set only when the total shrank mid-read. */
  private droppedTo?: number;
  private distinct = 0;
  private duplicates = 0;
  private rejected = 0;
  /** Records dropped because they fall outside the filter; they count towards totalResults. */
  private filteredOut = 0;
  private keptOutsideFilter = 0;
  private zeroBased?: boolean;
  private smallestPage = Number.POSITIVE_INFINITY;
  private readonly readStartedAt = Date.now();
  private missedByListing = 0;

  private finished = false;
  private complete = false;
  private reason = 'the listing has not been read to the end';
  private warnedPartialDuplicates = false;
  private warnedFilterIgnored = false;

  constructor(
    private readonly path: string,
    private readonly options: ListOptions,
    private readonly source: ListingSource<P>,
  ) {
    this.tracker = options.idTracker ?? new InMemoryIdTracker();
    this.pageSize = Math.max(1, Math.floor(options.pageSize ?? source.defaultPageSize));
    if (options.filter) {
      try {
        this.filterCheck = compileFilterCheck(options.filter);
      } catch {
        // A filter our parser cannot read may still be valid for the server; just don't second-guess it.
        source.logger.debug('SCIM filter not checkable client-side', { path });
      }
    }
  }

  /** The verdict so far; final once `pages()` has been iterated to the end. */
  report(): CompletenessReport {
    const report: CompletenessReport = {
      path: this.path,
      pagingMethod: this.method,
      distinctIds: this.distinct,
      duplicatesDropped: this.duplicates,
      rejected: this.rejected,
      totalResultsClaimed: this.maxTotal,
      pages: this.pages_,
      complete: this.finished && this.complete,
      reason: this.reason,
    };
    if (this.filteredOut > 0 || this.keptOutsideFilter > 0) report.filteredOut = this.filteredOut + this.keptOutsideFilter;
    if (this.zeroBased) report.zeroBasedStartIndex = true;
    if (this.restarts > 0) report.restarts = this.restarts;
    if (this.missedByListing > 0) report.missedByListing = this.missedByListing;
    return report;
  }

  /** Yields pages of new records in server order; throws a ScimError when the read cannot be completed. */
  async *pages(): AsyncGenerator<ScimPage<P>, void, undefined> {
    if (this.started) throw new Error('ResourceListing.pages() can be iterated only once; create a new listing');
    this.started = true;
    try {
      yield* this.run();
    } catch (err) {
      this.reason = `the read failed: ${err instanceof Error ? err.message : String(err)}`;
      throw err;
    }
  }

  private async *run(): AsyncGenerator<ScimPage<P>, void, undefined> {
    const { attributes, excludedAttributes } = this.options;
    if (attributes?.length && excludedAttributes?.length) {
      throw new ScimConfigError('attributes and excludedAttributes are mutually exclusive (RFC 7644 3.4.2.5)');
    }
    this.distinct = await this.tracker.size();
    const resumed = this.options.resumeFrom;
    if (resumed) {
      this.restore(resumed);
      if (resumed.done) {
        this.finish('the listing had already ended before it was resumed');
        return;
      }
    } else {
      await this.choosePaging();
    }
    if (this.method === 'cursor') yield* this.cursorPass(resumed !== undefined);
    else yield* this.indexPass();
  }

  private restore(position: ListPosition): void {
    this.method = position.method;
    this.pages_ = position.pages;
    this.received = position.received;
    this.lastTotal = position.lastTotal;
    this.maxTotal = position.maxTotal ?? position.lastTotal;
    this.droppedTo = position.droppedTo;
    this.duplicates = position.duplicates ?? 0;
    this.rejected = position.rejected ?? 0;
    this.filteredOut = position.filteredOut ?? 0;
    if (position.method === 'index') {
      this.startIndex = position.startIndex;
      this.zeroBased = position.zeroBased;
    } else {
      this.cursor = position.cursor;
      this.restarts = position.restarts;
    }
  }

  private async choosePaging(): Promise<void> {
    const paging = this.options.paging ?? 'auto';
    if (paging !== 'auto') {
      this.method = paging;
      return;
    }
    const hints = await this.source.pagingHints();
    if (hints.cursor && (!hints.index || hints.preferred === 'cursor')) this.method = 'cursor';
    if (hints.maxPageSize && this.pageSize > hints.maxPageSize) this.pageSize = hints.maxPageSize;
  }

  private baseQuery(): [string, string][] {
    const q: [string, string][] = [];
    const { filter, attributes, excludedAttributes } = this.options;
    if (filter) q.push(['filter', filter]);
    if (attributes?.length) q.push(['attributes', attributes.join(',')]);
    if (excludedAttributes?.length) q.push(['excludedAttributes', excludedAttributes.join(',')]);
    return q;
  }

  private position(done: boolean): ListPosition {
    const counters: PositionCounters = {
      pages: this.pages_,
      received: this.received,
      lastTotal: this.lastTotal,
      maxTotal: this.maxTotal,
      ...(this.droppedTo !== undefined ? { droppedTo: this.droppedTo } : {}),
      duplicates: this.duplicates,
      rejected: this.rejected,
      filteredOut: this.filteredOut,
    };
    if (done) counters.done = true;
    return this.method === 'index'
      ? { method: 'index', startIndex: this.startIndex, ...(this.zeroBased ? { zeroBased: true } : {}), ...counters }
      : { method: 'cursor', cursor: this.cursor, restarts: this.restarts, ...counters };
  }

  /** Check requests (probes) may only raise the claimed total; their order and windows differ from the listing's. */
  private noteTotal(total: number | undefined, probe = false): void {
    if (total === undefined) return;
    if (!probe) {
      if (this.maxTotal !== undefined && total < this.maxTotal) {
        if (this.droppedTo === undefined) {
          this.source.logger.warn('SCIM totalResults decreased during the read', {
            path: this.path,
            from: this.maxTotal,
            to: total,
          });
        }
        this.droppedTo = Math.min(this.droppedTo ?? total, total);
      }
      this.lastTotal = total;
    }
    this.maxTotal = Math.max(this.maxTotal ?? 0, total);
  }

  /**
   * Records accounted for against totalResults. Rejected records (no id) count: they exist on the
   * server but could never be matched to anything, so they cannot make a removal wrong.
   */
  private seen(): number {
    return this.distinct + this.filteredOut + this.rejected;
  }

  private reachedTotal(): boolean {
    return this.maxTotal !== undefined && this.seen() >= this.maxTotal;
  }

  /** One page of the listing, digested (by the source, or here when it came parsed). */
  private async fetch(query: [string, string][]): Promise<ListedResponse<P>> {
    const response = await this.source.fetchPage(this.path, query);
    // a parsed page's records are listed as they are: P is ScimResource for such a source
    const digested = 'entries' in response ? response : digestListResponse(response, this.filterCheck, (r) => r as unknown as P);
    return { ...digested, count: digested.entries.length + digested.rejected.length };
  }

  /**
   * Filters and de-duplicates one digested response; `progress` says whether anything new
   * arrived, `created` is each fresh record's creation time (for the tail check).
   */
  private async absorb(
    response: ListedResponse<P>,
    probe = false,
  ): Promise<{ page: { resources: P[]; rejected: RejectedRecord[]; progress: boolean; bytes?: number }; created: number[] }> {
    const rejected: RejectedRecord[] = [...response.rejected];
    const unique = new Map<string, ListedEntry<P>>();
    let pageDuplicates = 0;
    let newFilteredOut = 0;
    const outsideKept = new Set<string>();
    for (const entry of response.entries) {
      if (unique.has(entry.id)) {
        pageDuplicates++;
        continue;
      }
      if (entry.outsideFilter) {
        if (!this.warnedFilterIgnored) {
          this.warnedFilterIgnored = true;
          this.source.logger.warn('SCIM server returned records outside the filter; it probably ignores the filter', {
            path: this.path,
            action: this.options.filterCheck ?? 'drop',
          });
        }
        if ((this.options.filterCheck ?? 'drop') === 'drop') {
          if (!this.filteredOutIds.has(entry.id)) {
            this.filteredOutIds.add(entry.id);
            this.filteredOut++;
            newFilteredOut++;
          }
          continue;
        }
        outsideKept.add(entry.id);
      }
      unique.set(entry.id, entry);
    }
    // Records without ids cannot be told apart, so the check requests would report them twice.
    if (probe) rejected.length = 0;
    this.rejected += rejected.length;

    const ids = [...unique.keys()];
    let fresh: Array<ListedEntry<P>>;
    const result = (progress: boolean) => ({
      page: { resources: fresh.map((e) => e.payload), rejected, progress, bytes: response.bytes },
      created: fresh.map((e) => e.created),
    });
    if (ids.length === 0) {
      fresh = [];
    } else if (this.tracker.addNew) {
      const newIds = await this.tracker.addNew(ids);
      fresh = newIds.length === ids.length ? [...unique.values()] : newIds.map((id) => unique.get(id) as ListedEntry<P>);
    } else {
      const added = await this.tracker.add(ids);
      if (added === 0) fresh = [];
      else {
        fresh = [...unique.values()];
        if (added < ids.length && !this.warnedPartialDuplicates) {
          this.warnedPartialDuplicates = true;
          this.source.logger.warn('SCIM id tracker cannot name new ids; a partly duplicate page is passed on whole', {
            path: this.path,
          });
        }
      }
      this.distinct += added;
      this.keptOutsideFilter += fresh.filter((r) => outsideKept.has(r.id)).length;
      // Check requests re-read known records on purpose; those repeats are not paging duplicates.
      if (!probe) this.duplicates += pageDuplicates + (ids.length - added);
      return result(added > 0 || newFilteredOut > 0);
    }
    this.distinct += fresh.length;
    this.keptOutsideFilter += fresh.filter((r) => outsideKept.has(r.id)).length;
    if (!probe) this.duplicates += pageDuplicates + (ids.length - fresh.length);
    return result(fresh.length > 0 || newFilteredOut > 0);
  }

  private async *indexPass(): AsyncGenerator<ScimPage<P>, void, undefined> {
    let pagesThisRun = 0;
    for (;;) {
      const response = await this.fetch([...this.baseQuery(), ['startIndex', String(this.startIndex)], ['count', String(this.pageSize)]]);
      this.noteTotal(response.totalResults);
      const count = response.count;
      if (count === 0) {
        yield* this.probeZeroBased();
        yield* this.tailCheck();
        this.finish('the server returned an empty page');
        return;
      }
      pagesThisRun++;
      this.pages_++;
      this.received += count;
      // Advance by what arrived: servers cap `count` silently and some echo the requested count as itemsPerPage.
      this.startIndex += count;
      this.smallestPage = Math.min(this.smallestPage, count);
      const { page } = await this.absorb(response);
      // The first page after a resume may repeat ids recorded just before the interruption.
      const mayRepeat = pagesThisRun === 1;
      if (!page.progress && !mayRepeat && page.rejected.length < count) {
        throw new ScimIncompleteReadError(
          `the server appears to ignore startIndex: page ${this.pages_} (startIndex=${this.startIndex - count}) ` +
            `returned only records already read, so ${this.path} cannot be paged by index ` +
            `(${this.seen()} of ${this.maxTotal ?? 'unknown'} records read). Try cursor paging or a page size above the total`,
          { method: 'GET', url: this.source.displayUrl(this.path) },
        );
      }
      if (this.method === 'index' && response.nextCursor !== undefined && (this.options.paging ?? 'auto') === 'auto') {
        // The server pages by cursor after all; cursors survive concurrent changes better than offsets.
        this.source.logger.debug('SCIM server offered a cursor; switching to cursor paging', { path: this.path });
        this.method = 'cursor';
        this.cursor = response.nextCursor;
        yield { ...page, position: this.position(false), totalResults: response.totalResults };
        yield* this.cursorPass(false, true);
        return;
      }
      const done = this.reachedTotal();
      yield { ...page, position: this.position(done), totalResults: response.totalResults };
      if (done) {
        yield* this.tailCheck();
        this.finish('the distinct records reached totalResults');
        return;
      }
      if (this.maxTotal !== undefined && pagesThisRun > pageBudget(this.maxTotal, this.smallestPage)) {
        throw new ScimIncompleteReadError(
          `gave up after ${pagesThisRun} pages: ${this.seen()} distinct of ${this.maxTotal} claimed records read and the server keeps answering`,
          { method: 'GET', url: this.source.displayUrl(this.path) },
        );
      }
    }
  }

  /**
   * A server that counts startIndex from 0 silently skips its first record when asked for
   * startIndex=1. RFC servers treat 0 as 1, so asking once for 0 is harmless and recovers it.
   */
  private async *probeZeroBased(): AsyncGenerator<ScimPage<P>, void, undefined> {
    // Without a total there is nothing to prove the read short, so ask anyway: it costs one request.
    if (this.zeroBased !== undefined || this.reachedTotal()) return;
    const response = await this.fetch([...this.baseQuery(), ['startIndex', '0'], ['count', String(this.pageSize)]]);
    this.noteTotal(response.totalResults, true);
    const before = this.seen();
    const { page } = await this.absorb(response, true);
    this.zeroBased = this.seen() > before;
    if (this.zeroBased) {
      this.source.logger.warn('SCIM server counts startIndex from 0; recovered its first records with startIndex=0', {
        path: this.path,
        recovered: this.seen() - before,
      });
    }
    if (page.resources.length > 0 || page.rejected.length > 0) {
      yield { ...page, position: this.position(true), totalResults: response.totalResults };
    }
  }

  /**
   * Truncating servers that also shrink totalResults look exactly like smaller data sets, except
   * that the other end of the ordering holds records the listing never returned. Records created
   * after the read began are new, not missed, so they do not count as evidence.
   */
  private async *tailCheck(): AsyncGenerator<ScimPage<P>, void, undefined> {
    if (this.options.tailCheck === false) return;
    if (this.maxTotal !== undefined && !this.reachedTotal()) return;
    const attributes = this.options.attributes?.length ? [...this.options.attributes, 'meta.created'] : undefined;
    for (const sortBy of TAIL_SORT_KEYS) {
      const query: [string, string][] = this.baseQuery().map(([k, v]) =>
        k === 'attributes' && attributes ? [k, attributes.join(',')] : [k, v],
      );
      query.push(['sortBy', sortBy], ['sortOrder', 'descending']);
      if (this.method === 'cursor') query.push(['count', String(this.pageSize)], ['cursor', '']);
      else query.push(['startIndex', '1'], ['count', String(this.pageSize)]);
      let response: ListedResponse<P>;
      try {
        response = await this.fetch(query);
      } catch (err) {
        // Sorting is optional in SCIM; a server that refuses it simply cannot be checked this way.
        this.source.logger.debug('SCIM tail check not possible', {
          path: this.path,
          sortBy,
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      this.noteTotal(response.totalResults, true);
      const { page, created } = await this.absorb(response, true);
      if (page.resources.length === 0 && page.rejected.length === 0) continue;
      const missed = created.filter((c) => !this.createdDuringRead(c)).length;
      this.missedByListing += missed;
      if (missed > 0) {
        this.source.logger.warn('SCIM listing missed records that a descending-order check found', {
          path: this.path,
          sortBy,
          missed,
        });
      }
      yield { ...page, position: this.position(true), totalResults: response.totalResults };
    }
  }

  private createdDuringRead(created: number): boolean {
    return !Number.isNaN(created) && created >= this.readStartedAt - CLOCK_SKEW_MS;
  }

  private async *cursorPass(resumed: boolean, switched = false): AsyncGenerator<ScimPage<P>, void, undefined> {
    const maxRestarts = this.options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    let passPages = 0;
    let longestPass = 0;
    let pagesWithoutProgress = 0;
    for (;;) {
      const sent = this.cursor;
      let response: ListedResponse<P>;
      try {
        response = await this.fetch([...this.baseQuery(), ['count', String(this.pageSize)], ['cursor', sent]]);
      } catch (err) {
        if (!(err instanceof ScimCursorError)) throw err;
        this.restarts++;
        if (this.restarts > maxRestarts) {
          throw new ScimIncompleteReadError(
            `the server rejected paging cursors ${this.restarts} times (last: ${err.message}); ` +
              `gave up after ${maxRestarts} restarts with ${this.seen()} of ${this.maxTotal ?? 'unknown'} records read`,
            { method: err.method, url: err.url, status: err.status, scimType: err.scimType, cause: err },
          );
        }
        this.source.logger.warn('SCIM cursor rejected; restarting the pass from the beginning', {
          path: this.path,
          restart: this.restarts,
          scimType: err.scimType,
        });
        // Ids already read stay in the tracker, so the new pass only adds what is missing.
        this.cursor = '';
        longestPass = Math.max(longestPass, passPages);
        passPages = 0;
        resumed = false;
        switched = false;
        continue;
      }
      this.noteTotal(response.totalResults);
      const count = response.count;
      this.pages_++;
      passPages++;
      this.received += count;
      if (count > 0) this.smallestPage = Math.min(this.smallestPage, count);
      const { page } = await this.absorb(response);
      pagesWithoutProgress = page.progress ? 0 : pagesWithoutProgress + 1;
      const next = response.nextCursor;
      if (next !== undefined && next === sent && !page.progress && sent !== '') {
        throw new ScimIncompleteReadError(
          `the server returned the cursor it was given, so the listing of ${this.path} would never end ` +
            `(${this.seen()} of ${this.maxTotal ?? 'unknown'} records read)`,
          { method: 'GET', url: this.source.displayUrl(this.path) },
        );
      }
      const done = next === undefined;
      if (!done) this.cursor = next;
      yield { ...page, position: this.position(done), totalResults: response.totalResults };
      if (done) {
        yield* this.tailCheck();
        this.finish(
          passPages === 1 && !resumed && !switched && this.restarts === 0
            ? 'the first cursor page had no nextCursor'
            : 'the last page had no nextCursor',
        );
        return;
      }
      const budget =
        this.maxTotal !== undefined
          ? pageBudget(this.maxTotal, this.smallestPage)
          : Math.max(longestPass, Math.ceil(this.seen() / Math.max(1, this.smallestPage))) + 20;
      if ((this.maxTotal !== undefined ? passPages : pagesWithoutProgress) > budget) {
        throw new ScimIncompleteReadError(
          `gave up after ${passPages} cursor pages without reaching the end: ${this.seen()} distinct of ` +
            `${this.maxTotal ?? 'unknown'} claimed records read`,
          { method: 'GET', url: this.source.displayUrl(this.path) },
        );
      }
    }
  }

  private finish(ending: string): void {
    this.finished = true;
    const seen = this.seen();
    const notes: string[] = [];
    if (this.zeroBased) notes.push('the server counts startIndex from 0; its first records were fetched with startIndex=0');
    if (this.filteredOut > 0) {
      notes.push(`the server ignored the filter: ${this.filteredOut} records outside it were dropped`);
    }
    if (this.keptOutsideFilter > 0) {
      notes.push(`the server ignored the filter: ${this.keptOutsideFilter} records outside it were kept (filterCheck: keep)`);
    }
    if (this.restarts > 0) notes.push(`the cursor pass was restarted ${this.restarts} time(s)`);
    const suffix = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    if (this.missedByListing > 0) {
      this.complete = false;
      this.reason =
        `${ending}, but a descending-order check found ${this.missedByListing} records the listing never returned ` +
        `(totalResults ${this.maxTotal ?? 'absent'}): the server truncates listings, so the read is incomplete${suffix}`;
      return;
    }
    if (this.maxTotal === undefined) {
      this.complete = true;
      this.reason = `${ending}; the server reported no totalResults, so ${this.distinct} distinct records could not be checked against a total${suffix}`;
      return;
    }
    if (seen >= this.maxTotal) {
      this.complete = true;
      this.reason = `${ending}; ${this.distinct} distinct records read, totalResults ${this.maxTotal}${suffix}`;
      if (this.rejected > 0) this.reason += `; ${this.rejected} records without a usable id were rejected`;
      return;
    }
    this.complete = false;
    if (this.droppedTo !== undefined) {
      this.reason =
        `totalResults fell from ${this.maxTotal} to ${this.droppedTo} during the read and only ${seen} records ` +
        `arrived (${ending}): the listing looks truncated${suffix}`;
    } else {
      this.reason = `${ending} after ${seen} of ${this.maxTotal} claimed records: the listing is incomplete${suffix}`;
    }
  }
}
