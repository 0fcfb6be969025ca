import { digestListPage, filterCheckOf, type DigestedListResponse, type FilterCheck, type ListedEntry, type ListPageText, type ScimResource } from '@app/scim';
import type { ResourceKind } from '@app/temporal';
import { mapperFor, type Mapper, type MapperConfig } from '../decide/map-records';
import { stagedEntry, type EntryWork, type StagedEntry } from './staged-records';

/**
 * One list page for a page thread (page-thread.ts): its text, and what to make of its records.
 * Plain data: it is posted to the thread as it is.
 */
export interface PageJob {
  page: ListPageText;
  /** the listing's filter: records certainly outside it are flagged (the server ignored it) */
  filter?: string;
  work: {
    resource: ResourceKind;
    memberLimit?: number;
    membersWanted: boolean;
    /** the resource's mapping; the thread compiles it once per key (run, resource and config) */
    mapping?: { key: string; config: MapperConfig };
  };
}

/**
 * A page as the listing needs it, before its records are mapped: envelope, rejections, and per
 * usable record its id, creation time and filter verdict. A page thread posts it first, so the
 * listing asks for the next page while the thread maps and hashes this one.
 */
export type ListedPage = DigestedListResponse<null>;

/** A page thread's answer to a job, after the ListedPage: the staging entries of the page's records, in the same order. */
export type PageJobAnswer = { ok: true; entries: StagedEntry[] } | { ok: false; error: { name: string; message: string } };

/** Most mappings (and filters) a thread keeps compiled: a few runs' resources at once. */
const KEPT_COMPILED = 16;

/** A small cache of compiled things by key; the oldest goes first. */
class Compiled<T> {
  private readonly items = new Map<string, T>();

  get(key: string, compile: () => T): T {
    let item = this.items.get(key);
    if (item === undefined) {
      item = compile();
      if (this.items.size >= KEPT_COMPILED) this.items.delete(this.items.keys().next().value as string);
      this.items.set(key, item);
    }
    return item;
  }
}

/** What a page thread keeps between pages: compiled mappings and filter checks. */
export class PageDigestCache {
  private readonly mappers = new Compiled<Mapper>();
  private readonly filters = new Compiled<{ check?: FilterCheck }>();

  mapper(mapping: { key: string; config: MapperConfig }): Mapper {
    return this.mappers.get(mapping.key, () => mapperFor(mapping.config));
  }

  filterCheck(filter: string | undefined): FilterCheck | undefined {
    return filter === undefined ? undefined : this.filters.get(filter, () => ({ check: filterCheckOf(filter) })).check;
  }
}

/** The job's work with its mapping compiled. */
function workOf(job: PageJob, cache: PageDigestCache): EntryWork {
  const { mapping, ...rest } = job.work;
  return { ...rest, ...(mapping ? { mapper: cache.mapper(mapping) } : {}) };
}

/**
 * First half of a job: parses the page and normalises its records. Throws on an answer that is
 * not a ListResponse. Returns the ListedPage and the normalised records, in the entries' order.
 */
export function listPageJob(job: PageJob, cache: PageDigestCache): { listed: ListedPage; resources: ScimResource[] } {
  const digested = digestListPage(job.page, cache.filterCheck(job.filter), (r) => r);
  const resources = digested.entries.map((e) => e.payload);
  const entries = digested.entries.map((e): ListedEntry<null> => ({ id: e.id, created: e.created, outsideFilter: e.outsideFilter, payload: null }));
  return { listed: { ...digested, entries }, resources };
}

/** Second half of a job: each normalised record as a staging entry (members split off, mapped and hashed). */
export function stagePageJob(resources: ScimResource[], job: PageJob, cache: PageDigestCache): StagedEntry[] {
  const work = workOf(job, cache);
  return resources.map((r) => stagedEntry(r, work));
}

/**
 * Both halves at once: exactly what the in-process path makes of the page (ScimClient.listResources
 * with the payload of stagedEntryDigester).
 */
export function digestPageJob(job: PageJob, cache: PageDigestCache): DigestedListResponse<StagedEntry> {
  const { listed, resources } = listPageJob(job, cache);
  const staged = stagePageJob(resources, job, cache);
  return { ...listed, entries: listed.entries.map((e, i) => ({ ...e, payload: staged[i] })) };
}
