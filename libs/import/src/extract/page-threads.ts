import { createHash } from 'node:crypto';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PageDigester } from '@app/scim';
import { ThreadPool } from '../infrastructure/thread-pool';
import type { ImportLogger } from '../create-activities';
import type { PageJob, PageJobAnswer } from './page-digest';
import type { PageMapping } from './page-mapping';
import { stagedEntry, type EntryWork, type StagedEntry } from './staged-records';

/** The page threads of this process: they parse, map and hash list pages off the event loop. */
export type PageThreads = ThreadPool<PageJob, PageJobAnswer>;

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
    pool = new ThreadPool<PageJob, PageJobAnswer>(size, startPageThread);
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
 * How extract's listing makes staging entries of its records: on a page thread when there is one
 * (the page's text goes there and its entries come back), else here; a page a thread could not
 * digest is digested here (ScimClient.listResources), with the same entries as a result.
 */
export function stagedEntryDigester(work: EntryWork, mapping: PageMapping | undefined, runId: string, threads: PageThreads | undefined): PageDigester<StagedEntry> {
  const local: EntryWork = { ...work, ...(mapping ? { mapper: mapping.mapper } : {}) };
  const digester: PageDigester<StagedEntry> = { payload: (r) => stagedEntry(r, local) };
  if (!threads) return digester;
  const threadMapping = mapping && { key: `${runId}:${work.resource}:${createHash('sha256').update(JSON.stringify(mapping.config)).digest('base64url')}`, config: mapping.config };
  const jobWork: PageJob['work'] = { resource: work.resource, membersWanted: work.membersWanted, ...(work.memberLimit !== undefined ? { memberLimit: work.memberLimit } : {}), ...(threadMapping ? { mapping: threadMapping } : {}) };
  digester.digestText = async (page, filter) => {
    const answer = await threads.run({ page, ...(filter !== undefined ? { filter } : {}), work: jobWork });
    if (!answer.ok) throw Object.assign(new Error(answer.error.message), { name: answer.error.name });
    return answer.result;
  };
  return digester;
}
