/**
 * The fetch-only lower bound's loop, run in a worker thread: if it shared the main thread with
 * the fixture server, parsing and page generation would take turns instead of overlapping as
 * they do when the importer (another process) reads from that server.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

/**
 * How many requests fetch-only keeps in flight: always those of the import (import-request.ts),
 * so that a bound is never slower than the import's own way of fetching could be.
 */
export interface FetchConcurrency {
  /** resources read at the same time (1: users, then groups) */
  resources: number;
  /** listing requests of one resource in flight at once (1: each page after the previous one) */
  pages: number;
  /** GET /Groups/{id}?attributes=members requests in flight at once, for groups listed without members */
  members: number;
}

export interface FetchOnlyInput {
  baseUrl: string;
  username: string;
  password: string;
  pageSize: number;
  paths: string[];
  concurrency: FetchConcurrency;
  /**
   * Query parameters added to every listing request of a path, e.g. [['attributes', 'id,userName']]:
   * the import's own request when it asks for less than everything. None: full records.
   */
  listingQuery?: Record<string, Array<[string, string]>>;
}

export interface FetchOnlyOutput {
  ms: number;
  pages: number;
  records: number;
  bytes: number;
  /** GET /Groups/{id} reads of groups listed without members */
  memberReads: number;
}

/** Runs at most `n` of the functions it is given at once, in the order given. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

type Page = { totalResults: number; Resources?: Array<Record<string, unknown>> };

/**
 * Every page of every path, each body parsed, with the import's concurrency (FetchConcurrency):
 * resources `resources` at a time; within one, `pages` listing requests in flight (with 1, the
 * next page is asked for once the previous one is parsed, as the importer pages; with more, the
 * first page's totalResults gives every other page's startIndex). A group listed without
 * `members` (a source that caps what a listing carries, or a projection without them) is read
 * with GET /Groups/{id}?attributes=members, `members` at a time, while the listing goes on.
 */
async function fetchAll(input: FetchOnlyInput): Promise<FetchOnlyOutput> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: null });
  const headers = {
    authorization: `Basic ${Buffer.from(`${input.username}:${input.password}`).toString('base64')}`,
    accept: 'application/scim+json, application/json',
  };
  const c = input.concurrency;
  let pages = 0;
  let records = 0;
  let bytes = 0;
  let memberReads = 0;

  const get = async (url: string): Promise<unknown> => {
    const res = await request(url, { dispatcher: agent, headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
    bytes += text.length;
    return JSON.parse(text);
  };

  const readPath = async (path: string): Promise<void> => {
    const memberSlot = limiter(Math.max(1, c.members));
    const memberReadsOfPath: Array<Promise<unknown>> = [];
    const extra = (input.listingQuery?.[path] ?? []).map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('');
    /** one listing page: its totalResults and how many records it held */
    const page = async (startIndex: number): Promise<{ total: number; n: number }> => {
      const body = (await get(`${input.baseUrl}${path}?startIndex=${startIndex}&count=${input.pageSize}${extra}`)) as Page;
      const resources = body.Resources ?? [];
      pages++;
      records += resources.length;
      if (path === '/Groups') {
        for (const group of resources) {
          if ('members' in group) continue;
          const one = `${input.baseUrl}${path}/${encodeURIComponent(String(group.id))}?attributes=members`;
          memberReads++;
          const read = memberSlot(() => get(one));
          // handled at the end of the path (allSettled); until then a failure must not count as unhandled
          read.catch(() => undefined);
          memberReadsOfPath.push(read);
        }
      }
      return { total: body.totalResults, n: resources.length };
    };
    let listingFailed: { error: unknown } | undefined;
    try {
      if (c.pages <= 1) {
        let startIndex = 1;
        for (;;) {
          const { total, n } = await page(startIndex);
          startIndex += n;
          if (n === 0 || startIndex > total) break;
        }
      } else {
        const { total, n: step } = await page(1);
        const starts: number[] = [];
        if (step > 0) for (let s = 1 + step; s <= total; s += step) starts.push(s);
        const pageSlot = limiter(c.pages);
        await Promise.all(starts.map((s) => pageSlot(() => page(s))));
      }
    } catch (error) {
      listingFailed = { error };
    }
    // settled before failing, so no read is left running when the agent closes
    const settled = await Promise.allSettled(memberReadsOfPath);
    if (listingFailed) throw listingFailed.error;
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const started = performance.now();
  try {
    const resourceSlot = limiter(Math.max(1, c.resources));
    await Promise.all(input.paths.map((path) => resourceSlot(() => readPath(path))));
  } finally {
    await agent.close();
  }
  return { ms: performance.now() - started, pages, records, bytes, memberReads };
}

if (parentPort) {
  const port = parentPort;
  fetchAll(workerData as FetchOnlyInput).then(
    (out) => port.postMessage({ ok: true, out }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
}
