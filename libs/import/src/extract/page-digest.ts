import { digestListPage, filterCheckOf, type DigestedListResponse, type FilterCheck, type ListPageText } from '@app/scim';
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

/** What a page thread answers: the page's envelope and its entries, or why it could not (the page is then digested in-process). */
export type PageJobAnswer = { ok: true; result: DigestedListResponse<StagedEntry> } | { ok: false; error: { name: string; message: string } };

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

/**
 * Parses the page, normalises its records and makes each a staging entry (members split off,
 * mapped and hashed): exactly what the in-process path makes of it (ScimClient.listResources with
 * the same PageDigester payload). Throws on an answer that is not a ListResponse.
 */
export function digestPageJob(job: PageJob, cache: PageDigestCache): DigestedListResponse<StagedEntry> {
  const { mapping, ...rest } = job.work;
  const work: EntryWork = { ...rest, ...(mapping ? { mapper: cache.mapper(mapping) } : {}) };
  return digestListPage(job.page, cache.filterCheck(job.filter), (r) => stagedEntry(r, work));
}
