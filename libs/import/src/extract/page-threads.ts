import { createHash } from 'node:crypto';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { digestListPage, filterCheckOf, type DigestedListResponse, type ListPageText, type PageDigester } from '@app/scim';
import { ThreadPool } from '../infrastructure/thread-pool';
import type { ImportLogger } from '../create-activities';
import type { ListedPage, PageJob, PageJobAnswer } from './page-digest';
import type { PageMapping } from './page-mapping';
import { stagedEntry, type EntryWork, type StagedEntry } from './staged-records';

/** The page threads of this process: they parse, map and hash list pages off the event loop. */
export type PageThreads = ThreadPool<PageJob, PageJobAnswer, ListedPage>;

let pool: PageThreads | undefined;

/**
 * Starts page-thread.ts in a worker thread: the compiled .js next to this file, or, when this
 * process runs the TypeScript sources (tsx, ts-jest), the .ts through tsx's loader, which a
 * thread does not inherit.
 */
function startPageThread(): Worker {
  const file = join(__dirname, `page-thread${extname(__filename)}`);
  return file.endsWith('.ts') ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true }) : new Worker(file);
}

/**
 * The process's page threads (one pool for every activity of the worker, started on first use
 * and reused; `size` is taken from the first call); undefined when `size` is 0: pages are then
 * digested on the event loop.
 */
export function pageThreads(size: number, logger?: Pick<ImportLogger, 'warn'>): PageThreads | undefined {
  if (size <= 0) return undefined;
  if (!pool) {
    pool = new ThreadPool<PageJob, PageJobAnswer, ListedPage>(size, startPageThread);
    pool.onUnavailable = (reason) => logger?.warn(`list pages are parsed on the event loop: ${reason}`);
  }
  return pool;
}

/** Ends the process's page threads (worker shutdown); the next pageThreads() starts new ones. */
export async function closePageThreads(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.close();
}

/**
 * A listed record's staging entry: made already, or still being made by the page thread that
 * told the listing the page's ids first (entry `index` of the page's entries).
 */
export type PendingEntry = { ready: StagedEntry } | { page: Promise<StagedEntry[]>; index: number };

/** The staging entries of a page's records, once they are made. */
export async function settledEntries(pending: PendingEntry[]): Promise<StagedEntry[]> {
  const out: StagedEntry[] = [];
  for (const p of pending) out.push('ready' in p ? p.ready : (await p.page)[p.index]);
  return out;
}

/**
 * How extract's listing makes staging entries of its records. With page threads, a page's text
 * goes to a thread, which answers its ids first (the listing asks for the next page meanwhile)
 * and then the page's entries, mapped and hashed; without, they are made here. A page a thread
 * could not parse is digested here (ScimClient.listResources); one whose thread died after
 * listing it has its entries made here from its text: the same entries either way.
 */
export function stagedEntryDigester(work: EntryWork, mapping: PageMapping | undefined, runId: string, threads: PageThreads | undefined): PageDigester<PendingEntry> {
  const local: EntryWork = { ...work, ...(mapping ? { mapper: mapping.mapper } : {}) };
  const digester: PageDigester<PendingEntry> = { payload: (r) => ({ ready: stagedEntry(r, local) }) };
  if (!threads) return digester;
  const threadMapping = mapping && { key: `${runId}:${work.resource}:${createHash('sha256').update(JSON.stringify(mapping.config)).digest('base64url')}`, config: mapping.config };
  const jobWork: PageJob['work'] = { resource: work.resource, membersWanted: work.membersWanted, ...(work.memberLimit !== undefined ? { memberLimit: work.memberLimit } : {}), ...(threadMapping ? { mapping: threadMapping } : {}) };
  const madeHere = (page: ListPageText, filter: string | undefined) => digestListPage(page, filterCheckOf(filter), (r) => stagedEntry(r, local)).entries.map((e) => e.payload);
  digester.digestText = (page, filter) =>
    new Promise<DigestedListResponse<PendingEntry>>((resolve, reject) => {
      let listed = false;
      const entries = threads
        .run({ page, ...(filter !== undefined ? { filter } : {}), work: jobWork }, (part) => {
          listed = true;
          resolve({ ...part, entries: part.entries.map((e, index) => ({ ...e, payload: { page: entries, index } })) });
        })
        .then((answer) => {
          if (answer.ok) return answer.entries;
          throw Object.assign(new Error(answer.error.message), { name: answer.error.name });
        })
        .catch((err: unknown) => {
          // nothing listed: the page is digested here (or fails as its answer deserves)
          if (!listed) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return [];
          }
          // the thread died (or failed) after listing the page: its entries are made here, from its text
          return madeHere(page, filter);
        });
      // a page whose records were all read before never has its entries asked for
      entries.catch(() => undefined);
    });
  return digester;
}
