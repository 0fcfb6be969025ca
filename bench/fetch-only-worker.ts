/**
 * The fetch-only lower bound's loop, run in a worker thread: if it shared the main thread with
 * the fixture server, parsing and page generation would take turns instead of overlapping as
 * they do when the importer (another process) reads from that server.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

export interface FetchOnlyInput {
  baseUrl: string;
  username: string;
  password: string;
  pageSize: number;
  paths: string[];
}

export interface FetchOnlyOutput {
  ms: number;
  pages: number;
  records: number;
  bytes: number;
}

/**
 * Every page of every path, one request at a time (as the importer pages), each body parsed.
 * A group listed without `members` (a source that caps what a listing carries) is then read
 * with GET /Groups/{id}?attributes=members, as the importer must.
 */
async function fetchAll(input: FetchOnlyInput): Promise<FetchOnlyOutput> {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const headers = {
    authorization: `Basic ${Buffer.from(`${input.username}:${input.password}`).toString('base64')}`,
    accept: 'application/scim+json, application/json',
  };
  let pages = 0;
  let records = 0;
  let bytes = 0;
  const started = performance.now();
  try {
    for (const path of input.paths) {
      let startIndex = 1;
      for (;;) {
        const url = `${input.baseUrl}${path}?startIndex=${startIndex}&count=${input.pageSize}`;
        const res = await request(url, { dispatcher: agent, headers });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text.slice(0, 200)}`);
        const body = JSON.parse(text) as { totalResults: number; Resources?: Array<Record<string, unknown>> };
        const n = body.Resources?.length ?? 0;
        pages++;
        records += n;
        bytes += text.length;
        if (path === '/Groups') {
          for (const group of body.Resources ?? []) {
            if ('members' in group) continue;
            const one = `${input.baseUrl}${path}/${encodeURIComponent(String(group.id))}?attributes=members`;
            const single = await request(one, { dispatcher: agent, headers });
            const singleText = await single.body.text();
            if (single.statusCode !== 200) throw new Error(`GET ${one} answered ${single.statusCode}: ${singleText.slice(0, 200)}`);
            JSON.parse(singleText);
            bytes += singleText.length;
          }
        }
        startIndex += n;
        if (n === 0 || startIndex > body.totalResults) break;
      }
    }
  } finally {
    await agent.close();
  }
  return { ms: performance.now() - started, pages, records, bytes };
}

if (parentPort) {
  const port = parentPort;
  fetchAll(workerData as FetchOnlyInput).then(
    (out) => port.postMessage({ ok: true, out }),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
}
