/**
 * The lower bounds a full import is compared with, measured on the same data in the same run:
 * fetch-only (every page over HTTP, parsed, with the import's request concurrency) and load-only
 * (COPY of the mapped rows, then of the membership links, into fresh tables). The bound is their
 * sum: everything a first import must fetch and write. An importer can overlap fetching and
 * writing, so it is a generous bound. Where the import asks for less than full records
 * (`attributes=`), fetch-only of that same request is measured too (importRequest).
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BenchDataSet } from './data-generator';
import type { FetchConcurrency, FetchOnlyInput, FetchOnlyOutput } from './fetch-only-worker';
import { isFullRequest, type ListingQuery } from './import-request';

export interface FetchOnlyResult extends FetchOnlyOutput {
  pageSize: number;
  /** the requests in flight (the import's, import-request.ts) */
  concurrency: FetchConcurrency;
  /** parameters added to the listing requests (absent: full records) */
  listingQuery?: ListingQuery;
}

/**
 * Fetch-only of the request the import actually sends (its `attributes=`), beside the full-record
 * fetch-only: the ratios are taken against both (issue 23). Equal to full-record fetch-only
 * (`sameAsFull`) while the import asks for full records.
 */
export interface ImportRequestBound {
  /** the listing parameters per path; {} is full records */
  listingQuery: ListingQuery;
  /** `observed`: what the fixture source saw the import send in scenario 1 (or the shape's run); `mapped`: --fetch-attributes mapped */
  from: 'observed' | 'mapped';
  /** the import asked for full records: fetchOnly is the full-record one, not measured again */
  sameAsFull: boolean;
  fetchOnly: FetchOnlyResult;
  /** fetchOnly.ms + cards COPY + links COPY (the COPYs are the same rows either way) */
  boundMs: number;
  /** every measurement of fetchOnly, ms */
  samplesMs: number[];
}

export interface LoadOnlyResult {
  /** COPY of one row per account and entitlement (id, unique value, mapped attributes as jsonb) */
  ms: number;
  rows: number;
  bytes: number;
  /** COPY of the membership links (datacard_link-shaped): part of the bound, not of the old bound */
  linksMs: number;
  links: number;
}

export interface LowerBounds {
  fetchOnly: FetchOnlyResult;
  loadOnly: LoadOnlyResult;
  /** the bound (issue 16): fetch-only + COPY of the cards + COPY of the links (fetchOnly.ms + loadOnly.ms + loadOnly.linksMs) */
  boundMs: number;
  /** the bound before issue 16, kept beside it: fetch-only + COPY of the cards (fetchOnly.ms + loadOnly.ms) */
  oldBoundMs: number;
  samples: { fetchOnlyMs: number[]; loadOnlyMs: number[]; linksMs: number[] };
  /** fetch-only of the import's own request; set once known (after the first run, or with --fetch-attributes mapped) */
  importRequest?: ImportRequestBound;
}

/**
 * Runs the fetch loop in a worker thread (see fetch-only-worker.ts) and waits for its numbers.
 * `buildRoot` holds the dist/ to load the compiled thread from; a tsx run from sources uses
 * the .ts next to this file.
 */
export async function measureFetchOnly(input: FetchOnlyInput, buildRoot?: string): Promise<FetchOnlyResult> {
  const fromSources = __filename.endsWith('.ts');
  const file = fromSources
    ? join(__dirname, 'fetch-only-worker.ts')
    : join(buildRoot ?? join(__dirname, '..', '..'), 'dist', 'bench', 'fetch-only-worker.js');
  // worker threads do not inherit tsx's loader, so a source run registers it in the thread first
  const worker = fromSources
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: input })
    : new Worker(file, { workerData: input });
  try {
    const out = await new Promise<FetchOnlyOutput>((resolve, reject) => {
      worker.once('message', (m: { ok: true; out: FetchOnlyOutput } | { ok: false; error: string }) =>
        m.ok ? resolve(m.out) : reject(new Error(`fetch-only failed: ${m.error}`)),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`fetch-only worker exited (code ${code}) without a result`)));
    });
    return { ...out, pageSize: input.pageSize, concurrency: input.concurrency, ...(input.listingQuery ? { listingQuery: input.listingQuery } : {}) };
  } finally {
    await worker.terminate();
  }
}

/** The fastest of `repeats` fetch-only measurements, and all their times. */
export async function fastestFetchOnly(input: FetchOnlyInput, repeats: number, buildRoot?: string): Promise<{ best: FetchOnlyResult; samplesMs: number[] }> {
  const all: FetchOnlyResult[] = [];
  for (let k = 0; k < Math.max(1, repeats); k++) all.push(await measureFetchOnly(input, buildRoot));
  return { best: all.reduce((a, b) => (b.ms < a.ms ? b : a)), samplesMs: all.map((f) => Math.round(f.ms)) };
}

/**
 * The bound of the import's own request: the full-record numbers when it asked for full records,
 * otherwise fetch-only measured again with its listing parameters (the fastest of `repeats`).
 */
export async function measureImportRequest(
  lb: LowerBounds,
  listingQuery: ListingQuery,
  from: ImportRequestBound['from'],
  opts: { fetch: FetchOnlyInput; repeats: number; buildRoot?: string },
): Promise<ImportRequestBound> {
  const copies = lb.loadOnly.ms + lb.loadOnly.linksMs;
  if (isFullRequest(listingQuery)) {
    return { listingQuery: {}, from, sameAsFull: true, fetchOnly: lb.fetchOnly, boundMs: lb.boundMs, samplesMs: lb.samples.fetchOnlyMs };
  }
  const { best, samplesMs } = await fastestFetchOnly({ ...opts.fetch, listingQuery }, opts.repeats, opts.buildRoot);
  return { listingQuery, from, sameAsFull: false, fetchOnly: best, boundMs: best.ms + copies, samplesMs };
}

/** A random-looking but reproducible UUID per (kind, index), like gen_random_uuid() ids in datacard. */
export function datacardUuid(kind: number, i: number): string {
  const h = (salt: number) => {
    let x = (i ^ Math.imul(kind * 7 + salt, 0x9e3779b9)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return ((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0');
  };
  // the first word is a bijection of i (murmur's finaliser is invertible), so ids never collide
  const a = h(1);
  const b = h(2);
  const c = h(3);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${h(4)}`;
}

/** COPY text format: backslash, tab and line breaks are the only characters needing escapes. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/** Rows in chunks of a few hundred, generated while COPY consumes them; memory stays one chunk. */
function* datacardRows(ds: BenchDataSet, counter: { rows: number; bytes: number }): Generator<string> {
  const userDatacard = (i: number) => datacardUuid(1, i);
  let chunk: string[] = [];
  const flush = () => {
    const text = chunk.join('');
    counter.bytes += text.length;
    chunk = [];
    return text;
  };
  for (let from = 0; from < ds.liveUserCount; from += 500) {
    for (const i of ds.liveUserIndexes(from, 500)) {
      const row = ds.mappedUser(i);
      chunk.push(`${userDatacard(i)}\t${copyText(row.uniqueValue)}\t${copyText(JSON.stringify(row.attributes))}\n`);
      counter.rows++;
    }
    yield flush();
  }
  for (let g = 0; g < ds.groupCount; g++) {
    const row = ds.mappedGroup(g, userDatacard);
    chunk.push(`${datacardUuid(2, g)}\t${copyText(row.uniqueValue)}\t${copyText(JSON.stringify(row.attributes))}\n`);
    counter.rows++;
    if (chunk.length >= 100) yield flush();
  }
  // generic resources (the devices of shape d; none in the four classic scenarios)
  for (let d = 0; d < ds.deviceCount; d++) {
    const row = ds.mappedDevice(d);
    chunk.push(`${datacardUuid(3, d)}\t${copyText(row.uniqueValue)}\t${copyText(JSON.stringify(row.attributes))}\n`);
    counter.rows++;
    if (chunk.length >= 500) yield flush();
  }
  if (chunk.length > 0) yield flush();
}

function* linkRows(ds: BenchDataSet, counter: { links: number }): Generator<string> {
  for (let g = 0; g < ds.groupCount; g++) {
    const group = datacardUuid(2, g);
    const lines = ds.membersOfGroup(g).map((i) => `${group}\tmembers\t${datacardUuid(1, i)}\n`);
    counter.links += lines.length;
    yield lines.join('');
  }
}

/**
 * COPY of as many rows as a full import writes datacards (users + groups + devices), shaped like them
 * (uuid primary key, unique value, ~300-byte jsonb), into a fresh logged table that is dropped
 * afterwards. The membership links are copied separately and timed on their own.
 */
export async function measureLoadOnly(databaseUrl: string, ds: BenchDataSet): Promise<LoadOnlyResult> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const table = `bench_load_only_${process.pid}`;
  const links = `${table}_links`;
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${links}`);
    await client.query(`CREATE TABLE ${table} (id uuid PRIMARY KEY, unique_value text NOT NULL, attributes jsonb NOT NULL)`);
    await client.query(
      `CREATE TABLE ${links} (datacard_id uuid NOT NULL, attribute_code text NOT NULL, target_id uuid NOT NULL,
         PRIMARY KEY (datacard_id, attribute_code, target_id))`,
    );
    const counter = { rows: 0, bytes: 0, links: 0 };

    let started = performance.now();
    await pipeline(Readable.from(datacardRows(ds, counter)), client.query(copyFrom(`COPY ${table} (id, unique_value, attributes) FROM STDIN`)));
    const ms = performance.now() - started;

    started = performance.now();
    await pipeline(Readable.from(linkRows(ds, counter)), client.query(copyFrom(`COPY ${links} (datacard_id, attribute_code, target_id) FROM STDIN`)));
    const linksMs = performance.now() - started;

    return { ms, rows: counter.rows, bytes: counter.bytes, linksMs, links: counter.links };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${links}`).catch(() => undefined);
    await client.end();
  }
}

/**
 * Each part of the bound (fetch, cards COPY, links COPY) is measured `repeats` times and its
 * fastest kept: a bound is what the machine can do, and a shared machine's noise only ever makes
 * a measurement slower. All samples are kept.
 */
export async function measureLowerBounds(opts: {
  fetch: FetchOnlyInput;
  databaseUrl: string;
  dataSet: BenchDataSet;
  repeats: number;
  buildRoot?: string;
}): Promise<LowerBounds> {
  const fetches: FetchOnlyResult[] = [];
  const loads: LoadOnlyResult[] = [];
  for (let k = 0; k < Math.max(1, opts.repeats); k++) {
    fetches.push(await measureFetchOnly(opts.fetch, opts.buildRoot));
    loads.push(await measureLoadOnly(opts.databaseUrl, opts.dataSet));
  }
  const fetchOnly = fetches.reduce((a, b) => (b.ms < a.ms ? b : a));
  const cards = loads.reduce((a, b) => (b.ms < a.ms ? b : a));
  const links = loads.reduce((a, b) => (b.linksMs < a.linksMs ? b : a));
  const loadOnly = { ...cards, linksMs: links.linksMs };
  return {
    fetchOnly,
    loadOnly,
    boundMs: fetchOnly.ms + loadOnly.ms + loadOnly.linksMs,
    oldBoundMs: fetchOnly.ms + loadOnly.ms,
    samples: {
      fetchOnlyMs: fetches.map((f) => Math.round(f.ms)),
      loadOnlyMs: loads.map((l) => Math.round(l.ms)),
      linksMs: loads.map((l) => Math.round(l.linksMs)),
    },
  };
}
